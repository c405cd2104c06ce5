"""Check-ins' entries in the course's activity log (`lti_tool.services.audit`): a check-in
created, with when it opens and whether participation is graded, and reminders sent to those
who have not answered. Answering or handling a student's response is a conversation kept in
their feedback thread, signed by whoever wrote it, and is not logged here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.i18n import _, ngettext, number
from lti_tool.models import CheckIn, Occurrence
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import (
    AuditAction,
    AuditFacts,
    Part,
    record_by,
    register_action,
)

# Stands for the moment inside a translated sentence, which the page writes with its formatter:
# NUL, which no title can hold (PostgreSQL's text refuses it).
_MOMENT = "\x00"


def _around(sentence: str, moment: datetime) -> list[Part]:
    """A translated sentence with `_MOMENT` in it, as the words before, the moment and after."""
    before, _mark, after = sentence.partition(_MOMENT)
    return [part for part in (before, moment, after) if part != ""]


def _created(facts: AuditFacts) -> list[Part]:
    first = facts.moment("first_opens_at")
    times = facts.number("occurrences")
    said: list[Part]
    if first is None:
        said = [_("created the check-in %(title)s", title=facts.quoted)]
    elif times > 1:
        said = _around(
            ngettext(
                "created the check-in %(title)s, first open on %(when)s, %(num)d time in all",
                "created the check-in %(title)s, first open on %(when)s, %(num)d times in all",
                times,
                title=facts.quoted,
                when=_MOMENT,
            ),
            first,
        )
    else:
        said = _around(
            _(
                "created the check-in %(title)s, first open on %(when)s",
                title=facts.quoted,
                when=_MOMENT,
            ),
            first,
        )
    points = facts.details.get("points")
    if facts.details.get("graded") and isinstance(points, int | float):
        if float(points).is_integer():
            graded = ngettext(
                "participation graded out of %(num)d point",
                "participation graded out of %(num)d points",
                int(points),
            )
        else:
            graded = _(
                "participation graded out of %(points)s points",
                points=number(points),
            )
        said.append("; " + graded)
    if facts.details.get("anonymous"):
        said.append("; " + _("answers anonymous"))
    return said


def _nudged(facts: AuditFacts) -> str:
    return ngettext(
        "reminded %(num)d student who had not answered %(title)s",
        "reminded %(num)d students who had not answered %(title)s",
        facts.number("count"),
        title=facts.quoted,
    )


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
