"""Bulk starts in the course's activity log (`lti_tool.services.audit`): staff starting one
personal conversation with each of many students at once. Editing the snippet library is not
logged: snippets are staff's own drafts until someone sends one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.i18n import ngettext
from lti_tool.models import BulkStart, Placement
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import AuditAction, AuditFacts, record_by, register_action
from lti_tool.services.snippets.service import number


def _bulk_started(facts: AuditFacts) -> str:
    """The words after the actor's name, composed when the activity log is drawn."""
    count = facts.number("count")
    activity = facts.details.get("activity")
    if activity:
        return ngettext(
            "started %(title)s with %(count)s student in the feedback activity “%(activity)s”",
            "started %(title)s with %(count)s students in the feedback activity “%(activity)s”",
            count,
            title=facts.quoted,
            count=number(count),
            activity=activity,
        )
    return ngettext(
        "started %(title)s with %(count)s student",
        "started %(title)s with %(count)s students",
        count,
        title=facts.quoted,
        count=number(count),
    )


BULK_STARTED = register_action(AuditAction("feedback.bulk_started", _bulk_started))


def bulk_started(
    session: Session,
    grant: CourseGrant,
    bulk: BulkStart,
    placement: Placement | None,
    now: datetime,
) -> None:
    details = {
        "bulk_id": bulk.id,
        "count": bulk.total,
        "placement_id": bulk.placement_id,
        "activity": placement.title if placement else None,
    }
    record_by(session, grant, BULK_STARTED, bulk.title, details, now=now)
