"""How long the relationship dashboard takes to serve a course of 5,000 students (issues 7, 15).

    .venv/bin/python -m benchmarks.dashboard [STUDENTS]
    BENCH_DATABASE_URL=postgresql://… also on PostgreSQL (an empty database: its tables are
    dropped and made again)

The course is `benchmarks.seed`'s, written as the query-count test writes it
(tests/functional/dashboard/seed.py): per student 20 feedback messages and 10 check-in
answers, so 100,000 and 50,000 at 5,000.
One staff member's browser (a session holding their grant) asks, in process through Flask's
test client, for:
- baselines: `/healthz`, and the course's People page (a paged list of the roster);
- the dashboard as it opens, with each filter, each sort, a tutor, a name searched and a later
  page; and its CSV of every student.
Each page once to warm up, then REPEAT times or more; the median and 95th percentile server
time, their ratio to the baselines' measured in the same run (so machines compare), and the SQL
statements it took. `figures()` holds every dashboard view to 10x `/healthz` at the median
and 20x at the 95th percentile (issue 15), on PostgreSQL when BENCH_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from benchmarks.results import Figure, report
from benchmarks.seed import RESPONSES_EACH, build
from lti_tool import create_app
from lti_tool.db import utcnow
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant, add_grant

NOW = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)
REPEAT = 21  # enough for a 95th percentile
MIN_SECONDS = 0.5  # fast pages are asked for until this long has passed, for a steady median


def _app(url: str, folder: Path) -> Flask:
    """Rapport on the seeded database, its clock at the seed's NOW."""
    os.environ.update(
        DATABASE_URL=url,
        RAPPORT_INSTANCE_DIR=str(folder / "instance"),
        KEYS_DIR=str(folder / "keys"),
    )
    app = create_app({"testing": True})
    app.extensions["rapport"].clock = lambda: NOW
    return app


@contextmanager
def _counting(app: Flask) -> Iterator[list[int]]:
    count = [0]

    def counter(*_args: object) -> None:
        count[0] += 1

    engine = app.extensions["rapport"].engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@dataclass(frozen=True)
class Timed:
    p50: float  # seconds
    p95: float
    statements: int


def _measure(app: Flask, client: Any, path: str) -> Timed:
    """The median and 95th percentile seconds of at least REPEAT requests after a warm-up,
    and the statements of one."""
    with _counting(app) as count:
        response = client.get(path)
        body = response.get_data()  # a streamed body is written (and its queries run) here
    assert response.status_code == 200 and body, (path, response.status_code)
    seconds: list[float] = []
    while len(seconds) < REPEAT or sum(seconds) < MIN_SECONDS:  # a fast page more often
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return Timed(statistics.median(seconds), p95, count[0])


def views(course_id: int, tutor_id: int) -> dict[str, str]:
    base = f"/courses/{course_id}/dashboard"
    return {
        "dashboard": base,
        "dashboard outside": f"{base}?show=outside",
        "dashboard never": f"{base}?show=never",
        "dashboard flagged": f"{base}?show=flagged",
        "dashboard waiting": f"{base}?show=waiting&sort=waiting",
        "dashboard tutor": f"{base}?tutor={tutor_id}",
        "dashboard name search": f"{base}?q=nguyen",
        "dashboard by name": f"{base}?sort=name",
        "dashboard page 20": f"{base}?sort=name&page=20",
        "dashboard.csv": f"{base}.csv",
    }


def run(url: str, students: int, folder: Path) -> list[Figure]:
    seeded = build(url, students, now=NOW)  # emptied, migrated, then the course
    app = _app(url, folder)
    course_id, staff_ids, seeding = seeded.course_id, seeded.staff_ids, seeded.seconds
    client = app.test_client()
    with client.session_transaction() as cookie:
        grant = CourseGrant(course_id, staff_ids[0], CourseRole.STAFF)
        cookie["grants"] = add_grant({}, grant, utcnow())  # as a launch leaves it
    pages = {
        "healthz (baseline)": "/healthz",
        "people (baseline)": f"/courses/{course_id}/people",
        **views(course_id, staff_ids[1]),
    }
    measured = {name: _measure(app, client, path) for name, path in pages.items()}
    health, people = measured["healthz (baseline)"], measured["people (baseline)"]
    dialect = app.extensions["rapport"].engine.dialect.name
    named = students * RESPONSES_EACH
    print(
        f"\n{dialect}: {students:,} students,"
        f" {seeded.rows['feedback_message']:,} messages, {named:,} check-in answers"
        f" (and {seeded.rows['checkin_response'] - named:,} to an anonymous one);"
        f" seeded in {seeding:.1f} s; {REPEAT} or more of each"
    )
    print(
        f"  {'page':<24} {'statements':>10} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'x healthz':>10} {'x people':>9}"
    )
    for name, t in measured.items():
        print(
            f"  {name:<24} {t.statements:>10} {t.p50 * 1000:>8.1f} {t.p95 * 1000:>8.1f}"
            f" {t.p50 / health.p50:>10.1f} {t.p50 / people.p50:>9.1f}"
        )
    app.extensions["rapport"].engine.dispose()
    return [
        figure
        for name, t in measured.items()
        if not name.endswith("(baseline)")
        for figure in _figures(f"{name} ({dialect}, {students:,} students)", t, health, people)
    ]


def _figures(label: str, t: Timed, health: Timed, people: Timed) -> list[Figure]:
    ms = 1e3
    if label.startswith("dashboard.csv"):  # every student, streamed: held to the People page's
        csv = Figure.at_most_ratio(f"{label} p50 vs people", t.p50 * ms, people.p50 * ms, "ms", 20)
        return [csv]
    return [
        Figure.at_most_ratio(f"{label} p50 vs healthz", t.p50 * ms, health.p50 * ms, "ms", 10),
        Figure.at_most_ratio(f"{label} p95 vs healthz", t.p95 * ms, health.p95 * ms, "ms", 20),
    ]


def figures(students: int = 5_000) -> list[Figure]:
    """The dashboard's figures on PostgreSQL when BENCH_DATABASE_URL is set, else on SQLite."""
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        return run(url, students, Path(tmp))


if __name__ == "__main__":
    report(figures(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000))
