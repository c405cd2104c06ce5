"""The students feedback pages list for staff: a feedback activity's overview (each student's
conversation and grade) and the student picker of a new conversation.

Both are paged in SQL: whatever the course's size, each costs the same few statements and
shows at most a page of students. Staff who read only their tutees' threads see only their
tutees here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from lti_tool.models import (
    Course,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Person,
    Placement,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.entry import Ident
from lti_tool.services.feedback.service import feedback_placement
from lti_tool.services.feedback.viewers import Viewer
from lti_tool.services.roster.people import sort_name

PAGE_SIZE = 100  # students on a page of an activity's overview
CHOICES = 100  # students the new conversation's picker offers at once
QUERY_LENGTH = 100  # the most of a name anyone searches by


def tutees_of(viewer: Viewer, course: Ident | None = None, me: Ident | None = None) -> Select[int]:
    """The ids of the viewer's current tutees, as a subquery (`course` and `me` stand for the
    viewer's course and id in a statement built for every viewer of their kind)."""
    return select(TutorAllocation.student_id).where(
        TutorAllocation.course_id == (viewer.grant.course_id if course is None else course),
        TutorAllocation.tutor_id == (viewer.grant.person_id if me is None else me),
        TutorAllocation.ended_at.is_(None),
    )


def matches_search(query: str) -> ColumnElement[bool]:
    """The person's name, given or family name, or email holds the search, in any case: over
    Person, joined by the caller."""
    return or_(
        *(
            func.lower(column).contains(query.casefold(), autoescape=True)
            for column in (Person.name, Person.given_name, Person.family_name, Person.email)
        )
    )


def _listed(viewer: Viewer) -> list[ColumnElement[bool]]:
    """The course's active students this viewer writes to, as WHERE clauses over Person."""
    where = [
        Membership.person_id == Person.id,
        Membership.course_id == viewer.grant.course_id,
        Membership.role == CourseRole.STUDENT,
        Membership.active.is_(True),
    ]
    if not viewer.reads_every_thread:
        where.append(Person.id.in_(tutees_of(viewer)))
    return where


@dataclass(frozen=True)
class ActivityRow:
    student_id: int
    name: str
    thread: FeedbackThread | None
    grade: float | None


@dataclass(frozen=True)
class ActivityOverview:
    course: Course
    placement: Placement
    rows: list[ActivityRow]
    page: int
    pages: int
    total: int


def activity_overview(
    session: Session, viewer: Viewer, placement_id: int, page: int = 1
) -> ActivityOverview:
    """Staff: one page of the course's active students by name, and where their feedback for
    this activity stands (a count, the page, its threads, their grades)."""
    course = session.get_one(Course, viewer.grant.course_id)
    placement = feedback_placement(session, course.id, placement_id)
    total = int(
        session.scalar(select(func.count()).select_from(Person).where(*_listed(viewer))) or 0
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    students = session.scalars(
        select(Person)
        .where(*_listed(viewer))
        .order_by(sort_name(), Person.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    threads = {
        t.student_id: t
        for t in session.scalars(
            select(FeedbackThread).where(
                FeedbackThread.course_id == course.id,
                FeedbackThread.placement_id == placement.id,
                FeedbackThread.student_id.in_([p.id for p in students] or [0]),
            )
        )
    }
    grades = _grades(session, [t.id for t in threads.values()])
    rows = [
        ActivityRow(
            p.id,
            p.name_as("Student"),
            threads.get(p.id),
            grades.get(threads[p.id].id) if p.id in threads else None,
        )
        for p in students
    ]
    return ActivityOverview(course, placement, rows, page, pages, total)


def _grades(session: Session, thread_ids: list[int]) -> dict[int, float | None]:
    """Each thread's current grade: the one its latest graded message gave."""
    latest = (
        select(FeedbackMessage.thread_id, func.max(FeedbackMessage.id).label("last"))
        .where(
            FeedbackMessage.thread_id.in_(thread_ids or [0]),
            FeedbackMessage.score_given.is_not(None),
        )
        .group_by(FeedbackMessage.thread_id)
        .subquery()
    )
    found = session.execute(
        select(FeedbackMessage.thread_id, FeedbackMessage.score_given).join(
            latest, latest.c.last == FeedbackMessage.id
        )
    )
    return dict(found.all())


@dataclass(frozen=True)
class StudentChoices:
    students: list[tuple[int, str]]  # (person id, name), the chosen one first
    chosen: int | None  # the student asked for, if the viewer may write to them
    query: str
    more: bool  # more students match than are offered


def student_choices(
    session: Session, viewer: Viewer, query: str = "", chosen: int | None = None
) -> StudentChoices:
    """Who a new conversation may be with: the first CHOICES students by name whose name or
    email holds `query`, and the student already chosen (from `?student=`) if they are one
    the viewer writes to. One query."""
    query = " ".join(query.split())[:QUERY_LENGTH]
    where = _listed(viewer)
    if query:
        where.append(or_(matches_search(query), Person.id == (chosen or 0)))
    found = session.scalars(
        select(Person)
        .where(*where)
        .order_by(case((Person.id == (chosen or 0), 0), else_=1), sort_name(), Person.id)
        .limit(CHOICES + 1)
    ).all()
    students = [(p.id, p.name_as("Student")) for p in found[:CHOICES]]
    offered = chosen if any(p.id == chosen for p in found) else None
    return StudentChoices(students, offered, query, len(found) > CHOICES)
