"""`make bench`: every benchmark in one run, each figure beside its baseline, and
`benchmarks/results.json` written afresh.

    .venv/bin/python -m benchmarks [NAME ...]     (default: all of MODULES)

Each module runs in a process of its own (they set up apps, servers and environments of their
own) and adds its figures to results.json; each measures its baseline in the same run.
PostgreSQL and Redis come from BENCH_DATABASE_URL and BENCH_REDIS_URL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from benchmarks.results import RESULTS

MODULES = ("pages", "launch", "grades")


def main(names: list[str]) -> int:
    RESULTS.unlink(missing_ok=True)
    failed = []
    for name in names or MODULES:
        started = time.perf_counter()
        print(f"\n== benchmarks.{name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], check=False).returncode:
            failed.append(name)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    figures = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    missed = [f["name"] for f in figures if f["met"] is False]  # None: informational
    print(f"\n{RESULTS}: {len(figures)} figures, {len(missed)} short of their target")
    for name in missed:
        print(f"  short: {name}")
    if failed:
        print(f"benchmarks that did not finish: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
