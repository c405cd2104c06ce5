"""The triage order the database computes is the order triage had when it sorted every response
in Python (issue 15): page after page, with every filter, on a course built for ties — equal
scores, equal drops, answers submitted at the same moment, students who skipped weeks, answers
without a score, two named check-ins and an anonymous one, tutees of the viewer and of a
colleague, an ended allocation. The counts, previous answers and trends agree too."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    Membership,
    Occurrence,
    Person,
    Registration,
    ResponseStatus,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import triage as checkin_triage
from lti_tool.services.checkins import urgency
from tests.conftest import state
from tests.functional.dashboard.test_queries import LMS

T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
STUDENTS = 24
CATEGORIES = ("talk", "low", "drop", "rest")


@dataclass(frozen=True)
class Answer:
    """A response as the old triage read it, before any order."""

    id: int
    student_id: int
    checkin_id: int
    occurrence_id: int
    opens_at: datetime
    score: int | None
    wants_talk: bool
    status: ResponseStatus
    submitted_at: datetime


@dataclass
class TiedCourse:
    grant: CourseGrant
    checkins: dict[str, int]  # title → id
    occurrences: dict[str, list[int]]  # title → occurrence ids, in order
    answers: list[Answer]  # every named response
    tutees: set[int]
    tutors: dict[int, str]  # student → their current tutor's name


def build(app: Flask) -> TiedCourse:
    rng = random.Random(15)
    with transaction(state(app).sessions) as session:
        lms = Registration(**LMS)
        session.add(lms)
        session.flush()
        course = Course(registration_id=lms.id, context_id="ties")
        me, colleague = (Person(registration_id=lms.id, sub=s, name=s) for s in ("me", "them"))
        # Two students share a name; one has none at all.
        names = [f"Student {n % 20:02d}" if n != 7 else None for n in range(STUDENTS)]
        students = [
            Person(registration_id=lms.id, sub=f"s{n}", name=names[n]) for n in range(STUDENTS)
        ]
        session.add_all([course, me, colleague, *students])
        session.flush()
        session.add_all(
            Membership(course_id=course.id, person_id=p.id, role=CourseRole.STAFF)
            for p in (me, colleague)
        )
        session.add_all(
            Membership(course_id=course.id, person_id=p.id, role=CourseRole.STUDENT)
            for p in students
        )
        tutees = {p.id for p in students[:6]}
        tutors = {p.id: "me" if n < 6 else "them" for n, p in enumerate(students[:12])}
        for n, p in enumerate(students[:12]):
            session.add(
                TutorAllocation(
                    course_id=course.id,
                    student_id=p.id,
                    tutor_id=me.id if n < 6 else colleague.id,
                    assigned_at=T0,
                )
            )
        # Once mine, no longer: not a tutee.
        session.add(
            TutorAllocation(
                course_id=course.id,
                student_id=students[20].id,
                tutor_id=me.id,
                assigned_at=T0 - timedelta(days=30),
                ended_at=T0,
            )
        )
        checkins, occurrences = {}, {}
        plan = {"Weekly": (5, timedelta(days=7), False), "Fortnightly": (3, timedelta(days=14),
                False), "Anonymous": (2, timedelta(days=7), True)}  # fmt: skip
        for title, (weeks, every, anonymous) in plan.items():
            checkin = CheckIn(
                course_id=course.id, title=title, questions=[], schedule={}, anonymous=anonymous
            )
            session.add(checkin)
            session.flush()
            made = [
                Occurrence(
                    checkin_id=checkin.id,
                    number=k + 1,
                    opens_at=T0 + every * k + timedelta(hours=len(checkins)),
                    closes_at=T0 + every * k + timedelta(days=3),
                )
                for k in range(weeks)
            ]
            session.add_all(made)
            session.flush()
            checkins[title], occurrences[title] = checkin.id, [o.id for o in made]
            for occurrence in made:
                for p in students:
                    if rng.random() < 0.15:
                        continue  # skipped this one: the previous answer is an older one
                    session.add(
                        CheckInResponse(
                            occurrence_id=occurrence.id,
                            student_id=p.id,
                            answers={"text": f"{p.sub} on {occurrence.number}"},
                            score=rng.choice((1, 2, 3, 3, 4, 5, 5, None)),
                            wants_talk=rng.random() < 0.12,
                            status=rng.choice([*ResponseStatus, ResponseStatus.NEW]),
                            # Answers at the same moment: only the response's id tells them apart.
                            submitted_at=occurrence.opens_at + timedelta(hours=rng.choice((1, 2))),
                        )
                    )
        session.flush()
        urgency.refresh(session, course.id)  # written past the service, ranked as it would
        rows = session.scalars(select(CheckInResponse)).all()
        by_occurrence = {o.id: o for o in session.scalars(select(Occurrence))}
        anonymous = checkins["Anonymous"]
        answers = [
            Answer(
                r.id,
                r.student_id,
                by_occurrence[r.occurrence_id].checkin_id,
                r.occurrence_id,
                by_occurrence[r.occurrence_id].opens_at,
                r.score,
                r.wants_talk,
                ResponseStatus(r.status),
                r.submitted_at,
            )
            for r in rows
            if by_occurrence[r.occurrence_id].checkin_id != anonymous
        ]
        grant = CourseGrant(course.id, me.id, CourseRole.STAFF)
    return TiedCourse(grant, checkins, occurrences, answers, tutees, tutors)


def old_order(
    made: TiedCourse, checkin: int | None, occurrence: int | None, mine: bool = False
) -> tuple[list[int], dict[int, tuple[int | None, list[int | None]]], dict[str, int]]:
    """What triage showed when it sorted in Python, urgency first whoever's tutee (issue 16):
    the response ids in order, each one's previous answer and trend, and the waiting counts."""
    answers = [a for a in made.answers if checkin is None or a.checkin_id == checkin]
    history: dict[tuple[int, int], list[Answer]] = defaultdict(list)
    for a in sorted(answers, key=lambda a: a.opens_at):
        history[(a.student_id, a.checkin_id)].append(a)
    number = {o: k + 1 for ids in made.occurrences.values() for k, o in enumerate(ids)}
    previous: dict[int, int | None] = {}
    trends: dict[tuple[int, int], list[int | None]] = {}
    for key, theirs in history.items():
        for before, a in zip([None, *theirs], theirs, strict=False):
            previous[a.id] = before.score if before else None
        scores = {number[a.occurrence_id]: a.score for a in theirs}
        trends[key] = [scores.get(n) for n in range(1, max(scores) + 1)]

    def drop(a: Answer) -> int:
        before = previous[a.id]
        return 0 if a.score is None or before is None else before - a.score

    def category(a: Answer) -> str:
        if a.wants_talk:
            return "talk"
        if a.score is not None and a.score <= 2:
            return "low"
        return "drop" if drop(a) >= 2 else "rest"

    def key(a: Answer) -> tuple[object, ...]:
        return (
            a.status is not ResponseStatus.NEW,
            CATEGORIES.index(category(a)),
            a.score if a.score is not None else 6,
            -drop(a),
            a.submitted_at,
            a.id,
        )

    listed = [
        a
        for a in answers
        if (occurrence is None or a.occurrence_id == occurrence)
        and (not mine or a.student_id in made.tutees)
    ]
    listed.sort(key=key)
    waiting = dict.fromkeys(CATEGORIES, 0)
    for a in listed:
        if a.status is ResponseStatus.NEW:
            waiting[category(a)] += 1
    shown = {a.id: (previous[a.id], trends[(a.student_id, a.checkin_id)]) for a in listed}
    return [a.id for a in listed], shown, waiting


