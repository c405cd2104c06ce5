"""The triage list for 2,000 students by 10 occurrences renders with a bounded number of queries
(issues 6 and 15): the course-wide triage (its first and second pages, and kept to a tutor's
own tutees), one occurrence's triage, a check-in's overview and its "not answered" page cost
the same SQL statements for 20 students as for 2,000, and the top of the list at 2,000 by 10 is
in the issues' order (16: urgency first, "my tutees" a filter rather than an order)."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import insert, select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    FeedbackMessage,
    Membership,
    Occurrence,
    Person,
    ResponseStatus,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.checkins import urgency
from lti_tool.services.checkins.schedule import occurrences, parse_schedule
from lti_tool.services.checkins.service import CheckInForm, questions_from
from lti_tool.services.checkins.triage import PAGE_SIZE as TRIAGE_PAGE_SIZE
from tests.conftest import state
from tests.functional.checkins.test_checkins import WEEKLY
from tests.functional.roster.test_people import statements_for
from tests.newsfeed_flow import Clock, Visitor, teacher, use_clock

SMALL, LARGE = 20, 2_000
WEEKS = 10
PAGE = TRIAGE_PAGE_SIZE  # cards on the first page of the triage list
TUTEES = 5  # students whose personal tutor is the staff member looking
SKIPPED_LAST = 50  # every 50th student has not answered the 10th week (so "not answered" lists)
# Tuesday 30 March 2027, 12:00 UTC: all ten weeks have opened, the tenth is open (Monday 09:00
# BST + 72 h).
NOW = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)
# The most statements each page may take (SQLite and PostgreSQL alike), as counted when this
# test was written, so that one more query per page shows up as a failure here.
MOST_STATEMENTS = {
    "triage, all": 5,
    "triage, page 2": 5,
    "triage, my tutees": 5,
    "triage, 10th week": 7,
    "overview": 7,
    "not answered, 10th week": 7,
}
CATEGORIES = ("talk", "low", "drop", "rest")


@dataclass(frozen=True)
class Seeded:
    checkin: int
    weeks: list[int]  # occurrence ids, in order
    # response id → (tutee, status, category, score, drop) as the issue's order reads them
    facts: dict[int, tuple[bool, ResponseStatus, str, int, int]]


def course_id_of(visitor: Visitor) -> int:
    return int(visitor.course.strip("/").split("/")[1])


def answers_for(size: int, weeks: int) -> list[list[tuple[int, bool] | None]]:
    """Each student's (score, asked to talk) per week, or None for a week not answered: scores
    drift week to week, so there are low ones and drops; about 3 % ask to talk."""
    rng = random.Random(size)
    plan = []
    for n in range(size):
        score, weekly = rng.randint(2, 5), []
        for week in range(weeks):
            score = min(5, max(1, score + rng.choice((-2, -1, 0, 0, 1, 1))))
            missed = week == weeks - 1 and n % SKIPPED_LAST == 0
            weekly.append(None if missed else (score, rng.random() < 0.03))
        plan.append(weekly)
    return plan


def category(score: int, wants_talk: bool, previous: int | None) -> tuple[str, int]:
    """The issue's reading: a request to talk; else a low score (1 or 2); else a drop of 2 or
    more against the student's own previous answer; else the rest. With the drop."""
    drop = previous - score if previous is not None else 0
    if wants_talk:
        return "talk", drop
    if score <= 2:
        return "low", drop
    return ("drop" if drop >= 2 else "rest"), drop


