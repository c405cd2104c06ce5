""" "Start a thread with each selected student": one action, one personal thread per student.

Staff choose students, words (usually a snippet) and optionally a feedback activity; they see
the first two messages as those students will read them, then confirm. `start_bulk` records
the request as a `BulkStart`; `run_bulk` (from `bulk_run`, re-exported here) writes the
threads in the background, and `bulk_progress` (`progress.py`) says how far it has got.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import _, ngettext, number
from lti_tool.models import BulkStart, Course, Membership, Placement
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import course_settings
from lti_tool.services.feedback.viewers import students_they_write_to, viewer_for
from lti_tool.services.markup import render_markdown
from lti_tool.services.newsfeed.pages import not_seen_ids
from lti_tool.services.refusals import Refused
from lti_tool.services.snippets import audit
from lti_tool.services.snippets.bulk_run import (
    CHUNK,  # noqa: F401 - re-exported: part of this service's API
    MAX_TITLE,
    RUNNING,
    ThreadWords,
    recipients,
    run_bulk,  # noqa: F401 - re-exported: part of this service's API
)
from lti_tool.services.snippets.choosing import GROUPS, PICKED, group_members
from lti_tool.services.snippets.service import (
    MAX_BODY,
    MAY_BE_MISSING,
    clean_body,
    clean_title,
    fields_without_fallback,
    fill,
)

FEEDBACK_KIND = "feedback"
MAX_STUDENTS = 2_000
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=2)


class BulkStartRefused(Refused):
    """A refusal of a bulk start (see Refused)."""


def can_start_bulk(grant: CourseGrant) -> bool:
    """Starting threads with many students at once is for the course's staff."""
    return grant.is_staff


def require_staff(grant: CourseGrant) -> None:
    if not can_start_bulk(grant):
        raise BulkStartRefused(403, _("Only the course's staff start feedback threads."))


def _writable(session: Session, grant: CourseGrant) -> set[int] | None:
    """Whom this staff member may write to (None: every student), by the feedback rule: in a
    course where only a student's tutor and the instructors read their threads, a teaching
    assistant starts threads with their own tutees only."""
    viewer = viewer_for(session, grant, course_settings(session, grant.course_id))
    return students_they_write_to(session, viewer)


# -- choosing ---------------------------------------------------------------------------------


def feedback_activities(session: Session, course_id: int) -> list[Placement]:
    """The course's placed feedback activities, for the activity choice (there may be none)."""
    return list(
        session.scalars(
            select(Placement)
            .where(Placement.course_id == course_id, Placement.kind == FEEDBACK_KIND)
            .order_by(Placement.title, Placement.id)
        )
    )


def not_seen_by(session: Session, grant: CourseGrant, post_id: int) -> list[int]:
    """The students a post has not been shown to whom this staff member may write to, at most
    MAX_STUDENTS: "write to the students who have not seen it" picks them."""
    require_staff(grant)
    unseen = not_seen_ids(session, grant, post_id, MAX_STUDENTS)
    writable = _writable(session, grant)
    return unseen if writable is None else [i for i in unseen if i in writable]


# -- checking and previewing ------------------------------------------------------------------


@dataclass(frozen=True)
class BulkRequest:
    """A checked request: every student an active student of the course, words within limits."""

    course_id: int
    student_ids: list[int]
    title: str
    body: str
    placement: Placement | None
    group: str = PICKED  # or one of GROUPS, resolved to `student_ids` when checked


def _active_students(session: Session, course_id: int, student_ids: Sequence[int]) -> set[int]:
    return set(
        session.scalars(
            select(Membership.person_id).where(
                Membership.course_id == course_id,
                Membership.role == CourseRole.STUDENT,
                Membership.active.is_(True),
                Membership.person_id.in_(student_ids),
            )
        )
    )


def _checked_students(
    session: Session,
    grant: CourseGrant,
    student_ids: Iterable[int],
    group: str,
    errors: dict[str, str],
) -> list[int]:
    """The students a request reaches: a group's as of now (never more than the sender may
    write to), or the picked ones, each checked, at most MAX_STUDENTS of them."""
    if group in GROUPS:
        members = group_members(session, grant, group)
        if not members:
            errors["students"] = _("Nobody is in that group now: choose another, or pick students.")
        return members
    if group != PICKED:
        raise BulkStartRefused(400, _("Choose a group of students, or pick them."))
    ids = list(dict.fromkeys(student_ids))
    if not ids:
        errors["students"] = _("Choose at least one student.")
    elif len(ids) > MAX_STUDENTS:
        errors["students"] = ngettext(
            "Choose at most %(count)s student at once (%(now)s now).",
            "Choose at most %(count)s students at once (%(now)s now).",
            MAX_STUDENTS,
            count=number(MAX_STUDENTS),
            now=number(len(ids)),
        )
    else:
        strangers = len(set(ids) - _active_students(session, grant.course_id, ids))
        writable = _writable(session, grant)
        others = 0 if writable is None else len(set(ids) - writable)
        if strangers:
            errors["students"] = ngettext(
                "%(count)s of the people chosen is not an active student of this course.",
                "%(count)s of the people chosen are not active students of this course.",
                strangers,
                count=number(strangers),
            )
        elif others:
            errors["students"] = ngettext(
                "In this course, only a student's tutor and the instructors write to them: "
                "%(count)s of the students chosen is not your tutee.",
                "In this course, only a student's tutor and the instructors write to them: "
                "%(count)s of the students chosen are not your tutees.",
                others,
                count=number(others),
            )
    return ids


