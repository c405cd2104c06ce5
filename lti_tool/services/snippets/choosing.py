"""Whom a bulk start goes to: a group named by what it is (every active student, my tutees,
students nobody has written to yet), or students picked one by one from a list paged by name.

A group is resolved to students on the server when the start is confirmed, so a course of
5,000 never needs 5,000 checkboxes; the picker shows one page of names at a time, searched
and ordered in SQL. Both keep the feedback rule: in a course where only a student's tutor
and the instructors read their threads, a teaching assistant reaches their own tutees only.
Each function costs the same few statements at any course size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import FeedbackThread, Membership, Person, TutorAllocation
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import course_settings
from lti_tool.services.feedback.viewers import viewer_for
from lti_tool.services.refusals import Refused
from lti_tool.services.roster.people import sort_name
from lti_tool.services.tutors.service import students_with_their_tutor

PICKED = "picked"  # students chosen one by one, not a group
GROUPS = ("all", "tutees", "uncontacted")
PICKER_PAGE_SIZE = 100
MAX_SEARCH = 100  # characters of a name search


@dataclass(frozen=True)
class StudentChoice:
    person_id: int
    name: str
    section: str | None
    my_tutee: bool


@dataclass(frozen=True)
class PickerPage:
    """One page of the students a staff member may write to, matching a name search."""

    students: list[StudentChoice]
    search: str
    page: int
    pages: int
    matching: int


def _mine(grant: CourseGrant) -> ColumnElement[bool]:
    """The student is this staff member's tutee now (with `_students`' allocation joined)."""
    return TutorAllocation.tutor_id == grant.person_id


def _contacted(grant: CourseGrant) -> Any:
    """The students someone has started a feedback thread with in this course."""
    return (
        select(FeedbackThread.student_id)
        .where(FeedbackThread.course_id == grant.course_id)
        .distinct()
        .subquery()
    )


def writes_to_all(session: Session, grant: CourseGrant) -> bool:
    """Whether this staff member may write to every student (else their tutees only), by the
    feedback rule `can_write_to_student`."""
    viewer = viewer_for(session, grant, course_settings(session, grant.course_id))
    return viewer.reads_every_thread


def _reachable(grant: CourseGrant, everyone: bool) -> Select[Any]:
    """The course's active students this staff member may write to, each with their current
    tutor allocation (if any) joined, as a statement to add columns to."""
    query = students_with_their_tutor(grant.course_id)
    return query if everyone else query.where(_mine(grant))


def group_sizes(session: Session, grant: CourseGrant, everyone: bool) -> dict[str, int]:
    """How many students each group holds for this staff member; one query."""
    contacted = _contacted(grant)
    row = session.execute(
        _reachable(grant, everyone)
        .outerjoin(contacted, contacted.c.student_id == Membership.person_id)
        .add_columns(
            func.count(),
            func.count(case((_mine(grant), 1))),
            func.count(case((contacted.c.student_id.is_(None), 1))),
        )
    ).one()
    return {"all": int(row[0]), "tutees": int(row[1]), "uncontacted": int(row[2])}


def group_members(session: Session, grant: CourseGrant, group: str) -> list[int]:
    """The students of a group as a start would reach them now, by name; one query after the
    feedback rule's own."""
    if group not in GROUPS:
        raise ValueError(group)
    query = (
        _reachable(grant, writes_to_all(session, grant))
        .join(Person, Person.id == Membership.person_id)
        .add_columns(Person.id)
    )
    if group == "tutees":
        query = query.where(_mine(grant))
    elif group == "uncontacted":
        contacted = _contacted(grant)
        query = query.outerjoin(contacted, contacted.c.student_id == Person.id).where(
            contacted.c.student_id.is_(None)
        )
    return list(session.scalars(query.order_by(sort_name(), Person.id)))


def _matching(search: str) -> ColumnElement[bool]:
    """Any of the names (or the email) holds every word of the search, in any case."""
    pattern = (
        func.coalesce(Person.name, "")
        + " "
        + func.coalesce(Person.given_name, "")
        + " "
        + func.coalesce(Person.family_name, "")
        + " "
        + func.coalesce(Person.email, "")
    )
    words = search.split()
    return and_(*(func.lower(pattern).contains(w.casefold(), autoescape=True) for w in words))


def picker_page(
    session: Session, grant: CourseGrant, everyone: bool, search: str, page: int, reachable: int
) -> PickerPage:
    """A page of the students this staff member may write to (`reachable` of them), by name,
    matching `search`; one query, and one more to count what a search finds."""
    search = search.strip()[:MAX_SEARCH]
    query = _reachable(grant, everyone).join(Person, Person.id == Membership.person_id)
    matching = reachable
    if search:
        query = query.where(_matching(search))
        matching = int(session.execute(query.add_columns(func.count())).scalar_one())
    pages = max(1, -(-matching // PICKER_PAGE_SIZE))
    page = min(max(1, page), pages)
    on_page = (  # ordered by name over narrow rows; only this page's are then read whole
        query.add_columns(Person.id)
        .order_by(sort_name(), Person.id)
        .limit(PICKER_PAGE_SIZE)
        .offset((page - 1) * PICKER_PAGE_SIZE)
    )
    rows = session.execute(
        query.add_columns(Person, Membership.section, func.coalesce(_mine(grant), False))
        .where(Person.id.in_(on_page.scalar_subquery()))
        .order_by(sort_name(), Person.id)
    ).all()
    students = [
        StudentChoice(person.id, person.name_as("Student"), section, bool(mine))
        for person, section, mine in rows
    ]
    return PickerPage(students, search, page, pages, matching)


@dataclass(frozen=True)
class Choices:
    """What the bulk-start form offers: the groups with their sizes, and a page of the
    picker. `everyone` is False where the sender may write to their own tutees only."""

    sizes: dict[str, int]
    picker: PickerPage
    everyone: bool


def choices(session: Session, grant: CourseGrant, search: str, page: int) -> Choices:
    """The groups and one page of students to pick from; four queries at any course size (five
    with a search)."""
    if not grant.is_staff:
        raise Refused(403, _("Only the course's staff start feedback threads."))
    everyone = writes_to_all(session, grant)
    sizes = group_sizes(session, grant, everyone)
    picker = picker_page(session, grant, everyone, search, page, sizes["all"])
    return Choices(sizes, picker, everyone)
