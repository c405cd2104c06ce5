"""What each response stores for triage's order (its previous score, its rank, the lists it is
in) and each week's tallies always equal a recomputation from the answers alone, after every
kind of write: a first answer, an edit, the next week's answer, a staff reply, a response
marked handled, an anonymous check-in's answer, and an earlier week corrected (issue 15)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

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
)
from lti_tool.models.checkins import TriageTally
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import replies, service, urgency
from lti_tool.services.checkins.schedule import parse_schedule
from lti_tool.services.checkins.service import CheckInForm
from lti_tool.services.course_settings import course_settings
from tests.conftest import state
from tests.functional.dashboard.test_queries import LMS

T0 = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)  # an hour after the first week opens


def recomputed(session: Session) -> tuple[dict[int, tuple[Any, ...]], Counter[tuple[int, int]]]:
    """From the answers alone, in Python: each response's previous score, rank and lists, and
    the weeks' tallies."""
    rows = session.execute(
        select(CheckInResponse, Occurrence, CheckIn)
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .order_by(Occurrence.opens_at)
    ).all()
    last: dict[tuple[int, int], int | None] = defaultdict(lambda: None)
    stored, tallies = {}, Counter[tuple[int, int]]()
    for r, o, c in rows:
        previous = last[(r.student_id, c.id)]
        last[(r.student_id, c.id)] = r.score
        drop = 0 if r.score is None or previous is None else previous - r.score
        low = r.score is not None and r.score <= 2
        category = 0 if r.wants_talk else 1 if low else 2 if drop >= 2 else 3
        dealt = 0 if r.status is ResponseStatus.NEW else 1000
        rank = dealt + 100 * category + 10 * (r.score or 6) + 5 - drop
        course = None if c.anonymous else c.course_id
        stored[r.id] = (previous, rank, course, c.id)
        if course is not None:
            tallies[(o.id, rank // 100)] += 1
    return stored, tallies


def kept(session: Session) -> tuple[dict[int, tuple[Any, ...]], Counter[tuple[int, int]]]:
    stored = {
        r.id: (r.previous_score, r.triage_rank, r.triage_course_id, r.triage_checkin_id)
        for r in session.scalars(select(CheckInResponse))
    }
    tallies = Counter(
        {(t.occurrence_id, t.bucket): t.responses for t in session.scalars(select(TriageTally))}
    )
    return stored, +tallies  # buckets emptied by a move hold 0: no bucket at all


def test_what_triage_stores_equals_a_recomputation_after_every_kind_of_write(app: Flask) -> None:
    sessions = state(app).sessions
    with transaction(sessions) as session:
        lms = Registration(**LMS)
        session.add(lms)
        session.flush()
        course = Course(registration_id=lms.id, context_id="urgency")
        staff = Person(registration_id=lms.id, sub="staff", name="Tess")
        students = [Person(registration_id=lms.id, sub=f"s{n}", name=f"S{n}") for n in range(3)]
        session.add_all([course, staff, *students])
        session.flush()
        session.add(Membership(course_id=course.id, person_id=staff.id, role=CourseRole.STAFF))
        session.add_all(
            Membership(course_id=course.id, person_id=p.id, role=CourseRole.STUDENT)
            for p in students
        )
        session.flush()
        course_id, staff_id, ids = course.id, staff.id, [p.id for p in students]
        grant = CourseGrant(course_id, staff_id, CourseRole.STAFF)
        schedule = parse_schedule("2027-02-01T09:00", "7", "4", "72", "UTC")
        form = CheckInForm("Weekly", "How is it going?", text_prompt="Why?")
        weekly = service.create_checkin(session, grant, form, schedule, T0)
        pulse = service.create_checkin(
            session, grant, CheckInForm("Pulse", "Mood?", anonymous=True), schedule, T0
        )
        weeks = {
            c.id: session.scalars(
                select(Occurrence.id)
                .where(Occurrence.checkin_id == c.id)
                .order_by(Occurrence.number)
            ).all()
            for c in (weekly, pulse)
        }
        weekly_id, pulse_id = weekly.id, pulse.id

    writes = 0

    def write(action: Any) -> None:
        nonlocal writes
        with transaction(sessions) as session:
            action(session)
        with sessions() as session:
            assert kept(session) == recomputed(session), f"after write {writes}"
        writes += 1

    def answering(n: int, week: int, when: datetime, **form: str) -> Any:
        student = CourseGrant(course_id, ids[n], CourseRole.STUDENT)
        occurrence = weeks[weekly_id][week]
        return lambda s: service.answer(s, student, occurrence, form, when)

    write(answering(0, 0, T0, scale="4"))  # a first answer
    write(answering(1, 0, T0, scale="2", talk="yes"))
    write(answering(2, 0, T0, scale="5"))
    write(answering(0, 0, T0 + timedelta(hours=1), scale="5"))  # an edit
    week2 = T0 + timedelta(days=7)
    write(answering(0, 1, week2, scale="3"))  # the next week: a drop of 2
    write(answering(2, 1, week2, scale="5"))
    write(answering(2, 1, week2 + timedelta(hours=2), scale="1"))  # edited: low, and a drop
    write(answering(1, 1, week2, scale="4"))
    pulse_answer = CourseGrant(course_id, ids[0], CourseRole.STUDENT)
    write(lambda s: service.answer(s, pulse_answer, weeks[pulse_id][1], {"scale": "1"}, week2))

    def first_response(session: Session, student: int, week: int) -> int:
        return session.scalars(
            select(CheckInResponse.id).where(
                CheckInResponse.student_id == ids[student],
                CheckInResponse.occurrence_id == weeks[weekly_id][week],
            )
        ).one()

    settings = {}
    with sessions() as session:
        settings = dict(course_settings(session, course_id))
    write(
        lambda s: replies.answer_response(
            s, grant, first_response(s, 2, 1), "Shall we talk?", settings, week2
        )
    )
    write(lambda s: replies.handle_response(s, grant, first_response(s, 1, 0), week2))

    def corrected(session: Session) -> None:
        """An earlier week's score set straight past the service: refreshing that student
        moves the next week's drop and rank too."""
        session.execute(
            update(CheckInResponse)
            .where(CheckInResponse.id == first_response(session, 0, 0))
            .values(score=1)
        )
        urgency.refresh(session, course_id, weekly_id, ids[0])

    write(corrected)
    with sessions() as session:
        stored, tallies = kept(session)
        later = stored[first_response(session, 0, 1)]
        assert later[0] == 1 and later[1] // 100 == 3, "week 2 rose from 1: no drop, the rest"
        assert sum(tallies.values()) == 6, "the anonymous answer is in no list"
        # A request to talk handled (10), a low score answered (11), one waiting (1), the rest.
        assert {b for _, b in tallies} == {1, 3, 10, 11}
