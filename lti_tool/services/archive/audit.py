"""Archive and retention in the course's activity log (`lti_tool.services.audit`): staff
downloading the whole course, and Rapport warning them of its deletion."""

from __future__ import annotations

from lti_tool.i18n import _
from lti_tool.services.audit import (
    AuditAction,
    AuditFacts,
    Sentence,
    register_action,
    with_moments,
)


def _deletion_planned(facts: AuditFacts) -> Sentence:
    due = facts.moment("due_at")
    if due is None:
        return _("told the course's staff by email that this course will be deleted")
    return with_moments(
        _("told the course's staff by email that this course will be deleted on %(day)s"), day=due
    )


def _downloaded(_facts: AuditFacts) -> Sentence:
    return _("downloaded the whole course")


DOWNLOADED = register_action(AuditAction("course.downloaded", _downloaded))
DELETION_PLANNED = register_action(AuditAction("course.deletion_planned", _deletion_planned))
