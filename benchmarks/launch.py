"""What a whole LTI launch costs against the cheapest request Rapport serves (issue 15).

    .venv/bin/python -m benchmarks.launch      (or `make bench`, with every benchmark)
    BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/bench) and BENCH_REDIS_URL
    (default redis://127.0.0.1:6379/8): the PostgreSQL runs' database and Redis database, both
    emptied; BENCH_DATABASE_URL= (empty) runs on SQLite only.

A launch is what a person's browser and their LMS do: the OIDC login (POST /lti/login), the
platform's auth step (tests/platform.py signs an id_token for the login's nonce), the launch
POST, and the course home it redirects to, in a new browser each time, for a cycle of
returning students of one course. Served over HTTP, measured in the same run as GET /healthz
on the same server:
- sequential: one launch at a time on one in-process server, medians (SQLite; and PostgreSQL +
  Redis), target at most 6x /healthz;
- concurrent: gunicorn with 2 workers on PostgreSQL + Redis, CLIENTS clients at once for
  SECONDS each, launches/s against /healthz requests/s, target at least 0.15;
both timed in turns (a /healthz, a launch, …; a few seconds of each, several times), so that
a machine busy with other work slows both alike.
- statements: SQL statements of the login, the launch POST and the course home of a returning
  student (targets 1, 4 and 6; tests/functional/test_launch_queries.py asserts them).
Each client sends a client address of its own (X-Forwarded-For, as a load balancer would), so
that the sign-in rate limit per address is not what is measured.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import requests
from flask import Flask
from sqlalchemy import create_engine, text

from benchmarks.results import Figure, report
from lti_tool import create_app, limits
from lti_tool.db import transaction
from lti_tool.migrate import upgrade
from lti_tool.services.platforms.service import PlatformSpec, save_platform
from tests.functional.roster.test_people import statements_for
from tests.platform import TestPlatform
from tests.servers import gunicorn, server_process, serving

REPEAT = 40
STUDENTS = 20
CLIENTS = 4
SECONDS = 12.0
ROUNDS = 4
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")


def _empty_database(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        if url.startswith("postgresql"):
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    if REDIS_URL:
        redis.Redis.from_url(REDIS_URL).flushdb()


def _environment(url: str, folder: Path, with_redis: bool) -> dict[str, str]:
    env = {
        "DATABASE_URL": url,
        "RAPPORT_INSTANCE_DIR": str(folder / "instance"),
        "KEYS_DIR": str(folder / "keys"),
        "SECRET_KEY": "benchmark",
        "LOG_FORMAT": "text",
        "ALLOW_PRIVATE_HOSTS": "127.0.0.1",
    }
    if with_redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def _register(app: Flask, platform: TestPlatform) -> None:
    with transaction(app.extensions["rapport"].sessions) as session:
        save_platform(session, PlatformSpec(**platform.registration()))


def _address() -> dict[str, str]:
    return {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.7"}


def launch(platform: TestPlatform, url: str, sub: str) -> None:
    """One whole launch in a new browser, ending on the course home."""
    browser = requests.Session()
    browser.headers.update(_address())
    login = platform.login(browser, url)
    assert login.response.status_code == 302, login.response.text[:300]
    token = platform.sign(platform.claims(login.nonce, sub=sub, name=f"Student {sub}"))
    launched = platform.launch(browser, url, token, login.state)
    assert launched.status_code == 303, launched.text[:300]
    home = browser.get(url + launched.headers["Location"])
    assert home.status_code == 200, home.status_code


def healthz(url: str, http: requests.Session) -> None:
    assert http.get(url + "/healthz").status_code == 200


def _medians(first: Callable[[int], None], second: Callable[[int], None]) -> tuple[float, float]:
    """Median milliseconds of each, timed in turns so that both meet the same machine load."""
    times: tuple[list[float], list[float]] = ([], [])
    for n in range(REPEAT):
        for step, seconds in zip((first, second), times, strict=True):
            started = time.perf_counter()
            step(n)
            seconds.append(time.perf_counter() - started)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


def _statements(app: Flask, step: Callable[[], Any]) -> int:
    return statements_for(app, step)[1]


def _steps(app: Flask, platform: TestPlatform, url: str) -> dict[str, int]:
    """The statements of each step of a returning student's launch."""
    browser = requests.Session()
    browser.headers.update(_address())
    found: dict[str, Any] = {}
    counts = {"login": _statements(app, lambda: found.update(login=platform.login(browser, url)))}
    login = found["login"]
    token = platform.sign(platform.claims(login.nonce, sub="s0", name="Student s0"))
    counts["launch"] = _statements(
        app, lambda: found.update(launch=platform.launch(browser, url, token, login.state))
    )
    home = url + found["launch"].headers["Location"]
    counts["course home"] = _statements(app, lambda: browser.get(home))
    return counts


