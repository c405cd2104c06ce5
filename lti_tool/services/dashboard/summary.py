"""Each student's summary — last personal contact and by whom, waiting since, requests to
talk, recent check-in scores and trend, tutor, flag — recomputed from the facts (issue 15).

`refresh` recomputes the summary of some students of a course, or of all of them, in at most
ten statements however many they are; `tracking` calls it before every commit that changed a
fact, and `rapport db upgrade` for every course where a student has none. `summaries_for` is
how a page reads the facts of its students. What counts as contact is `contact.py`'s alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    insert,
    select,
)
from sqlalchemy.orm import Session

from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Membership,
    Occurrence,
    Person,
    ResponseStatus,
    StaffAnswer,
    StudentFlag,
    StudentSummary,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.checkins.sparkline import sparkline, trend
from lti_tool.services.dashboard.contact import conversations
from lti_tool.services.upsert import dialect_insert

TREND_LENGTH = 6
# Past this many students a refresh reads the whole course rather than a list of ids.
WHOLE_COURSE_ABOVE = 1_000


def name_key(person: Person) -> str:
    """What a student's name is searched and sorted by: as shown, casefolded."""
    return person.name_as("Student").casefold()


@dataclass
class _CheckIns:
    scores: list[int | None]
    latest_text: str
    talk_requests: int
    asked_since: datetime | None = None  # the oldest of those requests


# Like contact.py's, the statements below are built once, with and without a list of students
# (or per database, for the upserts), and take the course and the students as parameters.
# What they write, they write to the tables (Core): the ORM's bulk statements cost more in
# Python than the database took to run them, and did not update loaded objects either.
_SUMMARIES = cast(Table, StudentSummary.__table__)
_ANSWERS = cast(Table, StaffAnswer.__table__)
_COURSE = bindparam("course_id", type_=Integer)
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)


def _params(course_id: int, ids: Collection[int] | None) -> dict[str, Any]:
    return {"course_id": course_id, "ids": list(ids or ())}


@cache
def _members_query(some: bool) -> Select[Person, int, bool, bool]:
    query = (
        select(Person, TutorAllocation.tutor_id, StudentFlag.id.is_not(None), Membership.active)
        .join(Membership, Membership.person_id == Person.id)
        .outerjoin(
            TutorAllocation,
            (TutorAllocation.course_id == _COURSE)
            & (TutorAllocation.student_id == Person.id)
            & TutorAllocation.ended_at.is_(None),
        )
        .outerjoin(
            StudentFlag,
            (StudentFlag.course_id == _COURSE) & (StudentFlag.student_id == Person.id),
        )
        .where(Membership.course_id == _COURSE, Membership.role == CourseRole.STUDENT)
    )
    return query.where(Person.id.in_(_IDS)) if some else query


def _members(session: Session, course_id: int, ids: Collection[int] | None) -> list[Any]:
    return list(session.execute(_members_query(ids is not None), _params(course_id, ids)).all())


@cache
def _checkins_query(some: bool) -> Select[Any]:
    query = (
        select(
            CheckInResponse.student_id,
            CheckInResponse.score,
            CheckInResponse.wants_talk & (CheckInResponse.status == ResponseStatus.NEW),
            CheckInResponse.answers,
            CheckInResponse.updated_at,
        )
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(CheckIn.course_id == _COURSE, CheckIn.anonymous.is_(False))
        .order_by(CheckInResponse.student_id, Occurrence.opens_at, CheckInResponse.id)
    )
    return query.where(CheckInResponse.student_id.in_(_IDS)) if some else query


def _checkins(
    session: Session, course_id: int, ids: Collection[int] | None
) -> dict[int, _CheckIns]:
    """Named check-ins only: an anonymous one's answers are never shown against a name."""
    answers: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(_checkins_query(ids is not None), _params(course_id, ids)):
        answers[row[0]].append(row)
    return {
        student: _CheckIns(
            scores=[r[1] for r in rows[-TREND_LENGTH:]],
            latest_text=str((rows[-1][3] or {}).get("text") or ""),
            talk_requests=sum(1 for r in rows if r[2]),
            asked_since=min((r[4] for r in rows if r[2]), default=None),
        )
        for student, rows in answers.items()
    }


