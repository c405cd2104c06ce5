"""Tutors in the course's activity log (`lti_tool.services.audit`): a student's tutor chosen,
changed or removed by hand, and tutors balanced across many students at once. Students see
who their tutor is, and in some courses only their tutor and the instructors read their
feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.i18n import _, ngettext
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import AuditAction, AuditFacts, listed, record_by, register_action


def _allocated(facts: AuditFacts) -> str:
    tutor, student = facts.name("tutor_person_id"), facts.subject_name
    if facts.details.get("previous_tutor_person_id") is None:
        return _("made %(tutor)s the tutor of %(student)s", tutor=tutor, student=student)
    return _(
        "made %(tutor)s the tutor of %(student)s instead of %(previous)s",
        tutor=tutor,
        student=student,
        previous=facts.name("previous_tutor_person_id"),
    )


def _balanced(facts: AuditFacts) -> str:
    tutors = listed(facts.people("tutor_person_ids")) or _("the course's staff")
    count = facts.number("count")
    by_section = bool(facts.details.get("by_section"))
    if facts.details.get("only_unallocated"):
        if by_section:
            return ngettext(
                "shared %(num)d student without a tutor among %(tutors)s, keeping LMS sections "
                "with their staff",
                "shared %(num)d students without a tutor among %(tutors)s, keeping LMS sections "
                "with their staff",
                count,
                tutors=tutors,
            )
        return ngettext(
            "shared %(num)d student without a tutor among %(tutors)s",
            "shared %(num)d students without a tutor among %(tutors)s",
            count,
            tutors=tutors,
        )
    if by_section:
        return ngettext(
            "rebalanced tutors among %(tutors)s: %(num)d student changed tutor, keeping LMS "
            "sections with their staff",
            "rebalanced tutors among %(tutors)s: %(num)d students changed tutor, keeping LMS "
            "sections with their staff",
            count,
            tutors=tutors,
        )
    return ngettext(
        "rebalanced tutors among %(tutors)s: %(num)d student changed tutor",
        "rebalanced tutors among %(tutors)s: %(num)d students changed tutor",
        count,
        tutors=tutors,
    )


def _removed(facts: AuditFacts) -> str:
    return _(
        "removed %(tutor)s as the tutor of %(student)s",
        tutor=facts.name("previous_tutor_person_id"),
        student=facts.subject_name,
    )


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
