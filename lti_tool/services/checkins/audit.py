"""Check-ins' entries in the course's activity log (`lti_tool.services.audit`): a check-in
created, with when it opens and whether participation is graded, and reminders sent to those
who have not answered. Answering or handling a student's response is a conversation kept in
their feedback thread, signed by whoever wrote it, and is not logged here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.models import CheckIn, Occurrence
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import (
    AuditAction,
    AuditFacts,
    Part,
    plural,
    record_by,
    register_action,
)


def _created(facts: AuditFacts) -> list[Part]:
    said: list[Part] = [f"created the check-in {facts.quoted}"]
    first = facts.moment("first_opens_at")
    if first is not None:
        said += [", first open on ", first]
    times = facts.number("occurrences")
    if times > 1:
        said.append(f", {times} times in all")
    points = facts.details.get("points")
    if facts.details.get("graded") and isinstance(points, int | float):
        said.append(f"; participation graded out of {points:g} points")
    if facts.details.get("anonymous"):
        said.append("; answers anonymous")
    return said


def _nudged(facts: AuditFacts) -> str:
    count = facts.number("count")
    return f"reminded {plural(count, 'student')} who had not answered {facts.quoted}"


CREATED = register_action(AuditAction("checkin.created", _created))
NUDGED = register_action(AuditAction("checkin.nudged", _nudged))


def checkin_created(
    session: Session, grant: CourseGrant, checkin: CheckIn, opens: list[datetime], now: datetime
) -> None:
    record_by(
        session,
        grant,
        CREATED,
        checkin.title,
        {
            "checkin_id": checkin.id,
            "occurrences": len(opens),
            "first_opens_at": min(opens) if opens else None,
            "graded": checkin.graded,
            "points": checkin.points,
            "anonymous": checkin.anonymous,
        },
        now=now,
    )


def nudged(
    session: Session,
    grant: CourseGrant,
    checkin: CheckIn,
    occurrence: Occurrence,
    count: int,
    now: datetime,
) -> None:
    details = {"checkin_id": checkin.id, "occurrence_id": occurrence.id, "count": count}
    record_by(session, grant, NUDGED, checkin.title, details, now=now)