def compute(
    session: Session, course_id: int, ids: Collection[int] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The summary rows and staff answers of the course's students (of `ids` only, when
    given), as they should be now: four queries."""
    members = _members(session, course_id, ids)
    talk = conversations(session, course_id, ids)
    checkins = _checkins(session, course_id, ids)
    rows = []
    for person, tutor_id, flagged, active in members:
        contact = talk.contacts.get(person.id)
        answered = checkins.get(person.id, _CheckIns([], "", 0))
        scores = answered.scores
        rows.append(
            {
                "course_id": course_id,
                "student_id": person.id,
                "name_key": name_key(person)[:255],
                "tutor_id": tutor_id,
                "contact_at": contact.at if contact else None,
                "contact_by_id": contact.by_id if contact else None,
                "contact_kind": contact.kind if contact else None,
                "contact_about": contact.about[:200] if contact else None,
                "waiting_since": talk.waiting_since.get(person.id),
                "talk_requests": answered.talk_requests,
                "asked_since": answered.asked_since,
                "owed": len(talk.owed.get(person.id, ())),
                "owed_since": min(talk.owed.get(person.id, ()), default=None),
                "scores": scores,
                "trend": trend(scores),
                "latest_score": next((s for s in reversed(scores) if s is not None), None),
                "latest_text": answered.latest_text,
                "sparkline": str(sparkline(scores, person.name_as("Student"))) if scores else "",
                "flagged": bool(flagged),
                "active": bool(active),
            }
        )
    students = {row["student_id"] for row in rows}
    answers = [
        {
            "course_id": course_id,
            "student_id": a.student_id,
            "asked_at": a.asked_at,
            "answered_at": a.answered_at,
            "waited_seconds": (a.answered_at - a.asked_at).total_seconds(),
        }
        for a in talk.answers
        if a.student_id in students
    ]
    return rows, answers


@cache
def _hold_queries(dialect: str, some: bool) -> tuple[Any, Select[Any]]:
    members = select(Membership.course_id, Membership.person_id).where(
        Membership.course_id == _COURSE, Membership.role == CourseRole.STUDENT
    )
    held = select(_SUMMARIES.c.student_id).where(_SUMMARIES.c.course_id == _COURSE)
    if some:
        members = members.where(Membership.person_id.in_(_IDS))
        held = held.where(_SUMMARIES.c.student_id.in_(_IDS))
    make = (
        dialect_insert(dialect)(_SUMMARIES)
        .from_select(["course_id", "student_id"], members.order_by(Membership.person_id))
        .on_conflict_do_nothing()
    )
    return make, held.order_by(_SUMMARIES.c.student_id).with_for_update()


def _hold(session: Session, course_id: int, ids: list[int] | None) -> None:
    """Make and lock the rows about to be recomputed, in student order: a second transaction
    refreshing the same students waits here, then computes from what this one committed."""
    make, held = _hold_queries(session.get_bind().dialect.name, ids is not None)
    params = _params(course_id, ids)
    session.execute(make, params)
    session.execute(held, params)


@cache
def _write_queries(dialect: str, some: bool) -> tuple[Any, Any, Any]:
    statement = dialect_insert(dialect)(_SUMMARIES)
    keys = ("course_id", "student_id")
    update = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={c.name: statement.excluded[c.name] for c in _SUMMARIES.c if c.name not in keys},
    )
    gone = delete(_SUMMARIES).where(
        _SUMMARIES.c.course_id == _COURSE,
        ~exists().where(
            Membership.course_id == _COURSE,
            Membership.person_id == _SUMMARIES.c.student_id,
            Membership.role == CourseRole.STUDENT,
        ),
    )
    answers = delete(_ANSWERS).where(_ANSWERS.c.course_id == _COURSE)
    if some:
        gone = gone.where(_SUMMARIES.c.student_id.in_(_IDS))
        answers = answers.where(_ANSWERS.c.student_id.in_(_IDS))
    return update, gone, answers


def _write(
    session: Session,
    course_id: int,
    ids: list[int] | None,
    rows: list[Any],
    answers: list[dict[str, Any]],
) -> None:
    """Update the held rows in place (a waiting transaction then locks the new version), drop
    those of people who are no longer students, and replace their staff answers."""
    update, gone, old_answers = _write_queries(session.get_bind().dialect.name, ids is not None)
    params = _params(course_id, ids)
    if rows:
        session.execute(update, rows)
    session.execute(gone, params)
    session.execute(old_answers, params)
    if answers:
        session.execute(insert(_ANSWERS), answers)


def refresh(session: Session, course_id: int, students: Iterable[int] | None = None) -> None:
    """Recompute the summary of these students of the course (every student when None), in
    at most ten statements however many they are."""
    ids = None if students is None else sorted(set(students))
    if ids is not None and len(ids) > WHOLE_COURSE_ABOVE:
        ids = None
    if ids == []:
        return
    _hold(session, course_id, ids)
    rows, answers = compute(session, course_id, ids)
    _write(session, course_id, ids, rows, answers)


def summarise_unsummarised(session: Session) -> list[int]:
    """Refresh, whole, every course with a student who has no summary (after migration 0013
    made the table, each course with students; later, none): the ids of those courses."""
    missing = (
        select(Membership.course_id)
        .where(
            Membership.role == CourseRole.STUDENT,
            ~exists().where(
                StudentSummary.course_id == Membership.course_id,
                StudentSummary.student_id == Membership.person_id,
            ),
        )
        .distinct()
        .order_by(Membership.course_id)
    )
    courses = list(session.scalars(missing))
    for course_id in courses:
        refresh(session, course_id)
    return courses


def summaries_for(
    session: Session, course_id: int, student_ids: Iterable[int]
) -> dict[int, StudentSummary]:
    """The summary of each of these students of the course, by student id (one query): their
    tutor, last personal contact, wait, requests to talk, recent scores and trend, flag. For
    any page that lists students and wants these facts beside them."""
    from lti_tool.services.dashboard.tracking import apply_pending  # noqa: PLC0415

    ids = sorted(set(student_ids))
    if not ids:
        return {}
    apply_pending(session)
    found = session.scalars(
        select(StudentSummary).where(
            StudentSummary.course_id == course_id, StudentSummary.student_id.in_(ids)
        )
    )
    return {row.student_id: row for row in found}
