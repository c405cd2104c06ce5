"""How long the relationship dashboard takes to serve a course of 5,000 students (issue 7).

    .venv/bin/python -m benchmarks.dashboard [STUDENTS]
    BENCH_DATABASE_URL=postgresql://… also on PostgreSQL (an empty database: its tables are
    dropped and made again)

The course is seeded as the query-count test seeds it (tests/functional/dashboard/seed.py):
per student 20 feedback messages and 10 check-in answers, so 100,000 and 50,000 at 5,000.
One staff member's browser (a session holding their grant) asks, in process through Flask's
test client, for:
- baseline: the course's People page, a paged list of the roster, for the same person;
- the dashboard as it opens, and its CSV of every student.
Each page once to warm up, then REPEAT times or more; the median server time, its ratio to the
baseline's measured in the same run (so machines compare), and the SQL statements it took.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from flask import Flask
from sqlalchemy import event

from lti_tool import create_app
from lti_tool.db import Base, make_engine, transaction, utcnow
from lti_tool.migrate import alembic_config
from lti_tool.models import Course, Membership, Person, Registration
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant, add_grant
from tests.functional.dashboard.seed import seed_course

NOW = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)
REPEAT = 7
MIN_SECONDS = 0.5  # fast pages are asked for until this long has passed, for a steady median
MESSAGES_EACH, RESPONSES_EACH = 20, 10
LMS = {
    "issuer": "https://lms.example.edu",
    "client_id": "bench",
    "auth_login_url": "https://lms.example.edu/auth",
    "auth_token_url": "https://lms.example.edu/token",
}


def _app(url: str, folder: Path) -> Flask:
    os.environ.update(
        DATABASE_URL=url,
        RAPPORT_INSTANCE_DIR=str(folder / "instance"),
        KEYS_DIR=str(folder / "keys"),
    )
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    command.stamp(alembic_config(url), "head")  # the schema is the models': at head
    app = create_app({"testing": True})
    app.extensions["rapport"].clock = lambda: NOW
    return app


def _course(app: Flask) -> tuple[int, list[int]]:
    """A course with two staff members, as their launches would have left it."""
    with transaction(app.extensions["rapport"].sessions) as session:
        lms = Registration(**LMS)
        session.add(lms)
        session.flush()
        course = Course(registration_id=lms.id, context_id="bench", title="Benchmark course")
        staff = [
            Person(registration_id=lms.id, sub=f"staff-{n}", name=name)
            for n, name in enumerate(("Margaret Chen", "Tomás Rivera"))
        ]
        session.add_all([course, *staff])
        session.flush()
        session.add_all(
            Membership(course_id=course.id, person_id=p.id, role=CourseRole.STAFF) for p in staff
        )
        return course.id, [p.id for p in staff]


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


def _measure(app: Flask, client: Any, path: str) -> tuple[float, int]:
    """The median seconds of at least REPEAT requests after a warm-up, and the statements of
    one."""
    with _counting(app) as count:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    seconds: list[float] = []
    while len(seconds) < REPEAT or sum(seconds) < MIN_SECONDS:  # a fast page more often
        started = time.perf_counter()
        response = client.get(path)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(seconds), count[0]


def run(url: str, students: int, folder: Path) -> None:
    app = _app(url, folder)
    course_id, staff_ids = _course(app)
    started = time.perf_counter()
    seeded = seed_course(
        app,
        course_id,
        staff_ids,
        students,
        students * MESSAGES_EACH,
        students * RESPONSES_EACH,
        NOW,
    )
    seeding = time.perf_counter() - started
    client = app.test_client()
    with client.session_transaction() as cookie:
        grant = CourseGrant(course_id, staff_ids[0], CourseRole.STAFF)
        cookie["grants"] = add_grant({}, grant, utcnow())  # as a launch leaves it
    pages = {
        "people (baseline)": f"/courses/{course_id}/people",
        "dashboard": f"/courses/{course_id}/dashboard",
        "dashboard.csv": f"/courses/{course_id}/dashboard.csv",
    }
    measured = {name: _measure(app, client, path) for name, path in pages.items()}
    baseline = measured["people (baseline)"][0]
    named = students * RESPONSES_EACH
    print(
        f"\n{app.extensions['rapport'].engine.dialect.name}: {students:,} students,"
        f" {seeded.rows['feedback_message']:,} messages, {named:,} check-in answers"
        f" (and {seeded.rows['checkin_response'] - named:,} to an anonymous one);"
        f" seeded in {seeding:.1f} s; medians of {REPEAT} or more"
    )
    print(f"  {'page':<20} {'statements':>10} {'median ms':>10} {'x baseline':>11}")
    for name, (seconds, statements) in measured.items():
        print(f"  {name:<20} {statements:>10} {seconds * 1000:>10.1f} {seconds / baseline:>11.1f}")
    app.extensions["rapport"].engine.dispose()


def main(students: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", students, Path(tmp))
        if os.environ.get("BENCH_DATABASE_URL"):
            run(os.environ["BENCH_DATABASE_URL"], students, Path(tmp))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000)
