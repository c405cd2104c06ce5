"""The relationship dashboard costs the same SQL statements for 50 students as for 5,000 with
100,000 messages and 50,000 check-in answers (issue 7): the page as it opens, the students
outside the contact goal by longest wait, one tutor's students found by name, and the CSV.
At both sizes the CSV says of every student what the contact definition, read independently
in tests/functional/dashboard/seed.py, says of what was seeded, and the filters and the summary
(within the goal overall and per tutor, waits, staff's time to reply) count the same. A bulk
nudge after a student's message, which the seed leaves out, is checked on its own."""

from __future__ import annotations

import csv
import html
import io
import re
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from lti_tool.dates import format_span
from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import (
    Course,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Person,
    Registration,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins.sparkline import trend
from lti_tool.services.dashboard.service import PAGE_SIZE, dashboard
from lti_tool.services.dashboard.settings import GOAL_DAYS
from lti_tool.services.feedback.settings import ALL_STAFF, VISIBILITY
from tests.conftest import state
from tests.functional.dashboard.seed import (
    LAST,
    Expected,
    Seeded,
    active,
    iso,
    response_times,
    seed_course,
)
from tests.functional.roster.test_people import statements_for
from tests.newsfeed_flow import Clock, teacher, use_clock

SMALL, LARGE = 50, 5_000
MESSAGES_EACH, RESPONSES_EACH = 20, 10
GOAL = timedelta(days=14)  # the course setting's default
NOW = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)
SEARCHED = LAST[1].upper()  # "NGUYEN": students 20 to 39 of every 500
# The most statements each page may take (SQLite and PostgreSQL alike): the page's grant and
# course, the figures at the top (per tutor with the count the view shows; the middle waits;
# the replies of the last 30 days, counted and their middle ones), the page of students,
# "contact next", their staff's names and what is unread, the navigation's unread count.
# The CSV is one streamed query.
MOST_STATEMENTS = {
    "dashboard": 10,
    "outside the goal, longest wait first": 10,
    "one tutor, by name": 10,
    "everyone by name, page 2": 10,
    "never contacted": 10,
    "waiting, longest first": 10,
    "flagged, longest without contact first": 10,
    "CSV": 2,
}
LMS = {
    "issuer": "https://lms.example.edu",
    "client_id": "c",
    "auth_login_url": "https://lms.example.edu/a",
    "auth_token_url": "https://lms.example.edu/t",
}
SHOWN = re.compile(r'<p class="muted" role="status">(\d+) students?</p>')


@dataclass
class Measured:
    statements: dict[str, int]
    seconds: dict[str, float]
    shown: dict[str, str]
    seeded: Seeded
    tutor_id: int
    staff_names: dict[int, str]


def pages(tutor_id: int) -> dict[str, str]:
    return {
        "dashboard": "dashboard",
        "outside the goal, longest wait first": "dashboard?show=outside&sort=waiting",
        "one tutor, by name": f"dashboard?tutor={tutor_id}&q={SEARCHED}",
        "everyone by name, page 2": "dashboard?sort=name&page=2",
        "never contacted": "dashboard?show=never",
        "waiting, longest first": "dashboard?show=waiting&sort=waiting",
        "flagged, longest without contact first": "dashboard?show=flagged&sort=days",
        "CSV": "dashboard.csv",
    }


def measure(app: Flask, url: str, platform: Any, size: int) -> Measured:
    context = f"course-{size}"
    staff = teacher(platform, url, context=context)
    teacher(platform, url, sub="second-tutor", name="Tomás Rivera", context=context)
    jobs(app).run_pending()  # no roster sync still running while statements are counted
    course_id = int(staff.course.strip("/").split("/")[1])
    with state(app).sessions() as session:
        staff_names = {
            person_id: name or ""
            for person_id, name in session.execute(
                select(Person.id, Person.name).where(Person.sub.in_(["teacher", "second-tutor"]))
            )
        }
    tutor_id = next(i for i, name in staff_names.items() if name == "Tomás Rivera")
    started = time.perf_counter()
    seeded = seed_course(
        app, course_id, sorted(staff_names), size, size * MESSAGES_EACH, size * RESPONSES_EACH, NOW
    )
    print(f"\n{size} students seeded in {time.perf_counter() - started:.1f} s: {seeded.rows}")
    staff.text("people")  # a first page, so no page below pays for the session's start
    counts, seconds, shown = {}, {}, {}
    for name, path in pages(tutor_id).items():
        started = time.perf_counter()
        response, counts[name] = statements_for(app, lambda p=path, v=staff: v.get(p))
        seconds[name] = time.perf_counter() - started
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        if name == "CSV":  # streamed as it is read: no length known beforehand
            assert "Content-Length" not in response.headers
        shown[name] = response.text
    return Measured(counts, seconds, shown, seeded, tutor_id, staff_names)


