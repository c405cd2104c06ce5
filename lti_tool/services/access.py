"""Who may open what: grants per course, given by launches only.

A browser session holds one grant per course it launched into; every course page checks the
grant for *that* course, so editing an id in a URL never opens another course. A grant says
who launched and when; what they may do comes from their membership as it is now
(`services/entry.py`), and a grant older than GRANT_LIFETIME is no longer honoured, whatever
the browser keeps: the server decides when a session ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lti_tool.models.course import CourseRole

MAX_GRANTS = 20  # keeps the signed session cookie well under browsers' 4 KB limit
# A working day: long enough for a teaching session, short enough that a shared computer's
# forgotten tab does not stay signed in overnight. Opening Rapport from the LMS renews it.
GRANT_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class CourseGrant:
    course_id: int
    person_id: int
    role: CourseRole
    # Among staff, whether they run the course (Instructor, course Administrator) or assist in
    # it (TeachingAssistant); None when not known, which counts as running it.
    leads: bool | None = None

    @property
    def is_staff(self) -> bool:
        return self.role is CourseRole.STAFF

    @property
    def is_instructor(self) -> bool:
        """Staff who configure the course and edit anyone's posts; assistants do not."""
        return self.is_staff and self.leads is not False

    @property
    def is_student(self) -> bool:
        return self.role is CourseRole.STUDENT


def add_grant(grants: dict[str, Any], grant: CourseGrant, now: datetime) -> dict[str, Any]:
    """The session's grants with this one added (newest last, oldest dropped past the cap)."""
    updated = {k: v for k, v in grants.items() if k != str(grant.course_id)}
    updated[str(grant.course_id)] = [grant.person_id, grant.role.value, int(now.timestamp())]
    while len(updated) > MAX_GRANTS:
        updated.pop(next(iter(updated)))
    return updated


def grant_for(grants: object, course_id: int, now: datetime) -> CourseGrant | None:
    """The session's grant for this course, if it has one that has not expired."""
    if not isinstance(grants, dict):
        return None
    entry = grants.get(str(course_id))
    if not isinstance(entry, list) or len(entry) != 3:
        return None  # none, or from before grants carried their time: launch again
    try:
        person_id, role, issued = int(entry[0]), CourseRole(entry[1]), int(entry[2])
    except (TypeError, ValueError):
        return None
    if not 0 <= now.timestamp() - issued <= GRANT_LIFETIME.total_seconds():
        return None
    return CourseGrant(course_id, person_id, role)


def can_see_course_people(grant: CourseGrant) -> bool:
    return grant.is_staff
