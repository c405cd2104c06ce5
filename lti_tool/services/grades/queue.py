"""The durable queue of grade deliveries, in the database: claim, order, timestamps, outcomes.

One `GradeDelivery` row per score (AGS 2.0 §3.4). Rows are claimed a batch at a time with
`SELECT … FOR NO KEY UPDATE SKIP LOCKED` on PostgreSQL (SQLite ignores the clause and runs one
worker), never while an older row for the same (activity, person) still waits: a batch holds at
most one row per pair, so its rows can be sent at once and scores still reach the platform in
the order they were given. Outcomes are written with conditional UPDATEs so that a newer score
recorded meanwhile always wins over a retry of an older one; sent rows, the usual outcome, are
settled with one statement per batch.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from lti_tool.i18n import keep
from lti_tool.models import Course
from lti_tool.models.grades import DeliveryStatus, GradableActivity, GradeDelivery

WAITING = DeliveryStatus.WAITING
SENT = DeliveryStatus.SENT
UNSYNCED: dict[str, Any] = {"synchronize_session": False}
# Rows a newer score makes moot: not yet delivered, or refused (a retry would send old news).
UNDELIVERED = (DeliveryStatus.WAITING, DeliveryStatus.FAILED)
# Made once: a fresh alias per query would defeat SQLAlchemy's statement cache.
OLDER = aliased(GradeDelivery, name="older")
NEWER = aliased(GradeDelivery, name="newer")
EARLIER_SENT = aliased(GradeDelivery, name="earlier_sent")


class Result(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    REFUSED = "refused"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class Outcome:
    result: Result
    words: str | None = None  # the platform's words, or a note for staff (kept: i18n.keep)
    retry_after: float | None = None
    timestamp: datetime | None = None  # the AGS timestamp the score was sent with
    http_status: int | None = None  # the platform's answer (0: none came; None: not asked)


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    max_attempts: int = 25  # about four days of trying before staff are asked to step in
    max_retry_after_seconds: float = 24 * 3600.0

    def delay(self, attempts: int, rng: random.Random, retry_after: float | None) -> float:
        """Seconds before the next attempt: Retry-After when given, else backoff with jitter."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_seconds)
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def _same_pair(row: Any, other: type[GradeDelivery]) -> tuple[ColumnElement[bool], ...]:
    return (other.activity_id == row.activity_id, other.person_id == row.person_id)


def supersede_undelivered(session: Session, activity_id: int, person_id: int) -> int:
    """Mark older undelivered scores for this pair superseded; returns how many.

    A row a worker is sending right now is locked: SKIP LOCKED leaves it to the worker, which
    records what really happened to it, and the newer row waits until it is done.
    """
    pending = (
        select(GradeDelivery.id)
        .where(
            GradeDelivery.activity_id == activity_id,
            GradeDelivery.person_id == person_id,
            GradeDelivery.status.in_(UNDELIVERED),
        )
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(pending))
    if ids:
        session.execute(
            update(GradeDelivery)
            .where(GradeDelivery.id.in_(ids), GradeDelivery.status.in_(UNDELIVERED))
            .values(status=DeliveryStatus.SUPERSEDED),
            execution_options={"synchronize_session": False},
        )
    return len(ids)


@dataclass(frozen=True)
class Claimed:
    delivery: GradeDelivery
    moot: bool  # a newer score for the pair already counts: this one is not sent


def claim_batch(
    session: Session, now: datetime, paused_registrations: Iterable[int] = (), limit: int = 1
) -> list[Claimed]:
    """Lock up to `limit` due rows nobody else holds, whose older siblings are all settled.

    Only the oldest waiting row of a pair can qualify, so the batch never holds two rows of one
    (activity, person): they may all be sent at once without overtaking each other."""
    waits_for_older = exists().where(
        *_same_pair(GradeDelivery, OLDER), OLDER.status == WAITING, OLDER.id < GradeDelivery.id
    )
    moot = newer_score(GradeDelivery).label("moot")
    query = select(GradeDelivery, moot).where(
        GradeDelivery.status == WAITING, GradeDelivery.next_attempt_at <= now, ~waits_for_older
    )
    paused = list(paused_registrations)
    if paused:
        paused_activities = (
            select(GradableActivity.id)
            .join(Course, Course.id == GradableActivity.course_id)
            .where(Course.registration_id.in_(paused))
        )
        query = query.where(GradeDelivery.activity_id.not_in(paused_activities))
    query = query.order_by(GradeDelivery.next_attempt_at, GradeDelivery.id).limit(limit)
    # FOR NO KEY UPDATE: a worker's own record that a send is under way (grade_send, committed
    # apart) may reference the rows it holds.
    locked = query.with_for_update(skip_locked=True, key_share=True, of=GradeDelivery)
    return [Claimed(row, bool(is_moot)) for row, is_moot in session.execute(locked)]


def next_due(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(GradeDelivery.next_attempt_at)).where(GradeDelivery.status == WAITING)
    )


def newer_score(row: Any) -> Any:
    """A later score for the same pair that still counts (waiting, sent or refused): sending
    this one now would put an older grade over a newer one."""
    return exists().where(
        *_same_pair(row, NEWER), NEWER.id > row.id, NEWER.status != DeliveryStatus.SUPERSEDED
    )


Pair = tuple[int, int]  # (activity id, person id)


