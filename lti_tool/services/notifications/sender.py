"""Mailing what is due: claim, send, mark — each step its own transaction.

A person's due rows in one course are claimed together (status `sending`, with the moment of
the claim), with those coming due within the coalescing window: one mail. The claim commits
before the mail leaves, and the outcome is written after; two workers never claim the same
rows (row locks, SKIP LOCKED on PostgreSQL; on SQLite one run at a time, tasks.py).

The one window for a duplicate: a worker that dies after the SMTP server accepted the mail and
before the rows are marked sent. Its claim expires after `LEASE`, and the rows are sent again
(mail is never lost; in that crash it may arrive twice). Failures are retried with growing
delays; after `MAX_ATTEMPTS`, or when the server refuses the address for good, the rows are
`failed`, shown to staff (`status_of`) and counted for operators (rapport_notifications).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import transaction
from lti_tool.models import Notification, NotificationMode, NotificationStatus, Person
from lti_tool.observability import metrics
from lti_tool.services.notifications.compose import Mail, compose
from lti_tool.services.notifications.mailer import Mailer, MailFailed
from lti_tool.services.notifications.outbox import COALESCE
from lti_tool.services.notifications.preferences import mode_of

log = logging.getLogger(__name__)
WAITING, SENDING = NotificationStatus.WAITING, NotificationStatus.SENDING
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 10  # about a day of trying
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
GROUPS_PER_RUN = 200


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, … minutes, at most six hours."""
    return min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))


def _claimable(now: datetime, horizon: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Notification.status == WAITING, Notification.due_at <= horizon),
        and_(Notification.status == SENDING, Notification.claimed_at < now - LEASE),
    )


@dataclass
class NotificationSender:
    sessions: sessionmaker[Session]
    mailer: Mailer
    domain: str
    unsubscribe_url: Callable[[int, int], str]  # (person id, course id) → a signed link

    def deliver_due(self, now: datetime) -> int:
        """Mail every group with a row due now; how many mails left."""
        with transaction(self.sessions) as session:
            groups = session.execute(
                select(Notification.recipient_id, Notification.course_id)
                .where(_claimable(now, now))
                .group_by(Notification.recipient_id, Notification.course_id)
                .limit(GROUPS_PER_RUN)
            ).all()
        return sum(self._deliver(int(p), int(c), now) for p, c in groups)

    def _deliver(self, person_id: int, course_id: int, now: datetime) -> int:
        with transaction(self.sessions) as session:
            rows = list(
                session.scalars(
                    select(Notification)
                    .where(
                        Notification.recipient_id == person_id,
                        Notification.course_id == course_id,
                        _claimable(now, now + COALESCE),
                    )
                    .order_by(Notification.created_at, Notification.id)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                return 0
            ids = [row.id for row in rows]
            attempts = max(row.attempts for row in rows) + 1
            mail, skipped = self._prepare(session, rows, person_id, course_id)
            if mail is None:
                _settle(session, ids, NotificationStatus.SKIPPED, now, skipped)
                metrics.notification_outcome("skipped", len(ids))
                return 0
            try:
                message = mail.message(self.mailer.sender, self.domain)
            except ValueError as unsendable:  # an address no header can hold, say
                _settle(session, ids, NotificationStatus.FAILED, now, str(unsendable)[:1000])
                metrics.notification_outcome("failed", len(ids))
                return 0
            session.execute(
                update(Notification)
                .where(Notification.id.in_(ids))
                .values(status=SENDING, claimed_at=now, attempts=Notification.attempts + 1)
            )
        try:
            self.mailer.send(message)
        except MailFailed as failed:
            return self._failed(ids, now, attempts, failed)
        with transaction(self.sessions) as session:
            _settle(session, ids, NotificationStatus.SENT, now, None, sent=True, claimed=now)
        metrics.notification_outcome("sent", len(ids))
        return 1

    def _prepare(
        self, session: Session, rows: list[Notification], person_id: int, course_id: int
    ) -> tuple[Mail | None, str]:
        person = session.get_one(Person, person_id)
        if mode_of(session, course_id, person_id) is NotificationMode.OFF:
            return None, "turned off"
        if not person.email:
            # i18n: not translated (why a mail was skipped, stored; pages count them)
            return None, "no email address from the LMS"
        mail = compose(session, rows, person, self.unsubscribe_url(person_id, course_id))
        # i18n: not translated (as above)
        return mail, "nothing to tell"

    def _failed(self, ids: list[int], now: datetime, attempts: int, failed: MailFailed) -> int:
        log.warning("notification mail failed (attempt %d): %s", attempts, failed)
        final = failed.final or attempts >= MAX_ATTEMPTS
        with transaction(self.sessions) as session:
            if final:
                _settle(session, ids, NotificationStatus.FAILED, now, str(failed), claimed=now)
            else:
                session.execute(
                    update(Notification)
                    .where(Notification.id.in_(ids), Notification.claimed_at == now)
                    .values(
                        status=WAITING,
                        due_at=now + retry_delay(attempts),
                        last_error=str(failed)[:1000],
                    )
                )
        metrics.notification_outcome("failed" if final else "retry", len(ids))
        return 0

    def next_due(self) -> datetime | None:
        with transaction(self.sessions) as session:
            return session.scalar(
                select(func.min(Notification.due_at)).where(Notification.status == WAITING)
            )


def _settle(
    session: Session,
    ids: list[int],
    status: NotificationStatus,
    now: datetime,
    error: str | None,
    sent: bool = False,
    claimed: datetime | None = None,
) -> None:
    """The rows' outcome; after a send only if the claim is still ours (not expired and
    taken by another worker)."""
    where: list[ColumnElement[bool]] = [Notification.id.in_(ids)]
    if claimed is not None:
        where += [Notification.status == SENDING, Notification.claimed_at == claimed]
    session.execute(
        update(Notification)
        .where(*where)
        .values(status=status, last_error=error, sent_at=now if sent else None)
    )


@dataclass(frozen=True)
class Failure:
    recipient: str
    kind: str
    attempts: int
    error: str | None
    when: datetime


@dataclass(frozen=True)
class DeliveryStatus:
    counts: dict[str, int]
    failures: list[Failure]


def status_of(session: Session, course_id: int, since: datetime, limit: int = 20) -> DeliveryStatus:
    """How the course's notifications fared since `since`, and the latest that failed or are
    being retried, for staff."""
    counts = dict(
        session.execute(
            select(Notification.status, func.count())
            .where(Notification.course_id == course_id, Notification.created_at >= since)
            .group_by(Notification.status)
        ).all()
    )
    rows = session.execute(
        select(Notification, Person)
        .join(Person, Person.id == Notification.recipient_id)
        .where(
            Notification.course_id == course_id,
            or_(
                Notification.status == NotificationStatus.FAILED,
                and_(Notification.status == WAITING, Notification.last_error.is_not(None)),
            ),
        )
        .order_by(Notification.due_at.desc())
        .limit(limit)
    ).all()
    failures = [
        Failure(person.display_name, row.kind, row.attempts, row.last_error, row.due_at)
        for row, person in rows
    ]
    return DeliveryStatus({str(k): int(v) for k, v in counts.items()}, failures)
