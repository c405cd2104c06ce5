"""The relationship dashboard: every active student, when a person on the course team last
reached them, how their check-ins are going, and whom to contact next; the share of students
within the course's contact goal, how long students wait, and how fast staff reply.

Everything is read from the students' summaries (`summary.py`, kept by `tracking.py`): the
figures are counted, the filters, sorts and pages are chosen in SQL, so a page costs the same
statements and carries the same fifty students for a course of 50 or of 5,000. Whom to
contact next is `contact_next.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, case, func, select, true
from sqlalchemy.orm import Session

from lti_tool.db import UTCDateTime
from lti_tool.i18n import _
from lti_tool.models import Course, StaffAnswer, StudentSummary
from lti_tool.services.access import CourseGrant
from lti_tool.services.dashboard import rows as listing
from lti_tool.services.dashboard import settings as contact_settings
from lti_tool.services.dashboard.contact_next import NextContact, contact_next, next_candidates
from lti_tool.services.dashboard.rows import SHOWS, SORTS, StudentRow
from lti_tool.services.dashboard.tracking import apply_pending
from lti_tool.services.entry import COURSE, PERSON, visit
from lti_tool.services.feedback.viewers import viewer_for, viewer_of_kind
from lti_tool.services.refusals import Refused

RESPONSE_WINDOW = timedelta(days=30)
# Students on a page: 50 rows keep a page under 70 KB for a phone in the LMS frame (100 made
# 126 KB), and staff narrow a big course with the filters and sorts rather than by paging.
PAGE_SIZE = 50
S = StudentSummary
__all__ = ["SHOWS", "SORTS", "StudentRow", "dashboard"]


def can_see_dashboard(grant: CourseGrant) -> bool:
    return grant.is_staff


def refuse_unless_staff(grant: CourseGrant) -> None:
    if not can_see_dashboard(grant):
        raise Refused(403, _("Only the course's staff see the relationship dashboard."))


@dataclass(frozen=True)
class TutorShare:
    name: str
    students: int
    within_goal: int

    @property
    def share(self) -> float:
        return self.within_goal / self.students if self.students else 0.0


@dataclass(frozen=True)
class Summary:
    students: int
    within_goal: int
    per_tutor: list[TutorShare]
    waiting: int
    median_wait: timedelta | None
    longest_wait: timedelta | None
    median_response: timedelta | None
    responses_measured: int

    @property
    def share(self) -> float:
        return self.within_goal / self.students if self.students else 0.0


@dataclass(frozen=True)
class Dashboard:
    course: Course
    goal_days: int
    summary: Summary
    next: list[NextContact]
    rows: list[StudentRow]
    shown: int
    page: int
    has_more: bool
    tutors: list[tuple[int, str]]


def dashboard(
    session: Session,
    grant: CourseGrant,
    settings: Mapping[str, Any],
    now: datetime,
    show: str = "all",
    tutor: int | None = None,
    search: str = "",
    sort: str = "days",
    page: int = 1,
) -> Dashboard:
    refuse_unless_staff(grant)
    apply_pending(session)
    course = session.get_one(Course, grant.course_id)
    goal = timedelta(days=int(settings[contact_settings.GOAL_DAYS]))
    viewer = viewer_for(session, grant, settings)
    show = show if show in SHOWS else "all"
    sort = sort if sort in SORTS else "days"
    page = max(1, page)
    words = listing.search_patterns(search)
    counted, chosen = _statements(
        _Shape(
            viewer.reads_every_thread,
            viewer.grant.is_staff,
            show,
            tutor is not None,
            len(words),
            sort,
        )
    )
    params: dict[str, Any] = {
        **visit(grant),
        "dash_since": now - goal,
        "dash_limit": PAGE_SIZE,
        "dash_offset": (page - 1) * PAGE_SIZE,
        **{f"dash_w{n}": word for n, word in enumerate(words)},
    }
    if tutor is not None:
        params["dash_tutor"] = tutor
    groups = list(session.execute(counted, params).all())
    shown = sum(int(g[5] or 0) for g in groups)
    on_page = list(session.execute(chosen, params))
    candidates = next_candidates(session, course.id, viewer, now)
    everyone = on_page + candidates
    found = listing.Found.of(session, everyone, {g[0] for g in groups})
    return Dashboard(
        course=course,
        goal_days=goal.days,
        summary=_summary(session, course.id, groups, found.names, now),
        next=contact_next(candidates, found, now),
        rows=found.rows(on_page, now),
        shown=shown,
        page=page,
        has_more=shown > page * PAGE_SIZE,
        tutors=sorted(
            ((g[0], found.names[g[0]]) for g in groups if g[0] in found.names),
            key=lambda t: t[1].casefold(),
        ),
    )


@dataclass(frozen=True)
class _Shape:
    """What decides the dashboard's two statements, besides values."""

    reads_every_thread: bool
    staff: bool
    show: str
    by_tutor: bool
    words: int
    sort: str


