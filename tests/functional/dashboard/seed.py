"""A course as large as the relationship dashboard must serve (issue 7), written in bulk, and
what the dashboard should then say about each student, worked out here from what was written.

`seed_course` adds students (a few inactive, a few whose names the LMS withholds), tutors
shared out over the staff (a few students without one, some with an ended allocation),
feedback threads with conversations (personal messages, bulk messages that were answered and
bulk nudges that never were, students left waiting), a weekly check-in (scores drifting, some
requests to talk still open) and an anonymous one, introductions with staff replies (some
hidden, some under deleted posts) and flags. Seeded random, so every run writes the same course;
one INSERT per table, or per 10,000 rows; on PostgreSQL the tables are analysed afterwards.

`Expected` reads the contact definition independently of
`lti_tool.services.dashboard.contact`: a staff member's message in the student's thread counts,
an automated one only if the student wrote after it; a staff reply under the student's
introduction counts unless hidden or the introduction is deleted. A student waits from the
first of their messages that no person on the staff has answered since. Used by
tests/functional/dashboard/test_queries.py and by benchmarks/seed.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from lti_tool.db import transaction
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    Post,
    PostKind,
    Reply,
    ResponseStatus,
    StudentFlag,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.checkins import urgency
from lti_tool.services.checkins.schedule import occurrences, parse_schedule
from lti_tool.services.checkins.service import CheckInForm, questions_from

CHUNK = 10_000
FIRST = (
    "Amara", "Ben", "Chloé", "Dmitri", "Ebony", "Farid", "Grace", "Hiroshi", "Ines", "Jonah",
    "Kemi", "Luca", "Maya", "Nikhil", "Olga", "Pedro", "Qing", "Rosa", "Sami", "Tess",
)  # fmt: skip
LAST = (
    "Okafor", "Nguyen", "Schmidt", "Kowalski", "Haddad", "Silva", "Murphy", "Tanaka", "Ivanova",
    "Mensah", "García", "Lindqvist", "Osei", "Patel", "Rossi", "Novak", "Dubois", "Kim",
    "Ahmed", "O'Brien", "Müller", "Jensen", "Costa", "Walker", "Zhou",
)  # fmt: skip
TITLES = ("Your essay plan", "About your check-ins")
INACTIVE_EVERY, NO_TUTOR_EVERY, ENDED_TUTOR_EVERY = 97, 11, 13
NAMELESS_EVERY, FLAGGED_EVERY = 250, 41
ANALYZED = (
    "person", "membership", "tutor_allocation", "checkin", "checkin_occurrence",
    "checkin_response", "feedback_thread", "feedback_message", "post", "post_reply",
    "student_flag", "student_summary", "staff_answer",
)  # fmt: skip
FEEDBACK, CHECKIN_REPLY, POST_REPLY = "feedback", "check-in reply", "reply to their introduction"


@dataclass
class Expected:
    """One student as seeded, and what the dashboard should show about them."""

    number: int
    name: str | None
    email: str
    active: bool
    tutor_id: int | None = None
    flagged: bool = False
    scores: list[int] = field(default_factory=list)  # named check-in answers, week by week
    talk_requests: int = 0  # named check-in requests to talk nobody has dealt with
    contact_at: datetime | None = None
    contact_by: int | None = None
    contact_what: str = ""  # "feedback: Your essay plan"
    waiting_since: datetime | None = None

    def contacted(self, at: datetime, by: int, kind: str, about: str) -> None:
        if self.contact_at is None or at > self.contact_at:
            self.contact_at, self.contact_by, self.contact_what = at, by, f"{kind}: {about}"


@dataclass
class Seeded:
    course_id: int
    checkin_id: int
    students: dict[int, Expected]  # by person id
    rows: dict[str, int] = field(default_factory=dict)  # table → rows written
    threads: list[tuple[int, list[Message]]] = field(default_factory=list)  # (student, talk)


@dataclass(frozen=True)
class Message:
    author_id: int
    at: datetime
    automated: bool


def seed_course(
    app: Flask,
    course_id: int,
    staff_ids: Sequence[int],
    students: int,
    messages: int,
    responses: int,
    now: datetime,
) -> Seeded:
    """Write the course's students and their history; what the dashboard should say of them."""
    rng = random.Random(f"dashboard:{students}:{messages}:{responses}")
    with transaction(app.extensions["rapport"].sessions) as session:
        people = _students(session, course_id, students, now)
        seeded = Seeded(course_id, 0, people, {"person": students, "membership": students})
        _tutors(session, seeded, staff_ids, now)
        seeded.checkin_id = _checkins(session, seeded, staff_ids[0], responses, now, rng)
        _feedback(session, seeded, staff_ids, messages, now, rng)
        _introductions(session, seeded, staff_ids, now, rng)
        _flags(session, seeded, staff_ids[0], now)
    engine = app.extensions["rapport"].engine
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: without statistics the planner guesses
        # row counts for tables it has never looked at, and timings say nothing of production.
        with engine.begin() as connection:
            connection.execute(text(f"ANALYZE {', '.join(ANALYZED)}"))
    return seeded


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Core executemany on the model's table: without the ORM's bulk path's work per row."""
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model.__table__), rows[start : start + CHUNK])


