"""The staff "People" page: everyone Rapport knows in a course, from launches and the NRPS roster.

Two queries for any course size: a count, and one page of memberships joined with their
people. Statuses are told in the product's words: active, inactive or removed in the LMS
(NRPS 2.0 §2.3 `status`), or no longer on the roster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, contains_eager

from lti_tool.i18n import _, lazy_gettext
from lti_tool.lti.nrps import MemberStatus
from lti_tool.models import Course, Membership, Person
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant, can_see_course_people

PAGE_SIZE = 100
# The role as a name's fallback reads it ("Student 4f2a", `Person.name_as`), and as shown.
_ROLE_WORD = {CourseRole.STAFF: "Staff", CourseRole.STUDENT: "Student", CourseRole.GUEST: "Guest"}
_ROLE_LABEL = {
    CourseRole.STAFF: lazy_gettext("Staff"),
    CourseRole.STUDENT: lazy_gettext("Student"),
    CourseRole.GUEST: lazy_gettext("Guest"),
}


@dataclass(frozen=True)
class PersonInCourse:
    membership: Membership

    @property
    def name(self) -> str:
        return self.membership.person.name_as(self.role_word)

    @property
    def role_word(self) -> str:
        return _ROLE_WORD[CourseRole(self.membership.role)]

    @property
    def role_label(self) -> str:
        """The role in the reader's language."""
        return str(_ROLE_LABEL[CourseRole(self.membership.role)])

    @property
    def roster_disagrees(self) -> str | None:
        """When the roster lists another role than the person's signed launch, the roster's
        word for it: the launch is what Rapport acts on (as Moodle's NRPS lists a non-editing
        teacher as a Learner), and staff should know the two disagree."""
        member = self.membership
        if member.launch_role and member.roster_role and member.launch_role != member.roster_role:
            return str(_ROLE_LABEL[CourseRole(member.roster_role)])
        return None

    @property
    def email(self) -> str | None:
        return self.membership.person.email

    @property
    def status(self) -> str:
        member = self.membership
        if member.active:
            return _("active")
        if member.roster_status == MemberStatus.INACTIVE:
            return _("inactive in the LMS")
        if member.roster_status == MemberStatus.DELETED:
            return _("removed in the LMS")
        return _("no longer on the roster")

    @property
    def last_launch_at(self) -> datetime | None:
        return self.membership.last_launch_at


@dataclass(frozen=True)
class PeoplePage:
    course: Course
    people: list[PersonInCourse]
    page: int
    pages: int
    total: int


def course_people(session: Session, grant: CourseGrant, page: int = 1) -> PeoplePage | None:
    """One page of the course's people, staff first, active before inactive, then by name."""
    if not can_see_course_people(grant):
        return None
    course = session.get(Course, grant.course_id)
    if course is None:
        return None
    total = session.scalar(
        select(func.count()).select_from(Membership).where(Membership.course_id == course.id)
    )
    pages = max(1, -(-int(total or 0) // PAGE_SIZE))
    page = min(max(1, page), pages)
    role_order = case(
        (Membership.role == CourseRole.STAFF, 0),
        (Membership.role == CourseRole.STUDENT, 1),
        else_=2,
    )
    # The order is found on narrow rows, and only the page's hundred are read whole: sorting
    # every member with their whole row costs twice as much.
    shown = (
        select(Membership.id)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.course_id == course.id)
        .order_by(role_order, Membership.active.desc(), sort_name(), Person.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .subquery()
    )
    rows = session.scalars(
        select(Membership)
        .join(shown, shown.c.id == Membership.id)
        .join(Membership.person)
        .options(contains_eager(Membership.person))
        .order_by(role_order, Membership.active.desc(), sort_name(), Person.id)
    ).all()
    return PeoplePage(course, [PersonInCourse(m) for m in rows], page, pages, int(total or 0))


def sort_name() -> ColumnElement[str]:
    """A person's name as lists sort by it in SQL, without regard to case; people without one
    last (their fallback, "Student 4f2a", is made in Python)."""
    return func.lower(
        func.coalesce(Person.name, Person.family_name, Person.given_name, Person.email, "~")
    )