@lru_cache(maxsize=512)  # shapes are few, but a search's word count is the reader's
def _statements(shape: _Shape) -> tuple[Select[Any], Select[Any]]:
    """The dashboard's groups (per tutor: students, how many within the goal, waiting, the
    longest wait, and how many of them the view shows: one pass for the header and the
    count) and its page (chosen and sorted by their keys alone, narrow rows; only the page's
    are then read whole), built once per shape with the values as bound parameters: building
    and keying them cost more than running them."""
    course, me = COURSE, PERSON  # the entry's parameters (`entry.visit`)
    since = bindparam("dash_since", type_=UTCDateTime)
    viewer = viewer_of_kind(shape.staff, shape.reads_every_thread)  # `me` stands for its id
    tutor = bindparam("dash_tutor", type_=Integer) if shape.by_tutor else None
    words = [bindparam(f"dash_w{n}", type_=String) for n in range(shape.words)]
    shows = listing.conditions(viewer, shape.show, tutor, words, since, me)
    counted = listing.students(
        course,
        S.tutor_id,
        func.count(),
        func.sum(case((listing.within(since), 1), else_=0)),
        func.count(S.waiting_since),
        func.min(S.waiting_since),
        func.sum(case((and_(true(), *shows), 1), else_=0)),
    ).group_by(S.tutor_id)
    keys = (
        listing.ordered(
            listing.students(course, S.student_id).where(*shows), viewer, shape.sort, me
        )
        .limit(bindparam("dash_limit", type_=Integer))
        .offset(bindparam("dash_offset", type_=Integer))
        .subquery()
    )
    chosen = listing.ordered(
        listing.page_query(course, viewer, me).join(keys, keys.c.student_id == S.student_id),
        viewer,
        shape.sort,
        me,
    )
    return counted, chosen


def _summary(
    session: Session, course_id: int, groups: list[Any], names: dict[int, str], now: datetime
) -> Summary:
    """The header's figures: from the groups, and three short queries for the medians."""
    per_tutor: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    no_tutor = _("No tutor")
    for tutor_id, students, within, *_rest in groups:
        share = per_tutor[names.get(tutor_id or 0, no_tutor)]
        share[0] += int(students)
        share[1] += int(within or 0)
    longest = min((g[4] for g in groups if g[4] is not None), default=None)
    waiting = sum(int(g[3]) for g in groups)
    waits = _middle(
        session,
        listing.students(course_id, S.waiting_since).where(S.waiting_since.is_not(None)),
        S.waiting_since,
        waiting,
    )
    middle = session.execute(
        _ANSWERS_MIDDLE, {"course_id": course_id, "since": now - RESPONSE_WINDOW}
    ).all()
    measured = int(middle[0][1]) if middle else 0
    answers = [seconds for seconds, _n in middle[: 2 - measured % 2]]
    return Summary(
        students=sum(s for s, _w in per_tutor.values()),
        within_goal=sum(w for _s, w in per_tutor.values()),
        per_tutor=[
            TutorShare(name, s, w)
            for name, (s, w) in sorted(per_tutor.items(), key=lambda kv: kv[0].casefold())
        ],
        waiting=waiting,
        median_wait=_span_median([now - w for w in waits]),
        longest_wait=now - longest if longest else None,
        median_response=_span_median([timedelta(seconds=s) for s in answers]),
        responses_measured=measured,
    )


def _answers_middle() -> Any:
    """Staff's answers of the last RESPONSE_WINDOW: their middle one or two times to answer
    (skipped to along the index, as `_middle` does), each with how many there are, in one
    statement (a count, then the middle, cost a round trip more); built once."""
    scope = (
        StaffAnswer.course_id == bindparam("course_id", type_=Integer),
        StaffAnswer.answered_at >= bindparam("since"),
    )
    counted = select(func.count().label("n")).where(*scope).cte("answered")  # counted once
    n = select(counted.c.n).scalar_subquery()
    return (
        select(StaffAnswer.waited_seconds, n)
        .where(*scope)
        .order_by(StaffAnswer.waited_seconds)
        .offset((n - 1) // 2)  # an even count's first middle one; 0 for none
        .limit(2)
    )


_ANSWERS_MIDDLE = _answers_middle()


def _middle(session: Session, query: Any, order: Any, n: int) -> list[Any]:
    """The middle one or two of the n values of a one-column query in this order: skipped to
    (OFFSET, along an index where there is one) rather than every value numbered."""
    if not n:
        return []
    # The middle of an odd count; the first of an even count's two middle ones.
    return list(session.scalars(query.order_by(order).offset((n - 1) // 2).limit(2 - n % 2)))


def _span_median(spans: list[timedelta]) -> timedelta | None:
    return sum(spans, timedelta()) / len(spans) if spans else None
