"""Archive and retention in the course's activity log (`lti_tool.services.audit`): staff
downloading the whole course, and Rapport warning them of its deletion."""

from __future__ import annotations

from lti_tool.services.audit import AuditAction, AuditFacts, Sentence, register_action


def _deletion_planned(facts: AuditFacts) -> Sentence:
    due = facts.moment("due_at")
    if due is None:
        return "told the course's staff by email that this course will be deleted"
    return ["told the course's staff by email that this course will be deleted on ", due]


DOWNLOADED = register_action(
    AuditAction("course.downloaded", lambda _: "downloaded the whole course")
)
DELETION_PLANNED = register_action(AuditAction("course.deletion_planned", _deletion_planned))
