"""Personal tutors: every student knows who "their" person on the course team is.

An allocation row links a student to a tutor from the course's staff; reallocating ends the
current row (`ended_at`) and starts a new one, so the history stays. This module holds the rule
(who may allocate), the reading side (each student's tutor, a tutor's tutees, the history) and
allocating by hand (`allocate`), with the small writers the other tutor modules share. Spreading
students evenly lives in `balance`; the staff page's listing in `pages`.

Writers never hold locks: the partial unique index (one current row per student) settles
races, and a new current row is inserted with ON CONFLICT DO NOTHING, so a concurrent write
shows up as "nothing inserted" rather than an aborted transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, select, update
from sqlalchemy.orm import Session, aliased

from lti_tool.i18n import _
from lti_tool.models import Course, Membership, Person, StaffProfile, TutorAllocation
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.entry import Ident
from lti_tool.services.profiles import AuthorCard, card_for
from lti_tool.services.refusals import Refused
from lti_tool.services.tutors import audit
from lti_tool.services.upsert import dialect_insert

_TABLE = cast(Table, TutorAllocation.__table__)


def can_allocate_tutors(grant: CourseGrant) -> bool:
    """Staff of the course allocate tutors and see who tutors whom; nobody else does."""
    return grant.is_staff


def require_staff(grant: CourseGrant) -> None:
    if not can_allocate_tutors(grant):
        raise Refused(403, _("Only the course's staff can allocate tutors."))


def active_staff(member: Any, course_id: Any, person_id: Any) -> Any:
    """Join condition: `member` is `person_id`'s active staff membership of `course_id`."""
    return and_(
        member.course_id == course_id,
        member.person_id == person_id,
        member.active.is_(True),
        member.role == CourseRole.STAFF,
    )


# -- reading -----------------------------------------------------------------------------------
def students_with_their_tutor(course_id: Ident) -> Select[Any]:
    """The course's active students, each with their current allocation (if any) outer-joined,
    as a statement to add columns, joins and filters to."""
    return (
        select()
        .select_from(Membership)
        .outerjoin(
            TutorAllocation,
            and_(
                TutorAllocation.course_id == Membership.course_id,
                TutorAllocation.student_id == Membership.person_id,
                TutorAllocation.ended_at.is_(None),
            ),
        )
        .where(
            Membership.course_id == course_id,
            Membership.active.is_(True),
            Membership.role == CourseRole.STUDENT,
        )
    )


def current_tutor_ids(
    session: Session, course_id: int, student_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Each student's current tutor, by student id (all of the course's when none are named);
    one query."""
    query = select(TutorAllocation.student_id, TutorAllocation.tutor_id).where(
        TutorAllocation.course_id == course_id, TutorAllocation.ended_at.is_(None)
    )
    if student_ids is not None:
        ids = sorted(set(student_ids))
        if not ids:
            return {}
        query = query.where(TutorAllocation.student_id.in_(ids))
    return {int(student): int(tutor) for student, tutor in session.execute(query).all()}


def tutee_ids(session: Session, course_id: int, tutor_id: int) -> set[int]:
    """The students this staff member currently tutors."""
    return set(
        session.scalars(
            select(TutorAllocation.student_id).where(
                TutorAllocation.course_id == course_id,
                TutorAllocation.tutor_id == tutor_id,
                TutorAllocation.ended_at.is_(None),
            )
        )
    )


# Built once: building an alias costs a millisecond or more, on every course home of a student.
TUTOR_MEMBERSHIP = aliased(Membership, name="tutor_membership")


def tutor_card_for(session: Session, course_id: int, student_id: int) -> AuthorCard | None:
    """The student's current tutor as the student sees them, while that tutor is still active
    staff of the course; one query."""
    tutor = TUTOR_MEMBERSHIP
    row = session.execute(
        select(Person, StaffProfile)
        .select_from(TutorAllocation)
        .join(Person, Person.id == TutorAllocation.tutor_id)
        .join(tutor, active_staff(tutor, TutorAllocation.course_id, Person.id))
        .outerjoin(
            StaffProfile,
            (StaffProfile.course_id == course_id) & (StaffProfile.person_id == Person.id),
        )
        .where(
            TutorAllocation.course_id == course_id,
            TutorAllocation.student_id == student_id,
            TutorAllocation.ended_at.is_(None),
        )
    ).first()
    return card_for(row[0], CourseRole.STAFF, row[1]) if row else None


@dataclass(frozen=True)
class TutorSpell:
    """One tutor's time with a student."""

    tutor_id: int
    tutor_name: str
    assigned_at: datetime
    ended_at: datetime | None
    assigned_by: str | None


