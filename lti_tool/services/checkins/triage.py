"""Staff triage of check-in responses, and closing the loop with each student.

The list puts first whom to talk to first: students who asked to talk, then the lowest scores,
then the biggest drops against the student's own previous answer, then the rest; responses
nobody has dealt with come before handled ones, and a tutor sees their own tutees first. It is
built from one query over every response of the course's named check-ins (the previous answer
comes from a window function), whatever the number of students and weeks.

Anonymous check-ins never appear here: staff see only their aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    Occurrence,
    Person,
    ResponseStatus,
)
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins.service import (
    CheckInRefused,
    checkin_in_course,
    occurrence_in_course,
)
from lti_tool.services.tutors.service import current_tutor_ids

PAGE_SIZE = 100
LOW_SCORE = 2
BIG_DROP = 2
CATEGORIES = ("talk", "low", "drop", "rest")


@dataclass
class TriageRow:
    response_id: int
    student_id: int
    name: str
    checkin_title: str
    occurrence_number: int
    score: int | None
    previous: int | None
    wants_talk: bool
    text: str
    status: ResponseStatus
    submitted_at: datetime
    my_tutee: bool
    thread_id: int | None
    trend: list[int | None] = field(default_factory=list)

    @property
    def drop(self) -> int:
        if self.score is None or self.previous is None:
            return 0
        return self.previous - self.score

    @property
    def category(self) -> str:
        if self.wants_talk:
            return "talk"
        if self.score is not None and self.score <= LOW_SCORE:
            return "low"
        if self.drop >= BIG_DROP:
            return "drop"
        return "rest"

    def order(self) -> tuple[object, ...]:
        return (
            self.status is not ResponseStatus.NEW,
            not self.my_tutee,
            CATEGORIES.index(self.category),
            self.score if self.score is not None else 6,
            -self.drop,
            self.submitted_at,
            self.response_id,
        )


@dataclass(frozen=True)
class TriagePage:
    course: Course
    checkin: CheckIn | None
    occurrence: Occurrence | None
    rows: list[TriageRow]
    total: int
    waiting: dict[str, int]  # per category, responses nobody has dealt with yet
    page: int
    has_more: bool


def triage(
    session: Session,
    grant: CourseGrant,
    checkin_id: int | None = None,
    occurrence_id: int | None = None,
    page: int = 1,
) -> TriagePage:
    if not grant.is_staff:
        raise CheckInRefused(403, "Only the course's staff triage check-ins.")
    occurrence = None
    checkin = checkin_in_course(session, grant, checkin_id) if checkin_id else None
    if occurrence_id:
        occurrence, checkin = occurrence_in_course(session, grant, occurrence_id)
    if checkin is not None and checkin.anonymous:
        raise CheckInRefused(403, "This check-in is anonymous: its answers have no names.")
    rows = _rows(session, grant, checkin)
    if occurrence is not None:
        rows = [r for r in rows if r.occurrence_number == occurrence.number]
    rows.sort(key=TriageRow.order)
    waiting = dict.fromkeys(CATEGORIES, 0)
    for row in rows:
        if row.status is ResponseStatus.NEW:
            waiting[row.category] += 1
    page = max(1, page)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return TriagePage(
        course=session.get_one(Course, grant.course_id),
        checkin=checkin,
        occurrence=occurrence,
        rows=shown,
        total=len(rows),
        waiting=waiting,
        page=page,
        has_more=len(rows) > page * PAGE_SIZE,
    )


def _rows(session: Session, grant: CourseGrant, checkin: CheckIn | None) -> list[TriageRow]:
    previous = (
        func.lag(CheckInResponse.score)
        .over(
            partition_by=(CheckInResponse.student_id, Occurrence.checkin_id),
            order_by=Occurrence.opens_at,
        )
        .label("previous")
    )
    query = (
        select(
            CheckInResponse.id,
            CheckInResponse.student_id,
            CheckInResponse.score,
            CheckInResponse.wants_talk,
            CheckInResponse.answers,
            CheckInResponse.status,
            CheckInResponse.submitted_at,
            CheckInResponse.thread_id,
            Occurrence.checkin_id,
            Occurrence.number,
            CheckIn.title,
            previous,
        )
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(CheckIn.course_id == grant.course_id, CheckIn.anonymous.is_(False))
    )
    if checkin is not None:
        query = query.where(CheckIn.id == checkin.id)
    found = session.execute(query).all()
    students = {r.student_id for r in found}
    names = _names(session, students)
    tutors = current_tutor_ids(session, grant.course_id) if found else {}
    trends: dict[tuple[int, int], dict[int, int | None]] = defaultdict(dict)
    for r in found:
        trends[(r.student_id, r.checkin_id)][r.number] = r.score
    rows = []
    for r in found:
        scores = trends[(r.student_id, r.checkin_id)]
        rows.append(
            TriageRow(
                response_id=r.id,
                student_id=r.student_id,
                name=names.get(r.student_id, "Student"),
                checkin_title=r.title,
                occurrence_number=r.number,
                score=r.score,
                previous=r.previous,
                wants_talk=bool(r.wants_talk),
                text=str((r.answers or {}).get("text") or ""),
                status=ResponseStatus(r.status),
                submitted_at=r.submitted_at,
                my_tutee=tutors.get(r.student_id) == grant.person_id,
                thread_id=r.thread_id,
                trend=[scores.get(n) for n in range(1, max(scores) + 1)],
            )
        )
    return rows


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    people = session.scalars(select(Person).where(Person.id.in_(sorted(ids))))
    return {p.id: p.name_as("Student") for p in people}