def expected_csv(m: Measured) -> dict[str, list[str]]:
    """Each active student's CSV row by email, as the seed says it should read."""
    rows = {}
    for _, e in active(m.seeded):
        days = "" if e.contact_at is None else str((NOW - e.contact_at).days)
        scores = e.scores[-6:]
        rows[e.email] = [
            m.staff_names.get(e.tutor_id or 0, ""),
            iso(e.contact_at),
            m.staff_names[e.contact_by] if e.contact_by else "",
            e.contact_what,
            days,
            trend(scores),
            str(scores[-1]) if scores else "",
            str(e.talk_requests),
            iso(e.waiting_since),
            "yes" if e.flagged else "",
        ]
    return rows


def assert_the_csv_reads_as_seeded(m: Measured) -> None:
    lines = list(csv.reader(io.StringIO(m.shown["CSV"].lstrip("\ufeff"))))
    assert lines[0][:2] == ["student", "email"]
    # What the viewer has not read depends on who looks; the seed works out the rest.
    unread = lines[0].index("unread from them")
    shown = {line[1]: line[2:unread] + line[unread + 1 :] for line in lines[1:]}
    expected = expected_csv(m)
    assert shown.keys() == expected.keys(), "every active student once, nobody else"
    wrong = {email: (shown[email], row) for email, row in expected.items() if shown[email] != row}
    assert wrong == {}, f"{len(wrong)} of {len(expected)} differ, e.g. {next(iter(wrong.items()))}"


def assert_the_filters_count_as_seeded(m: Measured) -> None:
    def within(at: datetime | None) -> bool:
        return at is not None and NOW - at <= GOAL

    students = [e for _, e in active(m.seeded)]
    outside = sum(1 for e in students if not within(e.contact_at))
    found = sum(
        1
        for e in students
        if e.tutor_id == m.tutor_id and e.name and SEARCHED.casefold() in e.name.casefold()
    )
    counts = {name: int(SHOWN.findall(page)[0]) for name, page in m.shown.items() if name != "CSV"}
    assert counts == {
        "dashboard": len(students),
        "outside the goal, longest wait first": outside,
        "one tutor, by name": found,
        "everyone by name, page 2": len(students),
        "never contacted": sum(1 for e in students if e.contact_at is None),
        "waiting, longest first": sum(1 for e in students if e.waiting_since),
        "flagged, longest without contact first": sum(1 for e in students if e.flagged),
    }
    assert 0 < found < outside < len(students)


def names_on(page: str) -> list[str]:
    table = page.split('class="stack dashboard-table"', 1)[1]
    return [html.unescape(name) for name in re.findall(r"<td><strong>([^<]+)</strong>", table)]


def assert_the_sorts_order_as_seeded(m: Measured) -> None:
    """Sorted by name, casefolded (page 2 where the course has one); the longest waiting
    first; the longest without contact first, the never contacted before them."""
    students = [(person, e) for person, e in active(m.seeded)]

    def name(e: Expected) -> str:
        return e.name or e.email

    by_name = sorted(students, key=lambda pe: (name(pe[1]).casefold(), pe[0]))
    second = by_name[PAGE_SIZE : 2 * PAGE_SIZE]
    assert names_on(m.shown["everyone by name, page 2"]) == [name(e) for _, e in second]
    waiting = sorted(
        (pe for pe in students if pe[1].waiting_since),
        key=lambda pe: (pe[1].waiting_since, name(pe[1]).casefold(), pe[0]),
    )
    assert names_on(m.shown["waiting, longest first"]) == [name(e) for _, e in waiting[:PAGE_SIZE]]
    flagged = sorted(
        (pe for pe in students if pe[1].flagged),
        key=lambda pe: (
            pe[1].contact_at is not None,
            pe[1].contact_at or NOW,
            name(pe[1]).casefold(),
            pe[0],
        ),
    )
    shown = names_on(m.shown["flagged, longest without contact first"])
    assert shown == [name(e) for _, e in flagged[:PAGE_SIZE]]


def days(span: timedelta | None) -> str:
    """A span as the page writes it (the one formatter's words, in English)."""
    return "—" if span is None else format_span(span)


def median(spans: list[timedelta]) -> timedelta | None:
    seconds = sorted(s.total_seconds() for s in spans)
    return timedelta(seconds=statistics.median(seconds)) if seconds else None


def percent(part: int, whole: int) -> int:
    return round(part / whole * 100) if whole else 0