def _students(session: Session, course_id: int, size: int, now: datetime) -> dict[int, Expected]:
    registration_id = session.scalar(select(Course.registration_id).where(Course.id == course_id))
    prefix = f"dashboard-{course_id}-"
    names = [
        None
        if n % NAMELESS_EVERY == NAMELESS_EVERY - 1
        else f"{FIRST[n % len(FIRST)]} {LAST[n // len(FIRST) % len(LAST)]}"
        for n in range(size)
    ]
    _insert(
        session,
        Person,
        [
            {"registration_id": registration_id, "sub": f"{prefix}{n:05d}", "name": names[n],
             "email": f"student{n:05d}.c{course_id}@example.edu", "created_at": now,
             "updated_at": now}
            for n in range(size)
        ],
    )  # fmt: skip
    ids = session.execute(
        select(Person.id, Person.sub).where(Person.sub.startswith(prefix)).order_by(Person.sub)
    ).all()
    people = {
        person_id: Expected(
            n, names[n], f"student{n:05d}.c{course_id}@example.edu", n % INACTIVE_EVERY != 96
        )
        for n, (person_id, _) in enumerate(ids)
    }
    _insert(
        session,
        Membership,
        [
            {"course_id": course_id, "person_id": person_id, "role": CourseRole.STUDENT,
             "active": e.active, "lti_roles": [], "created_at": now}
            for person_id, e in people.items()
        ],
    )  # fmt: skip
    return people


def _tutors(session: Session, seeded: Seeded, staff_ids: Sequence[int], now: datetime) -> None:
    """Tutors in turn over the staff; a few students without one; some changed tutor once."""
    rows = []
    for student_id, e in seeded.students.items():
        tutor = staff_ids[e.number % len(staff_ids)]
        if e.number % ENDED_TUTOR_EVERY == 0:
            before = staff_ids[(e.number + 1) % len(staff_ids)]
            rows.append(_allocation(seeded.course_id, student_id, before, now, ended=True))
        if e.number % NO_TUTOR_EVERY != NO_TUTOR_EVERY - 1:
            e.tutor_id = tutor
            rows.append(_allocation(seeded.course_id, student_id, tutor, now, ended=False))
    _insert(session, TutorAllocation, rows)
    seeded.rows["tutor_allocation"] = len(rows)


def _allocation(
    course_id: int, student: int, tutor: int, now: datetime, ended: bool
) -> dict[str, Any]:
    assigned = now - timedelta(days=80 if ended else 40)
    return {
        "course_id": course_id,
        "student_id": student,
        "tutor_id": tutor,
        "assigned_at": assigned,
        "ended_at": now - timedelta(days=40) if ended else None,
    }


