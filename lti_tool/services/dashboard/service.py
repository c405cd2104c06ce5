"""The relationship dashboard: every active student, when a person on the course team last
reached them, how their check-ins are going, and whom to contact next; the share of students
within the course's contact goal, how long students wait, and how fast staff reply.

The facts per student come from `student_facts`, one query per kind of fact; this module adds
the summary, the filters and the "contact next" list. A page costs the same dozen queries for a
course of 50 or 5,000 students.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import (
    Course,
    FeedbackMessage,
    FeedbackThread,
)
from lti_tool.services.access import CourseGrant
from lti_tool.services.dashboard import settings as contact_settings
from lti_tool.services.dashboard.student_facts import StudentRow, student_rows
from lti_tool.services.feedback.service import can_write_to_student, viewer_for
from lti_tool.services.refusals import Refused

LONG_WAIT = timedelta(hours=48)
NEXT_LENGTH = 10
RESPONSE_WINDOW = timedelta(days=30)
PAGE_SIZE = 100
SHOWS = ("all", "outside", "never", "flagged", "waiting")
__all__ = ["StudentRow", "dashboard", "rows_for"]
SORTS = ("days", "name", "waiting")


def can_see_dashboard(grant: CourseGrant) -> bool:
    return grant.is_staff


def _refuse_unless_staff(grant: CourseGrant) -> None:
    if not can_see_dashboard(grant):
        raise Refused(403, "Only the course's staff see the relationship dashboard.")


def _keep_private(
    session: Session, grant: CourseGrant, settings: Mapping[str, Any], rows: dict[int, StudentRow]
) -> None:
    """The feedback rule on the dashboard too: where the course lets only a student's tutor
    and the instructors read their conversations, other staff do not learn from the dashboard
    what those conversations hold (seen: a teaching assistant reading every thread's title)."""
    viewer = viewer_for(session, grant, settings)
    for row in rows.values():
        if not can_write_to_student(viewer, is_their_tutor=row.tutor_id == grant.person_id):
            row.keep_private()


def rows_for(
    session: Session, grant: CourseGrant, settings: Mapping[str, Any], now: datetime
) -> list[StudentRow]:
    """Every active student as this staff member may see them, by name (the CSV)."""
    _refuse_unless_staff(grant)
    rows = student_rows(session, grant.course_id, now, grant.person_id)
    _keep_private(session, grant, settings, rows)
    return sorted(rows.values(), key=lambda r: (r.name.casefold(), r.student_id))


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
class NextContact:
    row: StudentRow
    reason: str


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
    _refuse_unless_staff(grant)
    course = session.get_one(Course, grant.course_id)
    goal = timedelta(days=int(settings[contact_settings.GOAL_DAYS]))
    rows = student_rows(session, course.id, now, grant.person_id)
    summary = _summary(session, course.id, rows, now, goal)  # counts only, for everyone's staff
    _keep_private(session, grant, settings, rows)
    chosen = _filtered(rows.values(), show, tutor, search, now, goal)
    chosen.sort(key=_sorter(sort if sort in SORTS else "days", now))
    page = max(1, page)
    tutors = sorted(
        {(r.tutor_id, r.tutor_name) for r in rows.values() if r.tutor_id and r.tutor_name},
        key=lambda t: t[1].casefold(),
    )
    return Dashboard(
        course=course,
        goal_days=goal.days,
        summary=summary,
        next=contact_next((r for r in rows.values() if not r.private), now),
        rows=chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        shown=len(chosen),
        page=page,
        has_more=len(chosen) > page * PAGE_SIZE,
        tutors=tutors,
    )


def _response_times(session: Session, course_id: int, now: datetime) -> list[timedelta]:
    """How long each student message of the last 30 days waited for the next staff message."""
    messages = session.execute(
        select(
            FeedbackMessage.thread_id,
            FeedbackMessage.created_at,
            FeedbackMessage.author_id == FeedbackThread.student_id,
        )
        .join(FeedbackThread, FeedbackThread.id == FeedbackMessage.thread_id)
        .where(
            FeedbackThread.course_id == course_id,
            FeedbackMessage.created_at >= now - RESPONSE_WINDOW,
            FeedbackMessage.automated.is_(False),  # a bulk message or nudge answers nobody
        )
        .order_by(FeedbackMessage.thread_id, FeedbackMessage.created_at, FeedbackMessage.id)
    ).all()
    times: list[timedelta] = []
    asked: dict[int, datetime] = {}
    for thread_id, at, from_student in messages:
        if from_student:
            asked.setdefault(thread_id, at)
        elif thread_id in asked:
            times.append(at - asked.pop(thread_id))
    return times


def _summary(
    session: Session,
    course_id: int,
    rows: dict[int, StudentRow],
    now: datetime,
    goal: timedelta,
) -> Summary:
    within = [r for r in rows.values() if _within(r, now, goal)]
    per_tutor: dict[str, list[StudentRow]] = defaultdict(list)
    for row in rows.values():
        per_tutor[row.tutor_name or "No tutor"].append(row)
    shares = [
        TutorShare(name, len(group), sum(1 for r in group if _within(r, now, goal)))
        for name, group in sorted(per_tutor.items(), key=lambda kv: kv[0].casefold())
    ]
    waits = sorted(now - r.waiting_since for r in rows.values() if r.waiting_since)
    responses = _response_times(session, course_id, now)
    return Summary(
        students=len(rows),
        within_goal=len(within),
        per_tutor=shares,
        waiting=len(waits),
        median_wait=_median(waits),
        longest_wait=waits[-1] if waits else None,
        median_response=_median(responses),
        responses_measured=len(responses),
    )


def _median(spans: list[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return timedelta(seconds=statistics.median(s.total_seconds() for s in spans))


def _within(row: StudentRow, now: datetime, goal: timedelta) -> bool:
    return row.contact is not None and now - row.contact.at <= goal


def _filtered(
    rows: Any, show: str, tutor: int | None, search: str, now: datetime, goal: timedelta
) -> list[StudentRow]:
    words = search.casefold().split()
    chosen = []
    for row in rows:
        if row.private and show in {"outside", "never", "waiting"}:
            continue  # nothing known to this viewer either way
        if show == "outside" and _within(row, now, goal):
            continue
        if show == "never" and row.contact is not None:
            continue
        if show == "flagged" and not row.flagged:
            continue
        if show == "waiting" and row.waiting_since is None:
            continue
        if tutor is not None and row.tutor_id != tutor:
            continue
        if words and not all(w in row.name.casefold() for w in words):
            continue
        chosen.append(row)
    return chosen


def _sorter(sort: str, now: datetime) -> Any:
    if sort == "name":
        return lambda r: (r.name.casefold(), r.student_id)
    if sort == "waiting":
        return lambda r: (r.waiting_since is None, r.waiting_since or now, r.name.casefold())
    # Longest without contact first; never contacted before everyone; private ones last.
    return lambda r: (
        r.private,
        r.contact is not None,
        r.contact.at if r.contact else now,
        r.name.casefold(),
    )


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def contact_next(rows: Any, now: datetime) -> list[NextContact]:
    """Whom to write to next: requests to talk, long waits, falling check-ins, then the longest
    without contact — each student once, at most NEXT_LENGTH."""
    listed: list[NextContact] = []
    seen: set[int] = set()

    def take(candidates: list[StudentRow], reason: Any) -> None:
        for row in candidates:
            if len(listed) < NEXT_LENGTH and row.student_id not in seen:
                seen.add(row.student_id)
                listed.append(NextContact(row, reason(row)))

    everyone = list(rows)
    take(
        sorted((r for r in everyone if r.talk_requests), key=lambda r: r.name.casefold()),
        lambda r: "Asked to talk in a check-in",
    )
    waiting = [r for r in everyone if r.waiting_since and now - r.waiting_since >= LONG_WAIT]
    take(
        sorted(waiting, key=lambda r: r.waiting_since or now),
        lambda r: f"Waiting {_days((now - (r.waiting_since or now)).days)} for a reply",
    )
    take(
        sorted((r for r in everyone if r.trend == "falling"), key=lambda r: r.latest_score or 0),
        lambda r: "Check-in answers falling",
    )
    quiet = sorted(everyone, key=_sorter("days", now))
    take(
        quiet,
        lambda r: (
            "Never had personal contact"
            if r.contact is None
            else f"No personal contact for {_days(r.days_since or 0)}"
        ),
    )
    return listed
