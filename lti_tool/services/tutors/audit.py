"""Tutors in the course's activity log (`lti_tool.services.audit`): a student's tutor chosen,
changed or removed by hand, and tutors balanced across many students at once. Students see
who their tutor is, and in some courses only their tutor and the instructors read their
feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import (
    AuditAction,
    AuditFacts,
    listed,
    plural,
    record_by,
    register_action,
)


def _allocated(facts: AuditFacts) -> str:
    said = f"made {facts.name('tutor_person_id')} the tutor of {facts.subject_name}"
    if facts.details.get("previous_tutor_person_id") is None:
        return said
    return f"{said} instead of {facts.name('previous_tutor_person_id')}"


def _balanced(facts: AuditFacts) -> str:
    tutors = listed(facts.people("tutor_person_ids")) or "the course's staff"
    count = facts.number("count")
    if facts.details.get("only_unallocated"):
        said = f"shared {plural(count, 'student')} without a tutor among {tutors}"
    else:
        said = f"rebalanced tutors among {tutors}: {plural(count, 'student')} changed tutor"
    if facts.details.get("by_section"):
        said += ", keeping LMS sections with their staff"
    return said


def _removed(facts: AuditFacts) -> str:
    return f"removed {facts.name('previous_tutor_person_id')} as the tutor of {facts.subject_name}"


ALLOCATED = register_action(AuditAction("tutor.allocated", _allocated))
REMOVED = register_action(AuditAction("tutor.removed", _removed))
BALANCED = register_action(AuditAction("tutors.balanced", _balanced))


def tutor_changed(
    session: Session,
    grant: CourseGrant,
    student_id: int,
    previous: int | None,
    tutor: int | None,
    now: datetime,
) -> None:
    details = {"tutor_person_id": tutor, "previous_tutor_person_id": previous}
    action = REMOVED if tutor is None else ALLOCATED
    record_by(session, grant, action, details=details, about=student_id, now=now)


def tutors_balanced(
    session: Session,
    grant: CourseGrant,
    tutors: list[int],
    count: int,
    only_unallocated: bool,
    by_section: bool,
    now: datetime,
) -> None:
    details = {
        "count": count,
        "tutor_person_ids": tutors,
        "only_unallocated": only_unallocated,
        "by_section": by_section,
    }
    record_by(session, grant, BALANCED, details=details, now=now)
