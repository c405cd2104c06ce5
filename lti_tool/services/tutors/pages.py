"""The staff page for personal tutors: every active student with their tutor, filtered to all,
mine or unallocated and paged by name, beside the staff with how many students each tutors.

Reading only; allocating and balancing from that page go through `service.allocate` and
`balance.balance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from lti_tool.i18n import _
from lti_tool.models import Course, Membership, Person, StaffProfile, TutorAllocation
from lti_tool.services.access import CourseGrant
from lti_tool.services.entry import COURSE, PERSON, visit
from lti_tool.services.refusals import Refused
from lti_tool.services.roster.people import sort_name
from lti_tool.services.tutors.service import (
    active_staff,
    require_staff,
    students_with_their_tutor,
)

PAGE_SIZE = 50  # students on a page: under 60 KB for a phone in the LMS frame (100 made 108 KB)
FILTERS = ("all", "mine", "unallocated")


@dataclass(frozen=True)
class StudentRow:
    student_id: int
    name: str
    email: str | None
    section: str | None
    tutor_id: int | None  # the current allocation, even if that tutor has left the course
    tutor_name: str | None
    tutor_active: bool
    since: datetime | None


@dataclass(frozen=True)
class TutorLoad:
    person_id: int
    name: str
    section: str | None
    role_title: str | None
    tutees: int


@dataclass(frozen=True)
class TutorsPage:
    course: Course
    show: str
    rows: list[StudentRow]
    staff: list[TutorLoad]
    page: int
    pages: int
    counts: dict[str, int]  # students in all, mine, without a tutor
    with_section: int  # students whose launch named an LMS section

    @property
    def total(self) -> int:
        return self.counts[self.show]


def allocation_page(session: Session, grant: CourseGrant, show: str, page: int) -> TutorsPage:
    """One page of the course's active students with their tutors, the staff with their loads,
    and how many students each filter shows; four queries for any course size (one of them
    reads every student, a count per tutor; the page is read in name order from an index)."""
    require_staff(grant)
    if show not in FILTERS:
        raise Refused(400, _("Show all, mine or unallocated students."))
    course = session.get(Course, grant.course_id)
    if course is None:
        raise Refused(404, _("This course is not known here."))
    params = visit(grant)  # the course (COURSE) and the viewer (PERSON)
    tally = [
        _Tally(tutor_id, bool(active), int(n), int(sections))
        for tutor_id, active, n, sections in session.execute(_TALLY, params)
    ]
    counts = {
        "all": sum(t.students for t in tally),
        "mine": sum(t.students for t in tally if t.tutor_id == grant.person_id),
        "unallocated": sum(t.students for t in tally if not t.tutor_active),
    }
    pages = max(1, -(-counts[show] // PAGE_SIZE))
    page = min(max(1, page), pages)
    on_page = {**params, "size": PAGE_SIZE, "skip": (page - 1) * PAGE_SIZE}
    rows = session.execute(_page_rows(show), on_page).all()
    return TutorsPage(
        course=course,
        show=show,
        rows=[
            StudentRow(
                student_id=person.id,
                name=person.name_as("Student"),
                email=person.email,
                section=section,
                tutor_id=tutor_id,
                tutor_name=tutor_person.name_as("Staff") if tutor_person else None,
                tutor_active=member_id is not None,
                since=since,
            )
            for person, section, tutor_id, since, tutor_person, member_id in rows
        ],
        staff=_staff_loads(session, params, tally),
        page=page,
        pages=pages,
        counts=counts,
        with_section=sum(t.with_section for t in tally),
    )


@dataclass(frozen=True)
class _Tally:
    """Active students who share a current tutor (or have none): how many, with a section."""

    tutor_id: int | None
    tutor_active: bool  # the tutor is active staff of the course
    students: int
    with_section: int


def _staff_loads(session: Session, params: dict[str, int], tally: list[_Tally]) -> list[TutorLoad]:
    """Active staff, by name, with how many active students each tutors; one query."""
    loads = {t.tutor_id: t.students for t in tally if t.tutor_id is not None}
    return [
        TutorLoad(person.id, person.name_as("Staff"), section, title, loads.get(person.id, 0))
        for person, section, title in session.execute(_STAFF, params)
    ]


# The page's statements, built once (the students' for each filter) with the entry's course
# and viewer (`entry.visit`) and the page as parameters: building them anew cost the page a
# tenth of its time.
_TUTOR, _TUTOR_MEMBER = aliased(Person), aliased(Membership)
_STUDENTS = students_with_their_tutor(COURSE).outerjoin(
    _TUTOR_MEMBER, active_staff(_TUTOR_MEMBER, Membership.course_id, TutorAllocation.tutor_id)
)

# The course's active students counted per current tutor, in one pass over them: the filters'
# counts and the staff's loads both add up from these few rows.
_TALLY = _STUDENTS.add_columns(
    TutorAllocation.tutor_id,
    _TUTOR_MEMBER.id.is_not(None),
    func.count(),
    func.count(Membership.section),
).group_by(TutorAllocation.tutor_id, _TUTOR_MEMBER.id)


@cache
def _page_rows(show: str) -> Select[Any]:
    """One page of the students `show` picks, by name, with their tutors. The page's students
    are found first, ordered by name over narrow rows; only those are then read whole."""
    chosen = {
        "all": _STUDENTS,
        "mine": _STUDENTS.where(TutorAllocation.tutor_id == PERSON),
        "unallocated": _STUDENTS.where(_TUTOR_MEMBER.id.is_(None)),
    }[show].join(Person, Person.id == Membership.person_id)
    on_page = (
        chosen.add_columns(Membership.person_id)
        .order_by(sort_name(), Person.id)
        .limit(bindparam("size", type_=Integer))
        .offset(bindparam("skip", type_=Integer))
    )
    return (
        _STUDENTS.join(Person, Person.id == Membership.person_id)
        .add_columns(
            Person,
            Membership.section,
            TutorAllocation.tutor_id,
            TutorAllocation.assigned_at,
            _TUTOR,
            _TUTOR_MEMBER.id,
        )
        .outerjoin(_TUTOR, _TUTOR.id == TutorAllocation.tutor_id)
        .where(Membership.person_id.in_(on_page.scalar_subquery()))
        .order_by(sort_name(), Person.id)
    )


_STAFF = (
    select(Person, Membership.section, StaffProfile.role_title)
    .join(Membership, active_staff(Membership, COURSE, Person.id))
    .outerjoin(
        StaffProfile, (StaffProfile.course_id == COURSE) & (StaffProfile.person_id == Person.id)
    )
    .order_by(sort_name(), Person.id)
)
