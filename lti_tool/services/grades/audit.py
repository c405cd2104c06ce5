"""Grades in the course's activity log (`lti_tool.services.audit`): staff sending refused scores
to the LMS gradebook again. The scores themselves are logged where staff give them (a grade in
a feedback thread); a check-in's participation score follows from a student's own answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.i18n import _, ngettext
from lti_tool.models import GradableActivity
from lti_tool.services.audit import (
    SOMEONE_GONE,
    AuditAction,
    AuditFacts,
    record,
    register_action,
)


def _resent(facts: AuditFacts) -> str:
    activity = facts.quoted
    if facts.subject_person_id is None:
        return ngettext(
            "sent %(num)d refused score for %(activity)s to the LMS gradebook again",
            "sent %(num)d refused scores for %(activity)s to the LMS gradebook again",
            facts.number("count"),
            activity=activity,
        )
    if facts.about_self:
        return _(
            "sent their refused score for %(activity)s to the LMS gradebook again",
            activity=activity,
        )
    if facts.subject_name == str(SOMEONE_GONE):
        return _(
            "sent the refused score of someone no longer in the course for %(activity)s to the "
            "LMS gradebook again",
            activity=activity,
        )
    return _(
        "sent %(name)s's refused score for %(activity)s to the LMS gradebook again",
        name=facts.subject_name,
        activity=activity,
    )


RESENT = register_action(AuditAction("grades.resent", _resent))


def scores_resent(
    session: Session,
    activity: GradableActivity,
    actor_id: int | None,
    count: int,
    person_id: int | None,
    now: datetime,
) -> None:
    details = {"activity_id": activity.id, "count": count}
    record(
        session,
        activity.course_id,
        actor_id,
        RESENT,
        activity.label,
        details,
        about=person_id,
        now=now,
    )
