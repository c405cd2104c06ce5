"""Personal tutors: every student knows who "their" person on the course team is.

An allocation row links a student to a tutor from the course's staff; reallocating ends the
current row (`ended_at`) and starts a new one, so the history stays.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import TutorAllocation


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