def test_the_sql_order_is_the_old_python_order_page_after_page(app, monkeypatch):
    made = build(app)
    monkeypatch.setattr(checkin_triage, "PAGE_SIZE", 7)  # many pages, many page boundaries
    weekly, fortnightly = made.checkins["Weekly"], made.checkins["Fortnightly"]
    filters: list[tuple[int | None, int | None]] = [
        (None, None),
        (weekly, None),
        (fortnightly, None),
        (None, made.occurrences["Weekly"][2]),
        (None, made.occurrences["Fortnightly"][0]),
        (None, made.occurrences["Weekly"][-1]),
    ]
    with state(app).sessions() as session:
        for (checkin, occurrence), mine in product(filters, (False, True)):
            order, facts, waiting = old_order(made, checkin, occurrence, mine)
            assert len(order) > (3 if mine else 14), "pages, and page boundaries"
            shown: list[Any] = []
            page = 1
            while True:
                got = checkin_triage.triage(session, made.grant, checkin, occurrence, page, mine)
                assert (got.total, got.waiting) == (len(order), waiting)
                shown += got.rows
                if not got.has_more:
                    break
                assert len(got.rows) == 7
                page += 1
            assert [r.response_id for r in shown] == order, (checkin, occurrence)
            assert {r.response_id: (r.previous, r.trend) for r in shown} == facts
            assert all(r.tutor == made.tutors.get(r.student_id) for r in shown)
            assert {r.response_id for r in shown if r.my_tutee} == {
                a.id for a in made.answers if a.student_id in made.tutees and a.id in facts
            }
            past = checkin_triage.triage(session, made.grant, checkin, occurrence, page + 1, mine)
            assert (past.rows, past.total, past.has_more) == ([], len(order), False)


def test_ties_are_there_to_be_broken(app):
    """The course above has what the comparison needs to mean something."""
    made = build(app)
    by_moment = defaultdict(list)
    for a in made.answers:
        by_moment[(a.status, a.score, a.submitted_at)].append(a)
    assert max(len(v) for v in by_moment.values()) >= 3
    assert any(a.score is None for a in made.answers)
    assert {a.status for a in made.answers} == set(ResponseStatus)


@pytest.mark.parametrize("role", [CourseRole.STUDENT, CourseRole.GUEST])
def test_only_staff_triage(app, role):
    made = build(app)
    grant = CourseGrant(made.grant.course_id, made.grant.person_id, role)
    with state(app).sessions() as session, pytest.raises(checkin_triage.CheckInRefused):
        checkin_triage.triage(session, grant)
