"""The grade delivery worker: sends queued scores to the LMS gradebook (AGS 2.0 §3.2, §3.4).

A batch of `GradeDelivery` rows is claimed, sent and settled inside one transaction: one claim,
a few reads for what the sends need, then the sends side by side on a small pool of threads (at
most one per (activity, person): a batch never holds two rows of a pair, so no score overtakes
an older one), then one statement settling the sent rows. On PostgreSQL the claim is
`SELECT … FOR NO KEY UPDATE SKIP LOCKED`, and the rows stay locked until their outcomes are
committed: several workers never send the same row. Before its sends, the batch commits a
`GradeSend` per row apart; a worker that dies mid-batch leaves them behind, and the next run asks
the LMS's results whether each score arrived before sending it again (a platform that refuses
repeats answers 409 to the same timestamp as well) — never a second grade. On SQLite one worker
runs, and nothing is locked while it waits on the network. Connections to a platform are kept
open between sends (`lti_tool.outbound`).

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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import utcnow
from lti_tool.lti.ags import AgsClient, AgsEndpoint
from lti_tool.lti.ags_scores import ScorePost
from lti_tool.lti.keys import KeyRing
from lti_tool.lti.service_auth import PlatformEndpoint, ServiceClient, ServiceError
from lti_tool.models import Course, Person, Registration
from lti_tool.models.grades import GradableActivity, GradeDelivery, GradeSend
from lti_tool.observability.events import score_settled
from lti_tool.services.grades import queue
from lti_tool.services.grades.queue import Claimed, Outcome, Result, RetryPolicy, Settling
from lti_tool.services.grades.sending import NO_GRADEBOOK, ScoreSend, failure, outcome_of, send
from lti_tool.services.grades.service import GradebookUnavailable, forget_line_item, line_item_url
from lti_tool.services.grades.tokens import SharedTokens

log = logging.getLogger(__name__)

BATCH_SIZE = 128  # rows claimed, sent and settled together
CONCURRENCY = 8  # sends in flight at once, each for a different (activity, person)


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


# How a batch reaches an activity's gradebook column: registration id, product family, client,
# endpoint claim, line item URL (ScoreSend's fields in that order).
Column = tuple[int, str | None, AgsClient, AgsEndpoint, str]
Sender = Callable[[Callable[[ScoreSend], Any], list[ScoreSend]], Any]


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
        batch_size: int = BATCH_SIZE,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.clock = clock or SystemClock()
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self.after_send = after_send  # tests: stop between the sends and their commit
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.stats = WorkerStats()
        self.paused: dict[int, datetime] = {}  # registration id → no calls before this time
        self._registrations: dict[int, int] = {}  # activity id → registration id, per batch

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
        return cls(sessions, ServiceClient(SharedTokens(token_cache, http, keyring)), **options)

    # -- the loop ----------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """Send every row due now, a batch at a time; returns how many rows were handled."""
        handled = 0
        with self._senders() as sender:
            while count := self.deliver_batch(sender):
                handled += count
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

    @contextmanager
    def _senders(self) -> Iterator[Sender]:
        """Threads for the sends of a run, gone when it ends; one worker alone sends in line."""
        if self.concurrency <= 1:
            yield map
            return
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="rapport-grades") as pool:
            yield pool.map

    # -- one batch ---------------------------------------------------------------------------
    def deliver_batch(self, sender: Sender) -> int:
        """Claim, send and settle a batch of due rows in one transaction; 0 when none is due."""
        now = self.clock.now()
        self.paused = {k: v for k, v in self.paused.items() if v > now}
        with self.sessions() as session, session.begin():
            claimed = queue.claim_batch(session, now, self.paused, self.batch_size)
            if not claimed:
                return 0
            settled, sends = self._prepare(session, claimed)
            self._mark_sending([s.delivery.id for s in sends if not s.interrupted])
            for item, answer in zip(sends, list(sender(send, sends)), strict=True):
                if isinstance(answer, ServiceError) and answer.status == 404:
                    forget_line_item(session, item.delivery.activity_id, item.lineitem_url)
                settled[item.delivery.id] = self._settling(item.delivery, outcome_of(item, answer))
            if self.after_send is not None:
                for claim in claimed:
                    self.after_send(claim.delivery)
            done = [settled[c.delivery.id] for c in claimed if c.delivery.id in settled]
            # A send under way is over once it was made or its row settled for good; a row left
            # waiting without a call keeps what an interrupted send left, to be asked about.
            over = {s.delivery.id for s in sends}
            over |= {s.delivery.id for s in done if s.outcome.result is not Result.RETRY}
            session.execute(delete(GradeSend).where(GradeSend.delivery_id.in_(over)))
            settled_as = queue.record_outcomes(
                session, done, self.clock.now(), self.policy.max_attempts
            )
        for settling, word in zip(done, settled_as, strict=True):
            row, outcome = settling.delivery, settling.outcome
            self.stats.add(outcome.result)
            score_settled(row.id, row.activity_id, word, outcome.http_status, row.attempts + 1)
        return len(done)

    def _settling(self, delivery: GradeDelivery, outcome: Outcome) -> Settling:
        if outcome.result is Result.RETRY:
            registration = self._registration_of(delivery)
            if outcome.http_status is not None and registration is not None:
                self._pause(registration, outcome.retry_after, delivery.attempts + 1)
        delay = self.policy.delay(delivery.attempts + 1, self.rng, outcome.retry_after)
        return Settling(delivery, outcome, self.clock.now() + timedelta(seconds=delay))

    def _registration_of(self, delivery: GradeDelivery) -> int | None:
        return self._registrations.get(delivery.activity_id)

    def _prepare(
        self, session: Session, claimed: list[Claimed]
    ) -> tuple[dict[int, Settling], list[ScoreSend]]:
        """What each claimed row needs, read in a few statements for the whole batch: rows
        settled without a call (moot, no gradebook, no column), and the sends to make."""
        rows = [c.delivery for c in claimed]
        wanted = select(Person.id, Person.sub).where(Person.id.in_({r.person_id for r in rows}))
        people: dict[int, str] = dict(session.execute(wanted).all())
        last = queue.last_sent(session, rows)
        ids = [r.id for r in rows]
        under_way = select(GradeSend.delivery_id).where(GradeSend.delivery_id.in_(ids))
        interrupted = set(session.scalars(under_way))
        columns = self._columns(session, {r.activity_id for r in rows})
        settled: dict[int, Settling] = {}
        sends: list[ScoreSend] = []
        for claim in claimed:
            row = claim.delivery
            column = columns[row.activity_id]
            if claim.moot:
                settled[row.id] = self._settling(row, Outcome(Result.SUPERSEDED))
            elif isinstance(column, Exception):
                settled[row.id] = self._settling(row, failure(row, column, None))
            elif self._registrations[row.activity_id] not in self.paused:
                timestamp, regrade = queue.send_timestamp(
                    row, last.get((row.activity_id, row.person_id))
                )
                score = ScorePost(
                    user_id=people[row.person_id],
                    timestamp=timestamp,
                    score_given=row.score_given,
                    score_maximum=row.score_maximum,
                    comment=row.comment,
                    activity_progress=row.activity_progress,
                    grading_progress=row.grading_progress,
                    new_submission=not regrade,
                )
                sends.append(ScoreSend(row, *column, score, row.id in interrupted))
            # else its platform asked for a pause during this batch: the row is left waiting
        return settled, sends

    def _columns(self, session: Session, activity_ids: set[int]) -> dict[int, Column | Exception]:
        """Each activity's gradebook column and how to reach it, or why there is none; the
        activities, courses and registrations read in one statement."""
        found = session.execute(
            select(GradableActivity, Course, Registration)
            .join(Course, Course.id == GradableActivity.course_id)
            .join(Registration, Registration.id == Course.registration_id)
            .where(GradableActivity.id.in_(activity_ids))
        ).all()
        clients: dict[int, AgsClient] = {}
        columns: dict[int, Column | Exception] = {}
        self._registrations = {}
        for activity, course, registration in found:
            self._registrations[activity.id] = registration.id
            if registration.id not in clients:
                platform = PlatformEndpoint.of(registration)
                clients[registration.id] = AgsClient(
                    self.client, platform, registration.product_family
                )
            ags = clients[registration.id]
            try:
                endpoint = AgsEndpoint.from_claim(course.ags_endpoint)
                if endpoint is None or not endpoint.can_post_scores:
                    raise GradebookUnavailable(NO_GRADEBOOK)
                url = line_item_url(self.sessions, session, ags, endpoint, activity)
                columns[activity.id] = (registration.id, ags.family, ags, endpoint, url)
            except Exception as exc:  # every failure is settled on the rows, none stops the worker
                columns[activity.id] = exc
        return columns

    def _mark_sending(self, delivery_ids: list[int]) -> None:
        """Committed on its own, before the POSTs: it survives the worker dying mid-batch."""
        if not delivery_ids:
            return
        started = self.clock.now()
        with self.sessions() as other, other.begin():
            other.execute(
                insert(GradeSend), [{"delivery_id": i, "started_at": started} for i in delivery_ids]
            )

    def _pause(self, registration_id: int, retry_after: float | None, attempts: int) -> None:
        """A throttled or failing platform gets no calls for a while, not one per row."""
        seconds = self.policy.delay(attempts, self.rng, retry_after)
        until = self.clock.now() + timedelta(seconds=seconds)
        self.paused[registration_id] = max(until, self.paused.get(registration_id, until))
