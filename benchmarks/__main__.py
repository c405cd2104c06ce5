"""`make bench`: every benchmark in one run, each figure beside its baseline, and
`benchmarks/results.json` written afresh.

    .venv/bin/python -m benchmarks [NAME ...]     (default: all of MODULES)

Each module's `figures()` measures its baseline in the same run; PostgreSQL and Redis come
from BENCH_DATABASE_URL and BENCH_REDIS_URL (defaults in `benchmarks.pages`).
"""

from __future__ import annotations

import importlib
import sys
import time

from benchmarks.results import RESULTS, report

MODULES = ("pages", "launch", "grades")


def main(names: list[str]) -> int:
    RESULTS.unlink(missing_ok=True)
    missed = 0
    for name in names or MODULES:
        started = time.perf_counter()
        print(f"\n== benchmarks.{name}", flush=True)
        figures = importlib.import_module(f"benchmarks.{name}").figures()
        report(figures)
        missed += sum(not f.met for f in figures)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"\n{RESULTS}: {missed} figure(s) short of their target")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
