"""Grades in the course's activity log (`lti_tool.services.audit`): staff sending refused scores
to the LMS gradebook again. The scores themselves are logged where staff give them (a grade in
a feedback thread); a check-in's participation score follows from a student's own answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.models import GradableActivity
from lti_tool.services.audit import AuditAction, AuditFacts, plural, record, register_action


def _resent(facts: AuditFacts) -> str:
    if facts.subject_person_id is not None:
        scores = facts.whose("refused score")
    else:
        scores = plural(facts.number("count"), "refused score")
    return f"sent {scores} for {facts.quoted} to the LMS gradebook again"


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