def last_sent(session: Session, deliveries: Iterable[GradeDelivery]) -> dict[Pair, datetime]:
    """The timestamp each pair's latest delivered score went with, for a batch, in one query."""
    rows = list(deliveries)
    if not rows:
        return {}
    found = session.execute(
        select(EARLIER_SENT.activity_id, EARLIER_SENT.person_id, func.max(EARLIER_SENT.scored_at))
        .where(
            EARLIER_SENT.activity_id.in_({r.activity_id for r in rows}),
            EARLIER_SENT.person_id.in_({r.person_id for r in rows}),
            EARLIER_SENT.status == SENT,
        )
        .group_by(EARLIER_SENT.activity_id, EARLIER_SENT.person_id)
    )
    return {(activity, person): moment for activity, person, moment in found}


def send_timestamp(delivery: GradeDelivery, last: datetime | None) -> tuple[datetime, bool]:
    """The timestamp to send, and whether a score for the pair was sent before (a re-grade).

    AGS 2.0 §3.4.6 wants timestamps to increase per (line item, person); Moodle compares whole
    seconds and refuses a second score within one. Worked out again on every attempt, the value
    stays the same until a newer score is sent, so a resend after a lost answer repeats it.
    """
    moment = delivery.scored_at
    if last is not None and moment.replace(microsecond=0) <= last.replace(microsecond=0):
        moment = last.replace(microsecond=0) + timedelta(seconds=1)
    return moment, last is not None


@dataclass(frozen=True)
class Settling:
    delivery: GradeDelivery
    outcome: Outcome
    next_attempt_at: datetime


_MARK_SENT = (
    update(GradeDelivery.__table__)  # type: ignore[arg-type]
    .where(GradeDelivery.__table__.c.id == bindparam("row_id"))
    .values(
        status=SENT,
        sent_at=bindparam("row_sent_at"),
        attempts=bindparam("row_attempts"),
        last_error=bindparam("row_words"),
        scored_at=bindparam("row_scored_at"),
    )
)


def record_outcomes(
    session: Session, settling: list[Settling], now: datetime, max_attempts: int
) -> list[str]:
    """`record_outcome` for a batch: the sent rows in one statement, the others one by one."""
    sent = [s for s in settling if s.outcome.result is Result.SENT]
    if sent:
        session.connection().execute(
            _MARK_SENT,
            [
                {
                    "row_id": s.delivery.id,
                    "row_sent_at": now,
                    "row_attempts": s.delivery.attempts + 1,
                    "row_words": s.outcome.words,
                    "row_scored_at": s.outcome.timestamp or s.delivery.scored_at,
                }
                for s in sent
            ],
        )
    return [
        Result.SENT.value
        if s.outcome.result is Result.SENT
        else record_outcome(session, s.delivery, s.outcome, now, s.next_attempt_at, max_attempts)
        for s in settling
    ]


def record_outcome(
    session: Session,
    delivery: GradeDelivery,
    outcome: Outcome,
    now: datetime,
    next_attempt_at: datetime,
    max_attempts: int,
) -> str:
    """Write what the attempt made of the row; returns it in a word for the operators' logs
    and metrics: sent, superseded, retry, or refused (refused, or given up on)."""
    settled = outcome.result.value
    attempts = delivery.attempts + 1
    this_row = update(GradeDelivery).where(GradeDelivery.id == delivery.id)
    if outcome.result is Result.SENT:
        values: dict[str, Any] = {"status": SENT, "sent_at": now, "last_error": outcome.words}
        if outcome.timestamp is not None:
            values["scored_at"] = outcome.timestamp
        session.execute(this_row.values(attempts=attempts, **values), execution_options=UNSYNCED)
    elif outcome.result is Result.SUPERSEDED:
        superseded = this_row.values(status=DeliveryStatus.SUPERSEDED)
        session.execute(superseded, execution_options=UNSYNCED)
    elif not _give_way(session, delivery, outcome, attempts):
        if outcome.result is Result.REFUSED or attempts >= max_attempts:
            settled = Result.REFUSED.value
            words = outcome.words or keep("refused")
            if outcome.result is Result.RETRY:
                # keep() has no plural forms: read in the plural, as max_attempts (25) always is.
                words = keep(
                    "Gave up after %(attempts)s attempts. Last answer: %(answer)s",
                    attempts=attempts,
                    answer=words,
                )
            failed = this_row.values(
                status=DeliveryStatus.FAILED, attempts=attempts, last_error=words
            )
            session.execute(failed, execution_options=UNSYNCED)
        else:
            retry = this_row.where(GradeDelivery.status == WAITING).values(
                attempts=attempts, last_error=outcome.words, next_attempt_at=next_attempt_at
            )
            session.execute(retry, execution_options=UNSYNCED)
    else:
        settled = Result.SUPERSEDED.value  # a newer score came meanwhile
    return settled


def _give_way(session: Session, delivery: GradeDelivery, outcome: Outcome, attempts: int) -> bool:
    """Not sent, and a newer score for the pair came meanwhile: it wins, this one is moot."""
    moot = (
        update(GradeDelivery)
        .where(GradeDelivery.id == delivery.id, newer_score(GradeDelivery))
        .values(status=DeliveryStatus.SUPERSEDED, attempts=attempts, last_error=outcome.words)
    )
    return bool(session.execute(moot, execution_options=UNSYNCED).rowcount)  # type: ignore[attr-defined]
