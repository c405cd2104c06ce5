"""What every course page starts from, in one query: the visitor's grant checked against their
membership as it is now (role, and among staff whether they run the course or assist), and
the course's settings.

A session's grant only says who launched into which course. The role comes from the membership
row each time, so a role the LMS took away (a later launch as Learner, a roster that lists the
person as inactive or removed) takes effect on the next request, not when the cookie expires.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.lti.roles import leads_course
from lti_tool.models import CourseSetting, Membership
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import CourseSettings


@dataclass(frozen=True)
class CourseEntry:
    grant: CourseGrant
    settings: CourseSettings


def enter_course(session: Session, grant: CourseGrant) -> CourseEntry | None:
    """The grant with the member's current role, and the course's settings; None when the
    person is no longer an active member of the course."""
    rows = session.execute(
        select(
            Membership.role,
            Membership.active,
            Membership.lti_roles,
            CourseSetting.key,
            CourseSetting.value,
        )
        .select_from(Membership)
        .outerjoin(CourseSetting, CourseSetting.course_id == Membership.course_id)
        .where(Membership.course_id == grant.course_id, Membership.person_id == grant.person_id)
    ).all()
    if not rows or not rows[0].active:
        return None
    stored = {row.key: row.value for row in rows if row.key is not None}
    return CourseEntry(
        CourseGrant(
            grant.course_id,
            grant.person_id,
            CourseRole(rows[0].role),
            leads=leads_course(rows[0].lti_roles or []),
        ),
        CourseSettings(grant.course_id, stored),
    )
