"""The course home: who you are in this course and, for staff, who Rapport knows there.

Its facts come with the course entry, in the same query (`enter_course_home`): the page every
launch lands on costs one statement for the visitor, the course, its settings, a student's
tutor, unread conversations and introduction, and the staff's head count, before the
newsfeed's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, func, select, true
from sqlalchemy.orm import Session, aliased

from lti_tool.models import Course, Membership, Person, StaffProfile, TutorAllocation
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant, can_see_course_people
from lti_tool.services.entry import (
    COURSE,
    PERSON,
    CourseEntry,
    Ident,
    entry_from,
    entry_query,
    visit,
)
from lti_tool.services.feedback.pages import student_badge_column
from lti_tool.services.feedback.viewers import viewer_for
from lti_tool.services.feedback.waiting import WaitingCounts, waiting_columns, waiting_counts
from lti_tool.services.newsfeed.service import has_introduction_column
from lti_tool.services.profiles import AuthorCard, card_for
from lti_tool.services.rollover.service import can_bring_over, start_from_another_column
from lti_tool.services.tutors.service import TUTOR_MEMBERSHIP, active_staff, tutor_card_for

TUTOR = aliased(Person, name="tutor")
COUNTED = aliased(Membership, name="counted")


@dataclass(frozen=True)
class CourseHome:
    course: Course
    person: Person
    role: CourseRole
    people_known: dict[str, int] | None
    tutor: AuthorCard | None = None  # a student's personal tutor, shown on their home
    waiting: WaitingCounts | None = None  # staff: replies owed and requests to talk
    # Those who run the course: whether to offer starting from a course they taught before.
    start_from_another: bool = False
    has_introduction: bool | None = None  # a student: whether they introduced themselves

    @property
    def person_name(self) -> str:
        word = {CourseRole.STAFF: "Staff", CourseRole.STUDENT: "Student"}.get(self.role, "Guest")
        return self.person.name_as(word)

    @property
    def people_total(self) -> int:
        return sum((self.people_known or {}).values())


@dataclass(frozen=True)
class HomeEntry(CourseEntry):
    home: CourseHome


def _active_by_role(course_id: Ident) -> Any:
    """How many active people of each role the course has, counted in one pass over its
    memberships (a subquery of one row, joined to the entry's)."""
    return (
        select(
            *(
                func.count().filter(COUNTED.role == role).label(f"people_{role.value}")
                for role in CourseRole
            )
        )
        .where(COUNTED.course_id == course_id, COUNTED.active.is_(True))
        .subquery("people_known")
    )


def enter_course_home(session: Session, grant: CourseGrant) -> HomeEntry | None:
    """The course entry (`services/entry.py`) with the home's facts, in one query: for a
    student (as the session knew them) their current tutor while still active staff; for
    staff, how many active people of each role the course has and what waits for them
    (`feedback.waiting`). Each reads only its own joins: the planner's work grows with every
    join, and the tutor's four cost a staff member's home more than their rows."""
    course_id = grant.course_id
    rows = session.execute(_home_query(grant.is_staff), visit(grant)).all()
    entry = entry_from(grant, rows)
    if entry is None:
        return None
    current = entry.grant
    first = rows[0]._mapping
    counts = None
    if can_see_course_people(current):
        if grant.is_staff:
            counts = {role.value: int(first[f"people_{role.value}"]) for role in CourseRole}
        else:  # made staff since the session began: the one case that reads them apart
            counts = people_counts(session, course_id)
    tutor = None
    if current.is_student:
        if grant.is_staff:  # a student again since the session began: read apart
            tutor = tutor_card_for(session, course_id, grant.person_id)
        elif first[TUTOR] is not None:
            tutor = card_for(first[TUTOR], CourseRole.STAFF, first[StaffProfile])
    unread = introduced = None
    if current.is_student and not grant.is_staff:
        unread, introduced = int(first["feedback_unread"]), bool(first["has_introduction"])
    waiting = None
    if grant.is_staff and current.is_staff:
        waiting = waiting_counts(viewer_for(session, current, entry.settings), first)
    start_from_another = bool(
        grant.is_staff and can_bring_over(current) and first["start_from_another"]
    )
    home = CourseHome(
        entry.course,
        entry.person,
        current.role,
        counts,
        tutor,
        waiting,
        start_from_another,
        introduced,
    )
    return HomeEntry(
        entry.grant, entry.settings, entry.course, entry.person, home, feedback_unread=unread
    )


@cache
def _home_query(for_staff: bool) -> Select[Any]:
    """The entry's query with the home's facts for staff or for everyone else, built once
    (with the entry's bound parameters, `entry.visit`)."""
    query = entry_query()
    if for_staff:
        known = _active_by_role(COURSE)
        return (
            query.join(known, true())
            .add_columns(*known.c)
            .add_columns(*waiting_columns(COURSE, PERSON))
            .add_columns(start_from_another_column(PERSON))
        )
    # The student's current tutor while still active staff, and their profile; their
    # navigation's unread badge, and whether they introduced themselves.
    return (
        query.add_columns(
            TUTOR,
            StaffProfile,
            student_badge_column().label("feedback_unread"),
            has_introduction_column().label("has_introduction"),
        )
        .outerjoin(
            TutorAllocation,
            and_(
                TutorAllocation.course_id == COURSE,
                TutorAllocation.student_id == PERSON,
                TutorAllocation.ended_at.is_(None),
            ),
        )
        .outerjoin(
            TUTOR_MEMBERSHIP,
            active_staff(TUTOR_MEMBERSHIP, TutorAllocation.course_id, TutorAllocation.tutor_id),
        )
        .outerjoin(TUTOR, TUTOR.id == TUTOR_MEMBERSHIP.person_id)
        .outerjoin(
            StaffProfile,
            (StaffProfile.course_id == COURSE) & (StaffProfile.person_id == TUTOR.id),
        )
    )


def people_counts(session: Session, course_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Membership.role, func.count())
        .where(Membership.course_id == course_id, Membership.active.is_(True))
        .group_by(Membership.role)
    ).all()
    return {CourseRole(role).value: int(n) for role, n in rows}