def sequential(label: str, url: str, folder: Path, with_redis: bool) -> list[Figure]:
    _empty_database(url)
    os.environ.update(_environment(url, folder, with_redis))
    if not with_redis:
        os.environ.pop("REDIS_URL", None)
    with TestPlatform().running() as platform, serving() as server:
        app = create_app({"public_url": server.url})
        app.extensions[limits.EXTENSION].enabled = False
        base = server.set_app(app)
        _register(app, platform)
        for n in range(STUDENTS):  # every student has launched once: they are returning
            launch(platform, base, f"s{n}")
        http = requests.Session()
        health, whole = _medians(
            lambda _n: healthz(base, http), lambda n: launch(platform, base, f"s{n % STUDENTS}")
        )
        steps = _steps(app, platform, base) if not with_redis else {}
        app.extensions["rapport"].engine.dispose()
    figures = [
        Figure.at_most_ratio(f"launch, sequential, {label} (vs /healthz)", whole, health, "ms", 6)
    ]
    targets = {"login": 1, "launch": 4, "course home": 6}
    figures += [
        Figure.at_most(f"launch statements: {step}", n, "statements", targets[step])
        for step, n in steps.items()
    ]
    return figures


def _client(work: Callable[[], None], stop: float, counts: list[int], slot: int) -> None:
    while time.perf_counter() < stop:
        work()
        counts[slot] += 1


def _rates(first: Callable[[], None], second: Callable[[], None]) -> tuple[float, float]:
    """Requests per second of each from CLIENTS clients at once, in ROUNDS turns of
    SECONDS / ROUNDS each, so that both meet the same machine load."""
    done, spent = [0, 0], [0.0, 0.0]
    for _round in range(ROUNDS):
        for which, work in enumerate((first, second)):
            counts = [0] * CLIENTS
            stop = time.perf_counter() + SECONDS / ROUNDS

            threads = [
                threading.Thread(target=_client, args=(work, stop, counts, n))
                for n in range(CLIENTS)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            done[which] += sum(counts)
            spent[which] += time.perf_counter() - started
    return done[0] / spent[0], done[1] / spent[1]


def concurrent(folder: Path) -> list[Figure]:
    _empty_database(PG_URL)
    env = _environment(PG_URL, folder, with_redis=True)
    os.environ.update(env)
    with (
        TestPlatform().running() as platform,
        server_process(gunicorn("-w", "2"), env, folder / "gunicorn.log") as web,
    ):
        app = create_app({"public_url": web.url})
        _register(app, platform)
        for n in range(STUDENTS):
            launch(platform, web.url, f"s{n}")
        local = threading.local()

        def health() -> None:
            if not hasattr(local, "http"):
                local.http = requests.Session()
            healthz(web.url, local.http)

        counter = iter(range(10**9))
        health_rate, launch_rate = _rates(
            health, lambda: launch(platform, web.url, f"s{next(counter) % STUDENTS}")
        )
        app.extensions["rapport"].engine.dispose()
    return [
        Figure.at_least_ratio(
            "launches/s, 2 gunicorn workers, PostgreSQL + Redis (vs /healthz/s)",
            launch_rate,
            health_rate,
            "per second",
            0.15,
        )
    ]


def figures() -> list[Figure]:
    found: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        found += sequential("SQLite", f"sqlite:///{folder / 'bench.db'}", folder, False)
        if PG_URL and REDIS_URL:
            found += sequential("PostgreSQL + Redis", PG_URL, folder, True)
            found += concurrent(folder)
    return found


if __name__ == "__main__":
    report(figures())
