"""Four staff pages that once grew with the course cost the same SQL statements, and answer
with about the same number of bytes, for 250 students as for 1,000 (issue 15): the bulk-start
form (groups and a page of the picker, searched or not) and its preview for every student,
the tutors page, the introductions and a check-in's overview over 10,000 answers. Each page
is paged or aggregated in SQL, so its response is bounded by the page, not the course."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from lti_tool.jobs import jobs
from lti_tool.models import Person
from tests.conftest import state
from tests.functional.dashboard.seed import seed_course
from tests.functional.roster.test_people import statements_for
from tests.newsfeed_flow import Clock, teacher, use_clock

SMALL, LARGE = 250, 1_000
MESSAGES_EACH, RESPONSES_EACH = 2, 10
NOW = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)
# The most statements each page may take (SQLite and PostgreSQL alike), as counted when this
# test was written, so that one more query per page shows up as a failure here.
MOST_STATEMENTS = {
    "bulk start": 7,
    "bulk start, searched": 8,
    "bulk start, preview for every student": 9,
    "tutors": 5,
    "tutors, page 2": 5,
    "introductions": 10,
    "check-in overview": 6,
}
GROWTH = 1.1  # a larger course may add digits to counts, never rows to a page


@dataclass
class Measured:
    statements: dict[str, int]
    sizes: dict[str, int]


def measure(app: Flask, url: str, platform: Any, size: int) -> Measured:
    context = f"course-{size}"
    staff = teacher(platform, url, context=context)
    teacher(platform, url, sub="second-tutor", name="Tomás Rivera", context=context)
    jobs(app).run_pending()
    course_id = int(staff.course.strip("/").split("/")[1])
    with state(app).sessions() as session:
        staff_ids = sorted(
            session.scalars(
                select(Person.id).where(Person.sub.in_(["teacher", "second-tutor"]))
            ).all()
        )
    started = time.perf_counter()
    seeded = seed_course(
        app, course_id, staff_ids, size, size * MESSAGES_EACH, size * RESPONSES_EACH, NOW
    )
    print(f"\n{size} students seeded in {time.perf_counter() - started:.1f} s: {seeded.rows}")
    staff.text("people")  # a first page, so no page below pays for the session's start
    words = {"title": "Hello {first_name}", "body": "Hi.", "to": "all", "csrf_token": staff.csrf()}
    preview = url + staff.course + "snippets/start/preview"
    asks = {
        "bulk start": lambda: staff.get("snippets/start"),
        "bulk start, searched": lambda: staff.get("snippets/start?q=a&page=2"),
        "bulk start, preview for every student": lambda: staff.http.post(preview, data=words),
        "tutors": lambda: staff.get("tutors"),
        "tutors, page 2": lambda: staff.get("tutors?page=2"),
        "introductions": lambda: staff.get("introductions"),
        "check-in overview": lambda: staff.get(f"checkins/{seeded.checkin_id}"),
    }
    counts, sizes, texts = {}, {}, {}
    for name, ask in asks.items():
        response, counts[name] = statements_for(app, ask)
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        sizes[name], texts[name] = len(response.content), response.text
    active = sum(1 for student in seeded.students.values() if student.active)
    assert f" of {active} students</a>" in texts["introductions"]  # seen by n of them
    assert f"Start {active:,} threads" in staff.http.post(preview, data=words).text
    return Measured(counts, sizes)


def test_four_staff_pages_cost_the_same_for_250_or_1000_students(tool, platform):
    app, url = tool
    use_clock(app, Clock(NOW))
    small, large = (measure(app, url, platform, size) for size in (SMALL, LARGE))
    print(f"\nSQL statements and bytes per page, {SMALL} and {LARGE} students:")
    for name in MOST_STATEMENTS:
        print(
            f"  {name}: {small.statements[name]} and {large.statements[name]} statements,"
            f" {small.sizes[name]:,} and {large.sizes[name]:,} bytes"
        )
    assert large.statements == small.statements
    over = {n: c for n, c in large.statements.items() if c > MOST_STATEMENTS[n]}
    assert over == {}, f"more statements than {MOST_STATEMENTS}"
    grown = {
        name: (small.sizes[name], large.sizes[name])
        for name in MOST_STATEMENTS
        if large.sizes[name] > small.sizes[name] * GROWTH
    }
    assert grown == {}, "a page grew with the course"
