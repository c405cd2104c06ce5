"""Who may open what: grants per course, given by launches only.

A browser session holds one grant per course it launched into; every course page checks the
grant for *that* course, so editing an id in a URL never opens another course.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lti_tool.models.course import CourseRole

MAX_GRANTS = 20  # keeps the signed session cookie well under browsers' 4 KB limit


@dataclass(frozen=True)
class CourseGrant:
    course_id: int
    person_id: int
    role: CourseRole

    @property
    def is_staff(self) -> bool:
        return self.role is CourseRole.STAFF

    @property
    def is_student(self) -> bool:
        return self.role is CourseRole.STUDENT


def add_grant(grants: dict[str, Any], grant: CourseGrant) -> dict[str, Any]:
    """The session's grants with this one added (newest last, oldest dropped past the cap)."""
    updated = {k: v for k, v in grants.items() if k != str(grant.course_id)}
    updated[str(grant.course_id)] = [grant.person_id, grant.role.value]
    while len(updated) > MAX_GRANTS:
        updated.pop(next(iter(updated)))
    return updated


def grant_for(grants: object, course_id: int) -> CourseGrant | None:
    if not isinstance(grants, dict):
        return None
    entry = grants.get(str(course_id))
    if not isinstance(entry, list) or len(entry) != 2:
        return None
    try:
        return CourseGrant(course_id, int(entry[0]), CourseRole(entry[1]))
    except (TypeError, ValueError):
        return None


def can_see_course_people(grant: CourseGrant) -> bool:
    return grant.is_staff
