"""The grade delivery worker: sends queued scores to the LMS gradebook (AGS 2.0 §3.2, §3.4).

One `GradeDelivery` at a time is claimed and sent inside one transaction. On PostgreSQL the
claim is `SELECT … FOR UPDATE SKIP LOCKED`, and the row stays locked until its outcome is
committed: several workers never send the same row, and a worker that dies mid-send leaves the
row to be sent again. That second send carries the same timestamp, so a platform that already
has it answers 409 and the row counts as delivered — never a second grade. On SQLite one
worker runs, and nothing is locked while it waits on the network.

Order: a row is not claimed while an older row for the same (activity, person) is still
waiting, and timestamps move forward by whole seconds per pair (Moodle refuses a second score
in the same second). Transient failures back off exponentially with jitter; `Retry-After` is
honoured on 429 and 503, and pauses the whole platform; permanent refusals keep the platform's
words for staff. Every value comes from the database: no request is needed.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import utcnow
from lti_tool.lti.ags import AgsClient, AgsEndpoint, ScoreConflict, ScorePost, is_permanent
from lti_tool.lti.ags import over_maximum_note as over_maximum
from lti_tool.lti.keys import KeyRing
from lti_tool.lti.service_auth import PlatformEndpoint, ServiceClient, ServiceError, ServiceTokens
from lti_tool.models import Course, Person, Registration
from lti_tool.models.grades import GradableActivity, GradeDelivery, GradeSend
from lti_tool.observability.events import score_settled
from lti_tool.services.grades import queue
from lti_tool.services.grades.queue import Outcome, Result, RetryPolicy
from lti_tool.services.grades.service import GradebookUnavailable, forget_line_item, line_item_url

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class WorkerStats:
    counts: dict[Result, int] = field(default_factory=lambda: dict.fromkeys(Result, 0))

    def add(self, result: Result) -> None:
        self.counts[result] += 1


class GradeWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: ServiceClient,
        *,
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        after_send: Callable[[GradeDelivery], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.clock = clock or SystemClock()
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self.after_send = after_send  # tests: stop between the send and its commit
        self.stats = WorkerStats()
        self.paused: dict[int, datetime] = {}  # registration id → no calls before this time

    @classmethod
    def create(
        cls,
        sessions: sessionmaker[Session],
        keyring: KeyRing,
        token_cache: Any,
        http: requests.Session,
        **options: Any,
    ) -> GradeWorker:
        """A worker with its own HTTP session (`lti_tool.outbound`); `token_cache` is shared
        (Redis when set)."""
        return cls(sessions, ServiceClient(ServiceTokens(token_cache, http, keyring)), **options)

    # -- the loop ----------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """Send every row due now; returns how many rows were handled."""
        handled = 0
        while self.deliver_one():
            handled += 1
        return handled

    def drain(self, max_wakeups: int = 10_000) -> int:
        """Deliver until nothing waits, sleeping (on the clock) until the next row is due."""
        handled = 0
        for _ in range(max_wakeups):
            handled += self.deliver_due()
            wake = self.next_wake()
            if wake is None:
                return handled
            self.clock.sleep(max(0.0, (wake - self.clock.now()).total_seconds()))
        raise RuntimeError(f"rows still waiting after {max_wakeups} wake-ups")

    def next_wake(self) -> datetime | None:
        """When the earliest waiting row becomes due (after its platform's pause, if any)."""
        with self.sessions() as session:
            due = queue.next_due(session)
        if due is None:
            return None
        now = self.clock.now()
        if due <= now and self.paused:
            return max(now, min(self.paused.values()))
        return due

    # -- one row -----------------------------------------------------------------------------
    def deliver_one(self) -> bool:
        """Claim, send and settle one due row, in one transaction; False when none is due."""
        now = self.clock.now()
        self.paused = {k: v for k, v in self.paused.items() if v > now}
        with self.sessions() as session, session.begin():
            delivery = queue.claim_next(session, now, self.paused)
            if delivery is None:
                return False
            outcome = self._attempt(session, delivery)
            if self.after_send is not None:
                self.after_send(delivery)
            session.execute(delete(GradeSend).where(GradeSend.delivery_id == delivery.id))
            settled = self.clock.now()
            delay = self.policy.delay(delivery.attempts + 1, self.rng, outcome.retry_after)
            settled_as = queue.record_outcome(
                session,
                delivery,
                outcome,
                settled,
                settled + timedelta(seconds=delay),
                self.policy.max_attempts,
            )
        self.stats.add(outcome.result)
        attempts = delivery.attempts + 1
        score_settled(delivery.id, delivery.activity_id, settled_as, outcome.http_status, attempts)
        return True

    def _attempt(self, session: Session, delivery: GradeDelivery) -> Outcome:
        if queue.has_newer(session, delivery):
            return Outcome(Result.SUPERSEDED)
        activity = session.get_one(GradableActivity, delivery.activity_id)
        course = session.get_one(Course, activity.course_id)
        registration = session.get_one(Registration, course.registration_id)
        try:
            return self._send(session, delivery, activity, course, registration)
        except Exception as exc:  # every failure is settled on the row, none stops the worker
            return self._failure(session, delivery, registration.id, exc)

    def _failure(
        self, session: Session, delivery: GradeDelivery, registration_id: int, exc: Exception
    ) -> Outcome:
        if isinstance(exc, ScoreConflict):
            note = f"The LMS already had this score or a newer one (409: {exc})."
            timestamp = queue.send_timestamp(session, delivery)[0]
            return Outcome(Result.SENT, note, timestamp=timestamp, http_status=exc.status)
        if isinstance(exc, GradebookUnavailable):
            return Outcome(Result.REFUSED, str(exc))
        if isinstance(exc, ServiceError):
            if is_permanent(exc.status):
                return Outcome(Result.REFUSED, str(exc), http_status=exc.status)
            self._pause(registration_id, exc.retry_after, delivery.attempts + 1)
            return Outcome(Result.RETRY, str(exc), exc.retry_after, http_status=exc.status)
        log.exception("grade delivery %s failed unexpectedly", delivery.id)
        return Outcome(Result.RETRY, f"Rapport could not send this score: {exc}")

    def _send(
        self,
        session: Session,
        delivery: GradeDelivery,
        activity: GradableActivity,
        course: Course,
        registration: Registration,
    ) -> Outcome:
        endpoint = AgsEndpoint.from_claim(course.ags_endpoint)
        if endpoint is None or not endpoint.can_post_scores:
            raise GradebookUnavailable(
                "The LMS does not let Rapport send grades in this course (its launches grant "
                "no AGS score scope). Turn on grade sync for Rapport in the LMS, launch again, "
                "then retry."
            )
        ags = AgsClient(self.client, PlatformEndpoint.of(registration), registration.product_family)
        url = line_item_url(self.sessions, session, ags, endpoint, activity)
        person = session.get_one(Person, delivery.person_id)
        timestamp, regrade = queue.send_timestamp(session, delivery)
        score = ScorePost(
            user_id=person.sub,
            timestamp=timestamp,
            score_given=delivery.score_given,
            score_maximum=delivery.score_maximum,
            comment=delivery.comment,
            activity_progress=delivery.activity_progress,
            grading_progress=delivery.grading_progress,
            new_submission=not regrade,
        )
        if session.get(GradeSend, delivery.id) is not None and self._arrived(
            ags, endpoint, url, score
        ):
            note = "A send interrupted by a stopped worker had reached the LMS: confirmed there."
            return Outcome(Result.SENT, note, None, timestamp)
        self._mark_sending(delivery.id)
        try:
            status = ags.post_score(endpoint, url, score)
        except ServiceError as exc:
            if exc.status == 404:
                forget_line_item(session, activity.id, url)
            raise
        return Outcome(
            Result.SENT, over_maximum(score, registration.product_family), None, timestamp, status
        )

    def _arrived(self, ags: AgsClient, endpoint: AgsEndpoint, url: str, score: ScorePost) -> bool:
        """After a worker died mid-send: whether the LMS has the score (asked, not assumed)."""
        try:
            return ags.holds_score(endpoint, url, score)
        except Exception:  # cannot tell: send again, as before this check existed
            log.warning("cannot ask the LMS whether an interrupted score arrived", exc_info=True)
            return False

    def _mark_sending(self, delivery_id: int) -> None:
        """Committed on its own, before the POST: it survives the worker dying mid-send."""
        with self.sessions() as other, other.begin():
            other.merge(GradeSend(delivery_id=delivery_id, started_at=self.clock.now()))

    def _pause(self, registration_id: int, retry_after: float | None, attempts: int) -> None:
        """A throttled or failing platform gets no calls for a while, not one per row."""
        seconds = self.policy.delay(attempts, self.rng, retry_after)
        until = self.clock.now() + timedelta(seconds=seconds)
        self.paused[registration_id] = max(until, self.paused.get(registration_id, until))