def history(session: Session, course_id: int, student_id: int) -> list[TutorSpell]:
    """Who tutored the student, from when until when, and who chose them; newest first."""
    tutor, chooser = aliased(Person), aliased(Person)
    rows = session.execute(
        select(TutorAllocation, tutor, chooser)
        .join(tutor, tutor.id == TutorAllocation.tutor_id)
        .outerjoin(chooser, chooser.id == TutorAllocation.assigned_by_id)
        .where(TutorAllocation.course_id == course_id, TutorAllocation.student_id == student_id)
        .order_by(TutorAllocation.assigned_at.desc(), TutorAllocation.id.desc())
    ).all()
    return [
        TutorSpell(
            tutor_id=row.tutor_id,
            tutor_name=person.name_as("Staff"),
            assigned_at=row.assigned_at,
            ended_at=row.ended_at,
            assigned_by=by.name_as("Staff") if by else None,
        )
        for row, person, by in rows
    ]


@dataclass(frozen=True)
class StudentHistory:
    course: Course
    student_id: int
    student_name: str
    spells: list[TutorSpell]


def history_page(session: Session, grant: CourseGrant, student_id: int) -> StudentHistory | None:
    """A student's tutors over time, for staff; None when they are nobody in this course."""
    require_staff(grant)
    course = session.get(Course, grant.course_id)
    person = session.scalar(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.course_id == grant.course_id, Person.id == student_id)
    )
    if course is None or person is None:
        return None
    spells = history(session, grant.course_id, student_id)
    return StudentHistory(course, person.id, person.name_as("Student"), spells)


# -- allocating by hand ------------------------------------------------------------------------
def allocate(
    session: Session, grant: CourseGrant, student_id: int, tutor_id: int | None, now: datetime
) -> None:
    """Make `tutor_id` the student's tutor (None: no tutor); the old allocation is ended, not
    deleted. Both must be active in *this* course: a student, and a member of staff."""
    require_staff(grant)
    course_id = grant.course_id
    wanted = {student_id} if tutor_id is None else {student_id, tutor_id}
    roles = dict(
        session.execute(
            select(Membership.person_id, Membership.role).where(
                Membership.course_id == course_id,
                Membership.active.is_(True),
                Membership.person_id.in_(wanted),
            )
        ).all()
    )
    if roles.get(student_id) != CourseRole.STUDENT:
        raise Refused(400, _("That person is not a student of this course."))
    if tutor_id is not None and roles.get(tutor_id) != CourseRole.STAFF:
        raise Refused(400, _("A tutor must be one of this course's staff."))
    # A second pass only when a concurrent allocation committed between our read and insert.
    for _attempt in range(2):
        current = session.execute(
            select(TutorAllocation.id, TutorAllocation.tutor_id).where(
                TutorAllocation.course_id == course_id,
                TutorAllocation.student_id == student_id,
                TutorAllocation.ended_at.is_(None),
            )
        ).first()
        previous = current.tutor_id if current else None
        if previous == tutor_id:
            return
        if current:
            end_allocations(session, [current.id], now)
        if tutor_id is not None:
            row = allocation_row(course_id, student_id, tutor_id, grant.person_id, now)
            if insert_current(session, [row]) != 1:
                continue
        audit.tutor_changed(session, grant, student_id, previous, tutor_id, now)
        return
    raise Refused(409, _("Someone else changed this student's tutor just now; try again."))


def allocation_row(
    course_id: int, student: int, tutor: int, by: int, now: datetime
) -> dict[str, Any]:
    """A new current allocation of `student` to `tutor`, chosen by `by`, as a row to insert."""
    return {
        "course_id": course_id,
        "student_id": student,
        "tutor_id": tutor,
        "assigned_by_id": by,
        "assigned_at": now,
        "ended_at": None,
    }


def end_allocations(session: Session, row_ids: list[int], now: datetime) -> None:
    """End these current allocations; one statement (executemany) however many."""
    if not row_ids:
        return
    statement = (
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.execute(statement, [{"row_id": row_id} for row_id in row_ids])


def insert_current(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert new current allocations, skipping students a concurrent writer gave a current
    one first; how many were inserted. One statement (executemany)."""
    if not rows:
        return 0
    insert = dialect_insert(session.get_bind().dialect.name)
    # RETURNING, not rowcount: drivers report -1 for batched inserts (psycopg does).
    statement = insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id)
    return len(session.execute(statement, rows).all())
