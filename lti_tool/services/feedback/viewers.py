"""Who reads and writes which feedback threads: the person looking (`Viewer`) and the rules
that decide what they may do. Which staff read a student's threads is a course setting: all of
them (default), or the student's personal tutor and the course's instructors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.lti.roles import leads_course
from lti_tool.models import FeedbackMessage, FeedbackThread, Membership, Placement
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.feedback import settings as options
from lti_tool.services.tutors.service import tutee_ids

EDIT_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Viewer:
    """The person looking, with what decides which threads they read."""

    grant: CourseGrant
    is_instructor: bool
    visibility: str
    students_start: bool = True  # the course lets students write first

    @property
    def reads_every_thread(self) -> bool:
        """Staff who read all of the course's threads, whoever tutors the student."""
        if not self.grant.is_staff:
            return False
        return self.is_instructor or self.visibility == options.ALL_STAFF


def viewer_of_kind(staff: bool, reads_every_thread: bool) -> Viewer:
    """A viewer of this kind, for a statement built once for all of them: its ids are never
    read (the statement's bound parameters stand for them)."""
    role = CourseRole.STAFF if staff else CourseRole.STUDENT
    return Viewer(CourseGrant(0, 0, role), is_instructor=reads_every_thread, visibility="")


def viewer_for(session: Session, grant: CourseGrant, settings: Mapping[str, Any]) -> Viewer:
    lead = False
    visibility = str(settings[options.VISIBILITY])
    # Whether they are an instructor only matters when not every staff member reads everything.
    if grant.is_staff and visibility != options.ALL_STAFF:
        if grant.leads is not None:  # a course page's grant knows already (services/entry.py)
            lead = grant.leads
        else:
            roles = session.scalar(
                select(Membership.lti_roles).where(
                    Membership.course_id == grant.course_id,
                    Membership.person_id == grant.person_id,
                )
            )
            lead = leads_course(roles or [])
    return Viewer(grant, lead, visibility, bool(settings.get(options.STUDENTS_START, True)))


# -- rules ------------------------------------------------------------------------------------


def can_read_thread(viewer: Viewer, thread: FeedbackThread, tutor_id: int | None) -> bool:
    """The student it belongs to; staff as the course's setting allows; nobody else."""
    grant = viewer.grant
    if thread.course_id != grant.course_id:
        return False
    if grant.is_student:
        return thread.student_id == grant.person_id
    if not grant.is_staff:
        return False
    return viewer.reads_every_thread or tutor_id == grant.person_id


def can_write_to_student(viewer: Viewer, is_their_tutor: bool) -> bool:
    """Whether a staff member may write in a student's thread, before any thread exists (an
    answer to a check-in): the same rule as `can_read_thread`, so nobody is offered a form
    whose words would be refused."""
    return viewer.grant.is_staff and (viewer.reads_every_thread or is_their_tutor)


def students_they_write_to(session: Session, viewer: Viewer) -> set[int] | None:
    """The students a staff member may write to by `can_write_to_student`: None for all of the
    course's, else their tutees."""
    if viewer.reads_every_thread:
        return None
    return tutee_ids(session, viewer.grant.course_id, viewer.grant.person_id)


def can_start_thread(viewer: Viewer) -> bool:
    """Staff start conversations with students; a student starts one of their own (with their
    tutor, or the course team) where the course lets students write first."""
    return viewer.grant.is_staff or (viewer.grant.is_student and viewer.students_start)


def can_grade(viewer: Viewer, placement: Placement | None) -> bool:
    return (
        viewer.grant.is_staff
        and placement is not None
        and placement.graded
        and placement.score_maximum is not None
    )


def can_edit_message(viewer: Viewer, message: FeedbackMessage, now: datetime) -> bool:
    """Its author, for ten minutes after writing it."""
    return message.author_id == viewer.grant.person_id and now - message.created_at <= EDIT_WINDOW
