"""One score's trip to the LMS gradebook (AGS 2.0 §3.4), the part that may run beside others.

The worker (`lti_tool.services.grades.worker`) reads everything a send needs from the database
first, into a `ScoreSend`; `send` then makes only HTTP calls, so several run at once on the
worker's threads without sharing a database session. What came back (`Sent`, `Confirmed`, or the
exception) goes back to the worker, which records it.

Before sending again a score whose worker died mid-send (`GradeSend` left behind), `send` asks
the LMS's results (AGS 2.0 §3.3) whether it arrived: a platform that stores duplicates must not
get it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from lti_tool.i18n import keep
from lti_tool.lti.ags import AgsClient, AgsEndpoint, is_permanent
from lti_tool.lti.ags_scores import ScoreConflict, ScorePost
from lti_tool.lti.ags_scores import over_maximum_note as over_maximum
from lti_tool.lti.service_auth import ServiceError, reason
from lti_tool.models.grades import GradeDelivery
from lti_tool.services.grades.queue import Outcome, Result
from lti_tool.services.grades.service import GradebookUnavailable

log = logging.getLogger(__name__)

# Stored on the rows as `keep` makes them, shown to staff in their language.
NO_GRADEBOOK = keep(
    "The LMS does not let Rapport send grades in this course (its launches grant no AGS score "
    "scope). Turn on grade sync for Rapport in the LMS, launch again, then retry."
)
CONFIRMED_NOTE = keep(
    "A send interrupted by a stopped worker had reached the LMS: confirmed there."
)


@dataclass(frozen=True)
class ScoreSend:
    """Everything one send needs, read from the database beforehand."""

    delivery: GradeDelivery
    registration_id: int
    family: str | None
    ags: AgsClient
    endpoint: AgsEndpoint
    lineitem_url: str
    score: ScorePost
    interrupted: bool  # a worker died while sending it: ask the LMS before sending again


@dataclass(frozen=True)
class Sent:
    status: int


@dataclass(frozen=True)
class Confirmed:
    """The LMS already showed the interrupted score: not sent again."""


Answer = Sent | Confirmed | Exception


def send(item: ScoreSend) -> Answer:
    """The HTTP part of one delivery: never raises, every failure is the answer."""
    try:
        if item.interrupted and _arrived(item):
            return Confirmed()
        return Sent(item.ags.post_score(item.endpoint, item.lineitem_url, item.score))
    except Exception as exc:  # settled on the row by the worker; none stops the batch
        return exc


def _arrived(item: ScoreSend) -> bool:
    try:
        return item.ags.holds_score(item.endpoint, item.lineitem_url, item.score)
    except Exception:  # cannot tell: send again, as before this check existed
        log.warning("cannot ask the LMS whether an interrupted score arrived", exc_info=True)
        return False


def outcome_of(item: ScoreSend, answer: Answer) -> Outcome:
    timestamp = item.score.timestamp
    if isinstance(answer, Sent):
        note = over_maximum(item.score, item.family)
        return Outcome(Result.SENT, note, None, timestamp, answer.status)
    if isinstance(answer, Confirmed):
        return Outcome(Result.SENT, CONFIRMED_NOTE, None, timestamp)
    return failure(item.delivery, answer, timestamp)


def failure(delivery: GradeDelivery, exc: Exception, timestamp: datetime | None) -> Outcome:
    """What a failed attempt makes of the row: delivered after all (409), refused, or retry.
    Its words are kept (`lti_tool.i18n.keep`), to be shown in each reader's language."""
    if isinstance(exc, ScoreConflict):
        note = keep(
            "The LMS already had this score or a newer one (409: %(answer)s).",
            answer=exc.kept,
        )
        return Outcome(Result.SENT, note, timestamp=timestamp, http_status=exc.status)
    if isinstance(exc, GradebookUnavailable):
        return Outcome(Result.REFUSED, exc.kept)
    if isinstance(exc, ServiceError):
        if is_permanent(exc.status):
            return Outcome(Result.REFUSED, exc.kept, http_status=exc.status)
        return Outcome(Result.RETRY, exc.kept, exc.retry_after, http_status=exc.status)
    log.error("grade delivery %s failed unexpectedly", delivery.id, exc_info=exc)
    return Outcome(
        Result.RETRY, keep("Rapport could not send this score: %(reason)s", reason=reason(exc))
    )
