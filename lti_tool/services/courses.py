"""The course home: who you are in this course and, for staff, who Rapport knows there."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.models import Course, Membership, Person
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant, can_see_course_people
from lti_tool.services.profiles import AuthorCard
from lti_tool.services.tutors.service import tutor_card_for


@dataclass(frozen=True)
class CourseHome:
    course: Course
    person: Person
    role: CourseRole
    people_known: dict[str, int] | None
    tutor: AuthorCard | None = None  # a student's personal tutor, shown on their home

    @property
    def person_name(self) -> str:
        word = {CourseRole.STAFF: "Staff", CourseRole.STUDENT: "Student"}.get(self.role, "Guest")
        return self.person.name_as(word)

    @property
    def people_total(self) -> int:
        return sum((self.people_known or {}).values())


def course_home(session: Session, grant: CourseGrant) -> CourseHome | None:
    course = session.get(Course, grant.course_id)
    person = session.get(Person, grant.person_id)
    if course is None or person is None:
        return None
    counts = None
    if can_see_course_people(grant):
        rows = session.execute(
            select(Membership.role, func.count())
            .where(Membership.course_id == course.id, Membership.active.is_(True))
            .group_by(Membership.role)
        ).all()
        counts = {CourseRole(role).value: int(n) for role, n in rows}
    tutor = tutor_card_for(session, course.id, person.id) if grant.is_student else None
    return CourseHome(course, person, grant.role, counts, tutor)
