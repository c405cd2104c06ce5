"""Staff triage of check-in responses, and closing the loop with each student.

The list puts first whom to talk to first: students who asked to talk, then the lowest scores,
then the biggest drops against the student's own previous answer, then the rest; responses
nobody has dealt with come before handled ones, and a tutor sees their own tutees first.

The order is the database's, paged with LIMIT/OFFSET: the previous answer comes from a window
function over the student's answers to the same check-in, the category from a CASE. The counts
per category are one aggregate; names, answers' words and trends are read only for the page's
students. So a page costs the same few statements, and carries the same hundred rows, for 20
students or 5,000 with ten weeks of answers each.

Anonymous check-ins never appear here: staff see only their aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, case, func, select
from sqlalchemy.orm import Session

from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    Occurrence,
    Person,
    ResponseStatus,
    TutorAllocation,
)
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins.service import (
    CheckInRefused,
    checkin_in_course,
    occurrence_in_course,
)

PAGE_SIZE = 100
LOW_SCORE = 2
BIG_DROP = 2
NO_SCORE = 6  # a response without a score sorts after every score of the 1..5 scale
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
    page = max(1, page)
    listed = _listed(grant, checkin, occurrence)
    found = session.execute(_page_query(listed, page)).all()
    total, waiting = _counts(session, listed)
    return TriagePage(
        course=session.get_one(Course, grant.course_id),
        checkin=checkin,
        occurrence=occurrence,
        rows=_rows(session, found[:PAGE_SIZE]),
        total=total,
        waiting=waiting,
        page=page,
        has_more=len(found) > PAGE_SIZE,
    )


def _listed(grant: CourseGrant, checkin: CheckIn | None, occurrence: Occurrence | None) -> Subquery:
    """Every response the list holds, with the student's previous answer to the same check-in,
    the drop against it, the category and the keys of the order."""
    previous = func.lag(CheckInResponse.score).over(
        partition_by=(CheckInResponse.student_id, Occurrence.checkin_id),
        order_by=Occurrence.opens_at,
    )
    answered = (
        select(
            CheckInResponse.id,
            CheckInResponse.student_id,
            CheckInResponse.score,
            CheckInResponse.wants_talk,
            CheckInResponse.status,
            CheckInResponse.submitted_at,
            Occurrence.id.label("occurrence_id"),
            Occurrence.checkin_id,
            previous.label("previous"),
        )
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(CheckIn.course_id == grant.course_id, CheckIn.anonymous.is_(False))
    )
    if checkin is not None:
        answered = answered.where(CheckIn.id == checkin.id)
    if occurrence is not None:  # a previous answer is never a later one: the rest need not be read
        answered = answered.where(Occurrence.opens_at <= occurrence.opens_at)
    inner = answered.subquery("answered")
    drop = case(
        (inner.c.score.is_(None) | inner.c.previous.is_(None), 0),
        else_=inner.c.previous - inner.c.score,
    )
    category = case(
        (inner.c.wants_talk.is_(True), 0),
        (inner.c.score <= LOW_SCORE, 1),
        (drop >= BIG_DROP, 2),
        else_=3,
    )
    tutees = select(TutorAllocation.student_id).where(
        TutorAllocation.course_id == grant.course_id,
        TutorAllocation.tutor_id == grant.person_id,
        TutorAllocation.ended_at.is_(None),
    )
    listed = select(
        inner,
        drop.label("drop"),
        category.label("category"),
        case((inner.c.status == ResponseStatus.NEW, 0), else_=1).label("dealt"),
        case((inner.c.student_id.in_(tutees), 0), else_=1).label("not_mine"),
    )
    if occurrence is not None:
        listed = listed.where(inner.c.occurrence_id == occurrence.id)
    return listed.subquery("listed")


def _order(listed: Any) -> list[ColumnElement[Any]]:
    """New before dealt with, own tutees first, by category, then the lowest score, the biggest
    drop, the earliest answer (and the response's id, so no two rows ever tie)."""
    return [
        listed.c.dealt,
        listed.c.not_mine,
        listed.c.category,
        func.coalesce(listed.c.score, NO_SCORE),
        -listed.c.drop,
        listed.c.submitted_at,
        listed.c.id,
    ]


def _page_query(listed: Subquery, page: int) -> Select[Any]:
    """The page's rows (and one more, to tell whether another page follows), with what each
    shows: the answer's words, the check-in's title, the student."""
    shown = (
        select(listed)
        .order_by(*_order(listed))
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .subquery("shown")
    )
    return (
        select(
            shown,
            CheckInResponse.answers,
            CheckInResponse.thread_id,
            Occurrence.number,
            CheckIn.title,
            Person,
        )
        .join(CheckInResponse, CheckInResponse.id == shown.c.id)
        .join(Occurrence, Occurrence.id == shown.c.occurrence_id)
        .join(CheckIn, CheckIn.id == shown.c.checkin_id)
        .join(Person, Person.id == shown.c.student_id)
        .order_by(*_order(shown))
    )


def _counts(session: Session, listed: Subquery) -> tuple[int, dict[str, int]]:
    """All the responses listed, and those nobody has dealt with per category: one query (apart
    from the page's, as one window over both would keep every row to count it)."""
    waiting = dict.fromkeys(CATEGORIES, 0)
    total = 0
    for category, dealt, count in session.execute(
        select(listed.c.category, listed.c.dealt, func.count()).group_by(
            listed.c.category, listed.c.dealt
        )
    ):
        total += count
        if dealt == 0:
            waiting[CATEGORIES[category]] += count
    return total, waiting


def _rows(session: Session, found: Sequence[Any]) -> list[TriageRow]:
    trends = _trends(session, {(r.student_id, r.checkin_id) for r in found})
    return [
        TriageRow(
            response_id=r.id,
            student_id=r.student_id,
            name=r.Person.name_as("Student"),
            checkin_title=r.title,
            occurrence_number=r.number,
            score=r.score,
            previous=r.previous,
            wants_talk=bool(r.wants_talk),
            text=str((r.answers or {}).get("text") or ""),
            status=ResponseStatus(r.status),
            submitted_at=r.submitted_at,
            my_tutee=r.not_mine == 0,
            thread_id=r.thread_id,
            trend=trends[(r.student_id, r.checkin_id)],
        )
        for r in found
    ]


def _trends(
    session: Session, pairs: set[tuple[int, int]]
) -> defaultdict[tuple[int, int], list[int | None]]:
    """Each shown student's scores on each shown check-in, week by week (None for a week not
    answered), up to their latest answer: one query for the page's students only."""
    trends: defaultdict[tuple[int, int], list[int | None]] = defaultdict(list)
    if not pairs:
        return trends
    scores: defaultdict[tuple[int, int], dict[int, int | None]] = defaultdict(dict)
    for student_id, checkin_id, number, score in session.execute(
        select(
            CheckInResponse.student_id,
            Occurrence.checkin_id,
            Occurrence.number,
            CheckInResponse.score,
        )
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .where(
            CheckInResponse.student_id.in_(sorted({s for s, _ in pairs})),
            Occurrence.checkin_id.in_(sorted({c for _, c in pairs})),
        )
    ):
        scores[(student_id, checkin_id)][number] = score
    for key, weeks in scores.items():
        trends[key] = [weeks.get(n) for n in range(1, max(weeks) + 1)]
    return trends