def seed(app: Flask, course_id: int, size: int) -> Seeded:
    """`size` students, one weekly check-in of ten weeks as the form stores it, and each
    student's answers; a few students are the staff member's tutees; some requests to talk are
    already handled. Bulk inserts, one statement (batch) per table."""
    form = CheckInForm(
        title=WEEKLY["title"],
        scale_prompt=WEEKLY["scale_prompt"],
        low_label=WEEKLY["low_label"],
        high_label=WEEKLY["high_label"],
        text_prompt=WEEKLY["text_prompt"],
    )
    errors: dict[str, str] = {}
    questions = questions_from(form, errors)
    assert errors == {} and [q["kind"] for q in questions] == ["scale", "text", "talk"]
    schedule = parse_schedule(WEEKLY["first"], "7", str(WEEKS), "72", WEEKLY["time_zone"])
    with transaction(state(app).sessions) as session:
        staff_id, registration_id = session.execute(
            select(Person.id, Person.registration_id)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.course_id == course_id, Membership.role == CourseRole.STAFF)
        ).one()
        prefix = f"seeded-{course_id}-"
        session.execute(
            insert(Person),
            [
                {"registration_id": registration_id, "sub": f"{prefix}{n:04d}",
                 "name": f"Student {n:04d}", "email": f"s{n:04d}@example.edu",
                 "created_at": NOW, "updated_at": NOW}
                for n in range(size)
            ],
        )  # fmt: skip
        students = session.scalars(
            select(Person.id).where(Person.sub.startswith(prefix)).order_by(Person.sub)
        ).all()
        session.execute(
            insert(Membership),
            [
                {"course_id": course_id, "person_id": person_id, "role": CourseRole.STUDENT,
                 "active": True, "lti_roles": [], "created_at": NOW}
                for person_id in students
            ],
        )  # fmt: skip
        tutees = set(students[1 :: size // TUTEES][:TUTEES])
        session.execute(
            insert(TutorAllocation),
            [
                {"course_id": course_id, "student_id": s, "tutor_id": staff_id, "assigned_at": NOW}
                for s in sorted(tutees)
            ],
        )
        checkin = session.scalar(
            insert(CheckIn)
            .values(
                course_id=course_id, title=form.title, questions=questions,
                schedule=schedule.as_json(), anonymous=False, graded=False,
                created_by_id=staff_id, created_at=NOW - timedelta(days=70),
            )
            .returning(CheckIn.id)
        )  # fmt: skip
        times = occurrences(schedule)
        session.execute(
            insert(Occurrence),
            [
                {"checkin_id": checkin, "number": k + 1, "opens_at": o, "closes_at": c}
                for k, (o, c) in enumerate(times)
            ],
        )
        weeks = session.scalars(
            select(Occurrence.id)
            .where(Occurrence.checkin_id == checkin)
            .order_by(Occurrence.number)
        ).all()
        assert times[-1][0] <= NOW < times[-1][1], "the tenth week is open"
        rows, expected = [], {}
        for n, (student, plan) in enumerate(zip(students, answers_for(size, WEEKS), strict=True)):
            previous = None
            for k, answer in enumerate(plan):
                if answer is None:
                    continue
                score, talk = answer
                handled = talk and n % 4 == 0  # some requests to talk were dealt with already
                status = ResponseStatus.HANDLED if handled else ResponseStatus.NEW
                rows.append(
                    {"occurrence_id": weeks[k], "student_id": student,
                     "answers": {"scale": score, "text": f"Week {k + 1}, student {n}.",
                                 "talk": talk},
                     "score": score, "wants_talk": talk, "status": status,
                     "submitted_at": times[k][0] + timedelta(minutes=n % 600),
                     "updated_at": times[k][0] + timedelta(minutes=n % 600)}
                )  # fmt: skip
                kind, drop = category(score, talk, previous)
                expected[(weeks[k], student)] = (student in tutees, status, kind, score, drop)
                previous = score
        session.execute(insert(CheckInResponse), rows)
        urgency.refresh(session, course_id)  # as every bulk writer of responses does
        ids = session.execute(
            select(CheckInResponse.id, CheckInResponse.occurrence_id, CheckInResponse.student_id)
            .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
            .where(Occurrence.checkin_id == checkin)
        ).all()
    facts = {rid: expected[(occurrence, student)] for rid, occurrence, student in ids}
    assert checkin is not None
    return Seeded(checkin, list(weeks), facts)


def pages_of(seeded: Seeded) -> dict[str, str]:
    tenth = seeded.weeks[-1]
    return {
        "triage, all": "checkins/triage",
        "triage, page 2": "checkins/triage?page=2",
        "triage, 10th week": f"checkins/triage?occurrence={tenth}",
        "overview": f"checkins/{seeded.checkin}",
        "not answered, 10th week": f"checkins/occurrences/{tenth}/missing",
        "triage, my tutees": "checkins/triage?mine=1",  # last: the filter stays on after it
    }


@dataclass
class Measured:
    statements: dict[str, int]
    seconds: dict[str, float]
    shown: dict[str, str]
    seeded: Seeded


def measure(app: Flask, url: str, platform: Any, size: int) -> Measured:
    staff = teacher(platform, url, context=f"course-{size}")
    jobs(app).run_pending()  # no roster sync still running while statements are counted
    seeded = seed(app, course_id_of(staff), size)
    staff.text("checkins/")  # a first page, so no page below pays for the session's start
    counts, seconds, shown = {}, {}, {}
    for name, path in pages_of(seeded).items():
        started = time.perf_counter()
        response, counts[name] = statements_for(app, lambda p=path: staff.get(p))
        seconds[name] = time.perf_counter() - started
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        shown[name] = response.text
    return Measured(counts, seconds, shown, seeded)


def order_key(facts: tuple[bool, ResponseStatus, str, int, int]) -> tuple[Any, ...]:
    """The issues' order: not yet dealt with first; then requests to talk, the lowest scores
    (lowest first), the biggest drops (biggest first), the rest; tutees or not."""
    _, status, kind, score, drop = facts
    within = score if kind == "low" else -drop if kind == "drop" else 0
    return (status is not ResponseStatus.NEW, CATEGORIES.index(kind), within)


ROW = re.compile(
    r'<article class="card triage-row (\w+)(?: dealt)?" id="response-(\d+)"[^>]*>\s*'
    r'<header class="triage-head">\s*<h2 class="triage-name"[^>]*>([^<]*?)'
    r'( <span class="tag">your tutee</span>)?</h2>'
)


def assert_in_the_issues_order(
    page: str, facts: dict[int, tuple[Any, ...]], skipped: int = 0
) -> None:
    shown = ROW.findall(page)
    assert len(shown) == min(PAGE, len(facts) - skipped), "a full page"
    for kind, response, _, tutee in shown:  # the page says what the seed made each one
        assert (kind, bool(tutee)) == (facts[int(response)][2], facts[int(response)][0])
    keys = [order_key(facts[int(response)]) for _, response, _, _ in shown]
    assert keys == sorted(map(order_key, facts.values()))[skipped : skipped + len(shown)]
    waiting_talk = sum(1 for f in facts.values() if f[2] == "talk" and f[1] is ResponseStatus.NEW)
    assert f"<strong>{waiting_talk}</strong> asked to talk" in page
    assert f"<strong>{len(facts)}</strong> answers in all" in page


def test_check_in_pages_cost_the_same_statements_for_20_or_2000_students(tool, platform):
    app, url = tool
    use_clock(app, Clock(NOW))
    measured = {size: measure(app, url, platform, size) for size in (SMALL, LARGE)}
    large = measured[LARGE]
    print(f"\nSQL statements per page, {SMALL} and {LARGE} students, {WEEKS} weeks:")
    for name in MOST_STATEMENTS:
        print(
            f"  {name}: {measured[SMALL].statements[name]} and {large.statements[name]}"
            f" statements; {large.seconds[name]:.2f} s at {LARGE} students"
        )
    assert measured[SMALL].statements == large.statements
    over = {page: n for page, n in large.statements.items() if n > MOST_STATEMENTS[page]}
    assert over == {}, f"more statements than {MOST_STATEMENTS}"

    facts = large.seeded.facts
    assert len(facts) == LARGE * WEEKS - LARGE // SKIPPED_LAST
    assert_in_the_issues_order(large.shown["triage, all"], facts)
    tenth = large.seeded.weeks[-1]
    with state(app).sessions() as session:
        in_tenth = set(
            session.scalars(
                select(CheckInResponse.id).where(CheckInResponse.occurrence_id == tenth)
            )
        )
    assert_in_the_issues_order(
        large.shown["triage, 10th week"], {k: v for k, v in facts.items() if k in in_tenth}
    )
    assert_in_the_issues_order(large.shown["triage, page 2"], facts, skipped=PAGE)
    # Urgency first, whoever's tutee: every waiting request to talk, then the rest.
    first = ROW.findall(large.shown["triage, 10th week"])
    talks = sum(1 for k in in_tenth if facts[k][2] == "talk" and facts[k][1] is ResponseStatus.NEW)
    assert talks > 0
    expected = (["talk"] * talks + ["low"])[:PAGE]  # the page may hold requests to talk only
    assert [kind for kind, *_ in first[: len(expected)]] == expected
    # Kept to my tutees: theirs only, every one of them, in the same order.
    tutees = {k: v for k, v in facts.items() if v[0]}
    assert_in_the_issues_order(large.shown["triage, my tutees"], tutees)
    assert all(tutee for *_, tutee in ROW.findall(large.shown["triage, my tutees"]))
    missing = large.shown["not answered, 10th week"]
    assert f"{LARGE // SKIPPED_LAST} active students have not answered" in missing
    assert missing.count('name="student"') == LARGE // SKIPPED_LAST
    assert f"{LARGE - LARGE // SKIPPED_LAST} of {LARGE}" in large.shown["overview"]


def _course_of_silent_students(app: Flask, url: str, platform: Any, size: int) -> Any:
    """A course whose `size` students have not answered the first week of a check-in."""
    staff = teacher(platform, url, context=f"silent-{size}")
    jobs(app).run_pending()
    course = course_id_of(staff)
    created = staff.post("checkins/new", {**WEEKLY, "first": "2027-03-29T09:00"})
    checkin = int(re.search(r"/checkins/(\d+)", created.headers["Location"]).group(1))
    with transaction(state(app).sessions) as session:
        registration = session.scalars(select(Person.registration_id)).first()
        people = session.scalars(
            insert(Person).returning(Person.id),
            [{"registration_id": registration, "sub": f"q{size}-{n}", "name": f"Quiet {n}",
              "given_name": "Quiet"}
             for n in range(size)],
        ).all()  # fmt: skip
        session.execute(
            insert(Membership),
            [{"course_id": course, "person_id": p, "role": CourseRole.STUDENT} for p in people],
        )
        first = session.scalars(
            select(Occurrence.id)
            .where(Occurrence.checkin_id == checkin)
            .order_by(Occurrence.number)
        ).first()
    return staff, first, list(people)


def test_a_nudge_costs_the_same_statements_for_10_or_250_students(tool, platform):
    """The request records the nudge; a job writes the messages in chunks of bulk_run.CHUNK,
    so neither grows statement by statement with the students."""
    app, url = tool
    use_clock(app, Clock(NOW))
    counted, written = {}, 0
    for size in (10, 250):
        staff, first, people = _course_of_silent_students(app, url, platform, size)
        token = staff.csrf()
        answered, counted[size] = statements_for(
            app,
            lambda s=staff, f=first, p=people, t=token: s.http.post(
                s.url + s.course + f"checkins/occurrences/{f}/missing",
                data={"csrf_token": t, "student": p, "body": "Hello {first_name}"},
            ),
        )
        assert answered.status_code == 200 and f"Sending {size} personal" in answered.text
        _, job_statements = statements_for(app, jobs(app).run_pending)
        assert job_statements <= 12 * -(-size // 100) + 10  # per chunk, not per student
        written += size
        with transaction(state(app).sessions) as session:
            bodies = session.scalars(
                select(FeedbackMessage.body).where(FeedbackMessage.body == "Hello Quiet")
            ).all()
        assert len(bodies) == written  # one each, in their check-in conversation
    assert counted[10] == counted[250], counted
