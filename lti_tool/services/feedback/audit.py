"""Feedback's entries in the course's activity log (`lti_tool.services.audit`): staff starting a
conversation with a student, and grades given in a thread, which go to the LMS gradebook.
Messages themselves are not logged: each is signed by its writer and kept in the thread the
student reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.i18n import _, number
from lti_tool.models import FeedbackThread, Placement
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import AuditAction, AuditFacts, record_by, register_action


# The words after the actor's name, made when the log's page is drawn, in its reader's language.
def _graded(facts: AuditFacts) -> str:
    score, maximum = facts.details.get("score"), facts.details.get("maximum")
    if not isinstance(score, int | float) or not isinstance(maximum, int | float):
        return _("graded %(student)s for %(title)s", student=facts.subject_name, title=facts.quoted)
    return _(
        "gave %(student)s %(score)s out of %(maximum)s for %(title)s",
        student=facts.subject_name,
        score=number(score),
        maximum=number(maximum),
        title=facts.quoted,
    )


def _started(facts: AuditFacts) -> str:
    return _(
        "started the conversation %(title)s with %(student)s",
        title=facts.quoted,
        student=facts.subject_name,
    )


STARTED = register_action(AuditAction("feedback.started", _started))
GRADED = register_action(AuditAction("feedback.graded", _graded))


def thread_started(
    session: Session, grant: CourseGrant, thread: FeedbackThread, now: datetime
) -> None:
    details = {"thread_id": thread.id, "placement_id": thread.placement_id}
    record_by(session, grant, STARTED, thread.title, details, about=thread.student_id, now=now)


def graded(
    session: Session,
    grant: CourseGrant,
    thread: FeedbackThread,
    placement: Placement,
    score: float,
    now: datetime,
) -> None:
    details = {
        "thread_id": thread.id,
        "placement_id": placement.id,
        "score": score,
        "maximum": placement.score_maximum,
    }
    record_by(session, grant, GRADED, placement.title, details, about=thread.student_id, now=now)