def _checkins(
    session: Session,
    seeded: Seeded,
    staff_id: int,
    responses: int,
    now: datetime,
    rng: random.Random,
) -> int:
    """A weekly named check-in with `responses` answers in all, its latest week open now; and
    a one-off anonymous one (whose answers the dashboard must never show)."""
    size = len(seeded.students)
    weeks = max(10, -(-responses // max(size, 1)) + 2)
    named = _checkin(session, seeded.course_id, staff_id, now, weeks, anonymous=False)
    anonymous = _checkin(session, seeded.course_id, staff_id, now, 1, anonymous=True)
    each = [responses // size + (1 if n < responses % size else 0) for n in range(size)]
    rows = []
    for (student_id, e), count in zip(seeded.students.items(), each, strict=True):
        score = rng.randint(2, 5)
        for week in sorted(rng.sample(range(weeks), count)):
            score = min(5, max(1, score + rng.choice((-2, -1, 0, 0, 1, 1))))
            talk = rng.random() < 0.04
            status = rng.choice((ResponseStatus.NEW, ResponseStatus.NEW, ResponseStatus.HANDLED))
            rows.append(_response(named[week], student_id, score, talk, status, e.number))
            e.scores.append(score)
            e.talk_requests += talk and status is ResponseStatus.NEW
        if e.number % 3 == 0:  # anonymous: a low score and a request to talk, never shown
            rows.append(_response(anonymous[0], student_id, 1, True, ResponseStatus.NEW, 0))
    _insert(session, CheckInResponse, rows)
    urgency.refresh(session, seeded.course_id)  # triage's order, as the service would store it
    seeded.rows["checkin_occurrence"] = weeks + 1
    seeded.rows["checkin_response"] = len(rows)
    return named[0][2]


def _checkin(
    session: Session, course_id: int, staff_id: int, now: datetime, weeks: int, anonymous: bool
) -> list[tuple[int, datetime, int]]:
    """(occurrence id, opens at, check-in id) for each week, as the check-in form makes them."""
    errors: dict[str, str] = {}
    title = "Anonymous pulse" if anonymous else "Weekly check-in"
    form = CheckInForm(title, "How are you finding the course?", "Lost", "On top of it", "Why?")
    questions = questions_from(form, errors)
    first = (now - timedelta(days=7 * (weeks - 1) + 1)).strftime("%Y-%m-%dT%H:%M")
    schedule = parse_schedule(first, "7" if weeks > 1 else "0", str(weeks), "72", "UTC")
    assert errors == {}
    checkin_id = session.scalar(
        insert(CheckIn)
        .values(
            course_id=course_id, title=title, questions=questions,
            schedule=schedule.as_json(), anonymous=anonymous, graded=False,
            created_by_id=staff_id, created_at=now - timedelta(days=7 * weeks + 1),
        )
        .returning(CheckIn.id)
    )  # fmt: skip
    times = occurrences(schedule)
    assert times[-1][0] <= now < times[-1][1], "the latest week is open"
    _insert(
        session,
        Occurrence,
        [
            {"checkin_id": checkin_id, "number": k + 1, "opens_at": o, "closes_at": c}
            for k, (o, c) in enumerate(times)
        ],
    )
    ids = session.scalars(
        select(Occurrence.id).where(Occurrence.checkin_id == checkin_id).order_by(Occurrence.number)
    ).all()
    assert checkin_id is not None
    return [
        (occurrence, opens, checkin_id) for occurrence, (opens, _) in zip(ids, times, strict=True)
    ]


def _response(
    week: tuple[int, datetime, int],
    student_id: int,
    score: int,
    talk: bool,
    status: ResponseStatus,
    number: int,
) -> dict[str, Any]:
    at = week[1] + timedelta(minutes=number % 600)
    return {
        "occurrence_id": week[0], "student_id": student_id, "score": score, "wants_talk": talk,
        "answers": {"scale": score, "text": f"Student {number}: a {score} this week.",
                    "talk": talk},
        "status": status, "submitted_at": at, "updated_at": at,
    }  # fmt: skip


def _feedback(
    session: Session,
    seeded: Seeded,
    staff_ids: Sequence[int],
    messages: int,
    now: datetime,
    rng: random.Random,
) -> None:
    """One or two threads for most students (none for about one in twelve), `messages` in
    all; the second thread answers the student's check-ins for most who have one."""
    planned: list[tuple[int, str, int | None]] = []
    for student_id in seeded.students:
        draw = rng.random()
        for k in range(0 if draw < 0.08 else 2 if draw > 0.7 else 1):
            checkin = seeded.checkin_id if k == 1 and rng.random() < 0.6 else None
            planned.append((student_id, TITLES[k], checkin))
    planned = planned[: max(messages, 0)]
    counts = [1] * len(planned)
    for _ in range(messages - len(planned)):
        counts[rng.randrange(len(planned))] += 1
    talks = [
        _conversation(student, staff_ids, count, now, rng)
        for (student, _, _), count in zip(planned, counts, strict=True)
    ]
    _insert(
        session,
        FeedbackThread,
        [
            {"course_id": seeded.course_id, "student_id": student, "title": title,
             "checkin_id": checkin, "started_by_id": talk[0].author_id,
             "created_at": talk[0].at, "last_message_at": talk[-1].at,
             "last_author_id": talk[-1].author_id}
            for (student, title, checkin), talk in zip(planned, talks, strict=True)
        ],
    )  # fmt: skip
    thread_ids = {
        (student, title): thread
        for thread, student, title in session.execute(
            select(FeedbackThread.id, FeedbackThread.student_id, FeedbackThread.title).where(
                FeedbackThread.course_id == seeded.course_id
            )
        )
    }
    rows = []
    for (student, title, checkin), talk in zip(planned, talks, strict=True):
        seeded.threads.append((student, talk))
        _expect_from_thread(seeded.students[student], student, title, checkin, talk)
        thread = thread_ids[(student, title)]
        rows += [
            {"thread_id": thread, "author_id": m.author_id, "body": f"Message {k}.",
             "body_html": f"<p>Message {k}.</p>", "created_at": m.at, "automated": m.automated}
            for k, m in enumerate(talk)
        ]  # fmt: skip
    _insert(session, FeedbackMessage, rows)
    seeded.rows["feedback_thread"], seeded.rows["feedback_message"] = len(planned), len(rows)


def _conversation(
    student: int, staff_ids: Sequence[int], count: int, now: datetime, rng: random.Random
) -> list[Message]:
    """A thread's messages in order: staff start it (often with a bulk message); then turns.
    Some threads are bulk nudges only, which the student never answers. A nudge never follows
    the student's own message here: whether it answers them is pinned apart, in
    test_dashboard_queries.py."""
    end = now - timedelta(hours=rng.uniform(0.5, 24 * 45))
    start = end - timedelta(hours=rng.uniform(1, 24 * 45))
    times = sorted(start + (end - start) * rng.random() for _ in range(count))
    nudges_only = rng.random() < 0.12
    writer = staff_ids[rng.randrange(len(staff_ids))]
    talk = [Message(writer, times[0], nudges_only or rng.random() < 0.4)]
    for at in times[1:]:
        staff_last = talk[-1].author_id != student
        if nudges_only or rng.random() < (0.45 if staff_last else 0.6):
            writer = staff_ids[rng.randrange(len(staff_ids))]
            automated = nudges_only or (staff_last and rng.random() < 0.1)
            talk.append(Message(writer, at, automated))
        else:
            talk.append(Message(student, at, False))
    return talk


def _expect_from_thread(
    e: Expected, student: int, title: str, checkin: int | None, talk: list[Message]
) -> None:
    answered = max((m.at for m in talk if m.author_id == student), default=None)
    for m in talk:
        if m.author_id != student and (not m.automated or (answered and m.at < answered)):
            e.contacted(m.at, m.author_id, CHECKIN_REPLY if checkin else FEEDBACK, title)
    waiting = None  # since the first of their messages that no person has answered yet
    for m in reversed(talk):
        if m.author_id != student and not m.automated:
            break
        if m.author_id == student:
            waiting = m.at
    if waiting and (e.waiting_since is None or waiting < e.waiting_since):
        e.waiting_since = waiting


def _introductions(
    session: Session, seeded: Seeded, staff_ids: Sequence[int], now: datetime, rng: random.Random
) -> None:
    """Two in five students introduced themselves (a few deleted it since); staff replied under
    half (hiding a few replies), classmates under some."""
    authors = [s for s in seeded.students if rng.random() < 0.4]
    posted = {s: now - timedelta(days=rng.uniform(1, 80)) for s in authors}
    deleted = {s for s in authors if rng.random() < 0.05}
    _insert(
        session,
        Post,
        [
            {"course_id": seeded.course_id, "author_id": s, "kind": PostKind.STUDENT_INTRODUCTION,
             "title": None, "body": "Hello, everyone!", "body_html": "<p>Hello, everyone!</p>",
             "draft": False, "pinned": False, "publish_at": posted[s], "created_at": posted[s],
             "deleted_at": now if s in deleted else None}
            for s in authors
        ],
    )  # fmt: skip
    post_ids = dict(
        session.execute(
            select(Post.author_id, Post.id).where(
                Post.course_id == seeded.course_id, Post.kind == PostKind.STUDENT_INTRODUCTION
            )
        ).all()
    )
    rows = []
    others = list(seeded.students)
    for s in authors:
        draws = (rng.random(), rng.random(), rng.random())
        at = posted[s] + (now - posted[s]) * draws[1]
        if draws[0] < 0.5:
            hidden = draws[2] < 0.1
            by = staff_ids[rng.randrange(len(staff_ids))]
            rows.append(_reply(post_ids[s], by, at, now if hidden else None))
            if not hidden and s not in deleted:
                seeded.students[s].contacted(at, by, POST_REPLY, "Their introduction")
        if draws[2] < 0.3:  # a classmate's welcome: not contact from the course team
            rows.append(_reply(post_ids[s], others[rng.randrange(len(others))], now, None))
    _insert(session, Reply, rows)
    seeded.rows["post"], seeded.rows["post_reply"] = len(authors), len(rows)


def _reply(post: int, author: int, at: datetime, hidden: datetime | None) -> dict[str, Any]:
    return {
        "post_id": post, "author_id": author, "body": "Welcome!", "body_html": "<p>Welcome!</p>",
        "created_at": at, "hidden_at": hidden,
    }  # fmt: skip


def _flags(session: Session, seeded: Seeded, staff_id: int, now: datetime) -> None:
    flagged = [s for s, e in seeded.students.items() if e.number % FLAGGED_EVERY == 1]
    for s in flagged:
        seeded.students[s].flagged = True
    _insert(
        session,
        StudentFlag,
        [
            {"course_id": seeded.course_id, "student_id": s, "flagged_by_id": staff_id,
             "flagged_at": now}
            for s in flagged
        ],
    )  # fmt: skip
    seeded.rows["student_flag"] = len(flagged)


def iso(moment: datetime | None) -> str:
    """As the CSV writes a moment: UTC, to the second."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def active(seeded: Seeded) -> Iterator[tuple[int, Expected]]:
    return ((s, e) for s, e in seeded.students.items() if e.active)


def response_times(seeded: Seeded, now: datetime, window: timedelta) -> list[timedelta]:
    """How long the students waited for each answer a person gave within the window: from the
    first of a student's messages nobody had answered to the next staff message that is not
    automated, in any student's thread (active or not)."""
    times = []
    for student, talk in seeded.threads:
        asked = None
        for m in talk:
            if m.author_id == student:
                asked = asked or m.at
            elif asked and not m.automated:
                if m.at >= now - window:
                    times.append(m.at - asked)
                asked = None
    return times