def assert_the_summary_reads_as_seeded(m: Measured) -> None:
    """Contacted within the goal (overall and per tutor), who waits and for how long, and how
    fast staff answered over the last 30 days: as the seed says."""
    students = [e for _, e in active(m.seeded)]
    within = {e.number for e in students if e.contact_at is not None and NOW - e.contact_at <= GOAL}
    waits = [NOW - e.waiting_since for e in students if e.waiting_since]
    replies = response_times(m.seeded, NOW, timedelta(days=30))
    page = m.shown["dashboard"]
    stats = " ".join(re.sub(r"<[^>]+>", "", page.split('<ul class="stats">')[1]).split())
    assert stats.startswith(
        f"{percent(len(within), len(students))}% contacted within 14 days"
        f" ({len(within)} of {len(students)})"
        f" {len(waits)} waiting for a reply: median {days(median(waits))},"
        f" longest {days(max(waits))}"
        f" {days(median(replies))} staff's median time to reply, last 30 days"
        f" ({len(replies)} replies)"
    ), stats[:400]
    print(f"  {len(students)} students: {stats[: stats.index(' replies)') + 8]}")
    per_tutor: dict[str, list[bool]] = {}
    for e in students:
        name = m.staff_names.get(e.tutor_id or 0, "No tutor")
        per_tutor.setdefault(name, []).append(e.number in within)
    shown = re.findall(
        r'<tr><td>([^<]+)</td><td data-label="Students">(\d+)</td>'
        r'<td data-label="Within 14 days">(\d+) \((\d+)%\)</td></tr>',
        page,
    )
    assert shown == [
        (name, str(len(flags)), str(sum(flags)), str(percent(sum(flags), len(flags))))
        for name, flags in sorted(per_tutor.items(), key=lambda kv: kv[0].casefold())
    ]


def test_the_dashboard_costs_the_same_statements_for_50_or_5000_students(tool, platform):
    app, url = tool
    use_clock(app, Clock(NOW))
    measured = {size: measure(app, url, platform, size) for size in (SMALL, LARGE)}
    large = measured[LARGE]
    print(f"\nSQL statements per page, {SMALL} and {LARGE} students:")
    for name in MOST_STATEMENTS:
        print(
            f"  {name}: {measured[SMALL].statements[name]} and {large.statements[name]}"
            f" statements; {measured[SMALL].seconds[name]:.2f} s and"
            f" {large.seconds[name]:.2f} s"
        )
    for m in measured.values():
        assert_the_csv_reads_as_seeded(m)
        assert_the_filters_count_as_seeded(m)
        assert_the_sorts_order_as_seeded(m)
        assert_the_summary_reads_as_seeded(m)
    assert large.seeded.rows["feedback_message"] == LARGE * MESSAGES_EACH
    assert measured[SMALL].statements == large.statements
    over = {page: n for page, n in large.statements.items() if n > MOST_STATEMENTS[page]}
    assert over == {}, f"more statements than {MOST_STATEMENTS}"


def test_a_nudge_after_a_students_message_answers_nobody(app):
    """A check-in nudge (or a bulk start reusing the thread) lands after a student's question:
    the student still waits for a person, and staff's time to reply runs to the personal
    answer, not to the nudge."""
    with transaction(state(app).sessions) as session:
        lms = Registration(**LMS)
        session.add(lms)
        session.flush()
        course = Course(registration_id=lms.id, context_id="c1")
        staff, ada, ben = (Person(registration_id=lms.id, sub=s, name=s) for s in "sab")
        session.add_all([course, staff, ada, ben])
        session.flush()
        roles = {staff: CourseRole.STAFF, ada: CourseRole.STUDENT, ben: CourseRole.STUDENT}
        for person, role in roles.items():
            session.add(Membership(course_id=course.id, person_id=person.id, role=role))
        # (author, days ago, automated): Ada asks, a nudge comes, then a personal answer 4 days
        # after she asked; Ben asks and gets only a nudge.
        talks: dict[Person, list[tuple[Person, float, bool]]] = {
            ada: [(staff, 10, False), (ada, 9, False), (staff, 8.9, True), (staff, 5, False)],
            ben: [(staff, 6, False), (ben, 3, False), (staff, 2, True)],
        }
        for student, talk in talks.items():
            last_author, last_ago, _ = talk[-1]
            thread = FeedbackThread(
                course_id=course.id,
                student_id=student.id,
                title="Week 1",
                last_message_at=NOW - timedelta(days=last_ago),
                last_author_id=last_author.id,
            )
            session.add(thread)
            session.flush()
            session.add_all(
                FeedbackMessage(
                    thread_id=thread.id,
                    author_id=author.id,
                    body="…",
                    body_html="<p>…</p>",
                    automated=automated,
                    created_at=NOW - timedelta(days=ago),
                )
                for author, ago, automated in talk
            )
        grant = CourseGrant(course.id, staff.id, CourseRole.STAFF)
        page = dashboard(session, grant, {GOAL_DAYS: 14, VISIBILITY: ALL_STAFF}, NOW)
        waiting = {row.name: row.waiting_since for row in page.rows}
        asked, replied = NOW - timedelta(days=9), NOW - timedelta(days=5)
        assert (page.summary.median_response, page.summary.responses_measured) == (
            replied - asked,
            1,
        )
        assert waiting == {"a": None, "b": NOW - timedelta(days=3)}
