"""Staff triage of check-in responses, and closing the loop with each student.

The list puts first whom to talk to first (services/checkins/urgency.py): answers nobody has
dealt with before the others; among them requests to talk, the lowest scores, the biggest drops
against the student's own previous answer, then the rest. A tutor may keep the list to their own
tutees: a filter, never an order that would put a calm tutee above an urgent student.

Each response stores its rank when it is written, so a page is an index scan with a LIMIT over
the course's (one check-in's, one week's) responses; the counts per category add up each week's
tallies, kept with the ranks (a tutor's own tutees are counted over the index); names, tutors,
answers' words and trends are read for the page's students only. A page costs the same few
statements, and carries the same page of cards, for 20 students or 5,000 with ten weeks of
answers each.

Anonymous check-ins never appear here: staff see only their aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased

from lti_tool.i18n import _
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
from lti_tool.services.checkins import urgency
from lti_tool.services.checkins.service import (
    CheckInRefused,
    checkin_in_course,
    occurrence_in_course,
)
from lti_tool.services.checkins.urgency import CATEGORIES

# Each card carries the answer and a reply form: 25 keep a page light on a phone (~70 KB) and
# are more than a morning's first sitting; the order puts the most urgent on the first.
PAGE_SIZE = 25


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
    category: str
    my_tutee: bool
    tutor: str | None  # the student's personal tutor's name, None without one
    thread_id: int | None
    trend: list[int | None] = field(default_factory=list)

    @property
    def drop(self) -> int:
        return urgency.drop(self.score, self.previous)


@dataclass(frozen=True)
class TriagePage:
    course: Course
    checkin: CheckIn | None
    occurrence: Occurrence | None
    mine: bool  # only the viewer's own tutees
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
    mine: bool = False,
) -> TriagePage:
    checkin, occurrence = _scope(session, grant, checkin_id, occurrence_id)
    page = max(1, page)
    listed = _listed(grant, checkin, occurrence, mine)
    found = session.execute(_page_query(grant, listed, page)).all()
    total, waiting = _counted(session, grant, checkin, occurrence, mine)
    return TriagePage(
        course=session.get_one(Course, grant.course_id),
        checkin=checkin,
        occurrence=occurrence,
        mine=mine,
        rows=_rows(session, grant, found[:PAGE_SIZE]),
        total=total,
        waiting=waiting,
        page=page,
        has_more=len(found) > PAGE_SIZE,
    )


def counts(
    session: Session,
    grant: CourseGrant,
    checkin_id: int | None = None,
    occurrence_id: int | None = None,
    mine: bool = False,
) -> tuple[int, dict[str, int]]:
    """The figures atop a triage page, without its cards: all the answers it lists, and per
    category those nobody has dealt with yet. A reply sent from a card sends them back, so the
    page shows what is left once it is answered."""
    checkin, occurrence = _scope(session, grant, checkin_id, occurrence_id)
    return _counted(session, grant, checkin, occurrence, mine)


def _scope(
    session: Session, grant: CourseGrant, checkin_id: int | None, occurrence_id: int | None
) -> tuple[CheckIn | None, Occurrence | None]:
    """The check-in and the week a triage page is kept to (none: the whole course), refused
    to all but staff and for an anonymous check-in."""
    if not grant.is_staff:
        raise CheckInRefused(403, _("Only the course's staff triage check-ins."))
    occurrence = None
    checkin = checkin_in_course(session, grant, checkin_id) if checkin_id else None
    if occurrence_id:
        occurrence, checkin = occurrence_in_course(session, grant, occurrence_id)
    if checkin is not None and checkin.anonymous:
        raise CheckInRefused(403, _("This check-in is anonymous: its answers have no names."))
    return checkin, occurrence


def _counted(
    session: Session,
    grant: CourseGrant,
    checkin: CheckIn | None,
    occurrence: Occurrence | None,
    mine: bool,
) -> tuple[int, dict[str, int]]:
    """The weeks' tallies added up, or for a tutor's own tutees a count (`_counts`)."""
    if mine:
        return _counts(session, _listed(grant, checkin, occurrence, mine))
    return urgency.tallies(session, _weeks(grant, checkin, occurrence))


def _listed(
    grant: CourseGrant, checkin: CheckIn | None, occurrence: Occurrence | None, mine: bool
) -> list[ColumnElement[bool]]:
    """Which responses the list holds, as conditions each of triage's indexes serves: the
    course's, one check-in's or one week's (an anonymous check-in's are in no course's list)."""
    if occurrence is not None:
        where = [
            CheckInResponse.occurrence_id == occurrence.id,
            CheckInResponse.triage_rank.is_not(None),  # ranked, as every response written is
        ]
    elif checkin is not None:
        where = [CheckInResponse.triage_checkin_id == checkin.id]
    else:
        where = [CheckInResponse.triage_course_id == grant.course_id]
    if mine:
        where.append(CheckInResponse.student_id.in_(_tutees(grant)))
    return where