def check_request(
    session: Session,
    grant: CourseGrant,
    student_ids: Iterable[int],
    title: str,
    body: str,
    placement_id: int | None,
    group: str = PICKED,
) -> BulkRequest:
    """The request as it will run, or BulkStartRefused naming what to fix."""
    require_staff(grant)
    errors: dict[str, str] = {}
    ids = _checked_students(session, grant, student_ids, group, errors)
    clean = clean_title(title, MAX_TITLE, errors), clean_body(body, MAX_BODY, errors)
    placement = None
    if placement_id is not None:
        placement = session.get(Placement, placement_id)
        if (
            placement is None
            or placement.course_id != grant.course_id
            or placement.kind != FEEDBACK_KIND
        ):
            errors["placement_id"] = _("Choose one of this course's feedback activities, or none.")
    if errors:
        raise BulkStartRefused(400, _("Nothing was started."), errors)
    return BulkRequest(grant.course_id, ids, clean[0], clean[1], placement, group)


@dataclass(frozen=True)
class PreviewMessage:
    student_name: str
    title: str
    body_html: str


@dataclass(frozen=True)
class MissingField:
    """A merge field some selected students have no value for, written with no fallback."""

    name: str
    why: str
    students: int  # how many of those selected


@dataclass(frozen=True)
class BulkPreview:
    request: BulkRequest
    messages: list[PreviewMessage]
    missing: list[MissingField] = field(default_factory=list)
    complete: list[int] = field(default_factory=list)  # the students no field is missing for


def preview(
    session: Session,
    grant: CourseGrant,
    student_ids: Iterable[int],
    title: str,
    body: str,
    placement_id: int | None,
    group: str = PICKED,
    limit: int = 2,
) -> BulkPreview:
    """The first `limit` students' threads as they will read them, after the same checks as a
    start."""
    request = check_request(session, grant, student_ids, title, body, placement_id, group)
    course = session.get_one(Course, grant.course_id)
    run = ThreadWords(
        bulk_id=0,
        course_id=course.id,
        author_id=grant.person_id,
        title=request.title,
        body=request.body,
        placement_id=request.placement.id if request.placement else None,
        course_title=course.display_title,
        activity_title=request.placement.title if request.placement else None,
    )
    everyone = recipients(session, run, request.student_ids)  # two queries, whoever they are
    messages = [
        PreviewMessage(r.name, r.title, render_markdown(fill(run.body, r.values)))
        for r in list(everyone.values())[:limit]
    ]
    used = fields_without_fallback(request.body + "\n" + request.title)
    missing = [
        MissingField(name, str(MAY_BE_MISSING[name]), n)
        for name in sorted(used)
        if (n := sum(1 for r in everyone.values() if name in r.values.missing))
    ]
    complete = [i for i, r in everyone.items() if not (used & r.values.missing)]
    return BulkPreview(request, messages, missing, complete)


# -- starting and running ---------------------------------------------------------------------


def start_bulk(
    session: Session,
    grant: CourseGrant,
    student_ids: Iterable[int],
    title: str,
    body: str,
    placement_id: int | None,
    now: datetime,
    group: str = PICKED,
) -> BulkStart:
    """Record a checked bulk start, ready for `run_bulk`; the caller commits. A group becomes
    its students as of now. The same start confirmed again within `DOUBLE_SUBMIT_WINDOW` (a
    double click) is the one already made."""
    request = check_request(session, grant, student_ids, title, body, placement_id, group)
    twin = _recent_twin(session, grant, request, now)
    if twin is not None:
        return twin
    bulk = BulkStart(
        course_id=grant.course_id,
        started_by_id=grant.person_id,
        title=request.title,
        body=request.body,
        placement_id=request.placement.id if request.placement else None,
        student_ids=request.student_ids,
        total=len(request.student_ids),
        done=0,
        status=RUNNING,
        created_at=now,
    )
    session.add(bulk)
    session.flush()
    audit.bulk_started(session, grant, bulk, request.placement, now)
    return bulk


def _recent_twin(
    session: Session, grant: CourseGrant, request: BulkRequest, now: datetime
) -> BulkStart | None:
    placement_id = request.placement.id if request.placement else None
    recent = session.scalars(
        select(BulkStart).where(
            BulkStart.course_id == grant.course_id,
            BulkStart.started_by_id == grant.person_id,
            BulkStart.title == request.title,
            BulkStart.created_at >= now - DOUBLE_SUBMIT_WINDOW,
        )
    )
    for bulk in recent:
        same = (bulk.body, bulk.placement_id, bulk.student_ids)
        if same == (request.body, placement_id, request.student_ids):
            return bulk
    return None
