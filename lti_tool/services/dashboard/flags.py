"""Staff flag a student to keep an eye on them; the dashboard filters by it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import Membership, StudentFlag
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.refusals import Refused
from lti_tool.services.upsert import insert_ignoring_conflicts


def set_flag(
    session: Session, grant: CourseGrant, student_id: int, flagged: bool, now: datetime
) -> None:
    if not grant.is_staff:
        raise Refused(403, _("Only the course's staff flag students."))
    member = session.scalar(
        select(Membership.id).where(
            Membership.course_id == grant.course_id,
            Membership.person_id == student_id,
            Membership.role == CourseRole.STUDENT,
        )
    )
    if member is None:
        raise Refused(404, _("There is no such student in this course."))
    if flagged:
        row = {
            "course_id": grant.course_id,
            "student_id": student_id,
            "flagged_by_id": grant.person_id,
            "flagged_at": now,
        }
        insert_ignoring_conflicts(session, StudentFlag, row)
    else:
        session.execute(
            delete(StudentFlag).where(
                StudentFlag.course_id == grant.course_id, StudentFlag.student_id == student_id
            )
        )