def _weeks(grant: CourseGrant, checkin: CheckIn | None, occurrence: Occurrence | None) -> Any:
    """The occurrences whose tallies make the list's counts."""
    if occurrence is not None:
        return [occurrence.id]
    weeks = select(Occurrence.id).join(CheckIn, CheckIn.id == Occurrence.checkin_id)
    if checkin is not None:
        return weeks.where(CheckIn.id == checkin.id)
    return weeks.where(CheckIn.course_id == grant.course_id, CheckIn.anonymous.is_(False))


def _tutees(grant: CourseGrant) -> Select[Any]:
    return select(TutorAllocation.student_id).where(
        TutorAllocation.course_id == grant.course_id,
        TutorAllocation.tutor_id == grant.person_id,
        TutorAllocation.ended_at.is_(None),
    )


ORDER = (CheckInResponse.triage_rank, CheckInResponse.submitted_at, CheckInResponse.id)


def _page_query(grant: CourseGrant, listed: list[ColumnElement[bool]], page: int) -> Select[Any]:
    """The page's rows (and one more, to tell whether another page follows), in the stored
    order, with what each shows: the answer, the check-in's title, the student, their tutor."""
    shown = (
        select(CheckInResponse.id)
        .where(*listed)
        .order_by(*ORDER)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .subquery("shown")
    )
    tutor = aliased(Person, name="tutor")
    return (
        select(
            CheckInResponse.id,
            CheckInResponse.student_id,
            CheckInResponse.score,
            CheckInResponse.previous_score,
            CheckInResponse.wants_talk,
            CheckInResponse.status,
            CheckInResponse.submitted_at,
            CheckInResponse.triage_rank,
            CheckInResponse.answers,
            CheckInResponse.thread_id,
            Occurrence.checkin_id,
            Occurrence.number,
            CheckIn.title,
            Person,
            tutor,
        )
        .join(shown, shown.c.id == CheckInResponse.id)
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .join(Person, Person.id == CheckInResponse.student_id)
        .outerjoin(
            TutorAllocation,
            (TutorAllocation.course_id == grant.course_id)
            & (TutorAllocation.student_id == CheckInResponse.student_id)
            & TutorAllocation.ended_at.is_(None),
        )
        .outerjoin(tutor, tutor.id == TutorAllocation.tutor_id)
        .order_by(*ORDER)
    )


def _counts(session: Session, listed: list[ColumnElement[bool]]) -> tuple[int, dict[str, int]]:
    """All the responses listed, and those nobody has dealt with per category, counted: for a
    tutor's own tutees, whom the weeks' tallies do not tell apart."""
    waiting = dict.fromkeys(CATEGORIES, 0)
    total = 0
    for rank, count in session.execute(
        select(CheckInResponse.triage_rank, func.count())
        .where(*listed)
        .group_by(CheckInResponse.triage_rank)
    ):
        total += count
        if rank is not None and urgency.waiting(rank):
            waiting[urgency.category_of(rank)] += count
    return total, waiting


def _rows(session: Session, grant: CourseGrant, found: Sequence[Any]) -> list[TriageRow]:
    trends = _trends(session, {(r.student_id, r.checkin_id) for r in found})
    return [
        TriageRow(
            response_id=r.id,
            student_id=r.student_id,
            name=r.Person.name_as("Student"),
            checkin_title=r.title,
            occurrence_number=r.number,
            score=r.score,
            previous=r.previous_score,
            wants_talk=bool(r.wants_talk),
            text=str((r.answers or {}).get("text") or ""),
            status=ResponseStatus(r.status),
            submitted_at=r.submitted_at,
            category=urgency.category_of(int(r.triage_rank)),
            my_tutee=r.tutor is not None and r.tutor.id == grant.person_id,
            tutor=r.tutor.name_as("Tutor") if r.tutor is not None else None,
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
            CheckInResponse.student_id.in_(sorted({s for s, _checkin in pairs})),
            Occurrence.checkin_id.in_(sorted({c for _student, c in pairs})),
        )
    ):
        scores[(student_id, checkin_id)][number] = score
    for key, weeks in scores.items():
        trends[key] = [weeks.get(n) for n in range(1, max(weeks) + 1)]
    return trends
