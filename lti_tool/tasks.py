"""Every job Rapport runs in the background (`lti_tool.jobs`), each a few lines over a
service: take ids, build what the service needs from the app's state, run it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from huey import crontab
from huey.exceptions import TaskLockedException
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lti_tool.config import Settings
from lti_tool.db import transaction
from lti_tool.extensions import cache, rapport
from lti_tool.jobs import EVERY_MINUTE, enqueue_after_commit, job, jobs
from lti_tool.lti.nrps import NrpsClient
from lti_tool.lti.service_auth import ServiceClient, ServiceTokens
from lti_tool.models import BulkStart, GradeDelivery
from lti_tool.services.archive.retention import run_retention
from lti_tool.services.dashboard.pending import summarise_members
from lti_tool.services.dashboard.tracking import SUMMARISE_MEMBERS
from lti_tool.services.grades.worker import GradeWorker
from lti_tool.services.notifications import outbox
from lti_tool.services.notifications.mailer import Mailer
from lti_tool.services.notifications.preferences import unsubscribe_token
from lti_tool.services.notifications.sender import NotificationSender
from lti_tool.services.roster.service import RosterSync, RosterSyncResult
from lti_tool.services.snippets.bulk_run import RUNNING, run_bulk

ROSTER_SYNC = "roster.sync"
BULK_START = "feedback.bulk_start"
DELIVER_GRADES = "grades.deliver"
RESUME = "jobs.resume"
FOLLOW_UP_SECONDS = 60  # a retry due sooner than the next minute's run gets its own run


def roster_sync() -> RosterSync:
    state = rapport()
    client = ServiceClient(ServiceTokens(cache, state.http, state.keyring))
    return RosterSync(state.sessions, NrpsClient(client), erasure_key=state.settings.secret_key)


@job(ROSTER_SYNC)
def sync_roster(course_id: int, lease: datetime, started_by: int | None) -> RosterSyncResult:
    """Read the course's NRPS roster; `lease` is the claim the request took (an expired or
    replaced lease makes this run stop without writing)."""
    return roster_sync().run(course_id, lease, started_by)


@job(SUMMARISE_MEMBERS)
def summarise_members_of_launches(
    members: tuple[tuple[int, int], ...],
    people: tuple[int, ...],
    subs: tuple[tuple[int, str], ...],
    upserted: tuple[tuple[int, int], ...],
) -> None:
    """The student summaries of what launches wrote (services/dashboard/tracking.py)."""
    with transaction(rapport().sessions) as session:
        summarise_members(session, members, people, subs, upserted)


@job(BULK_START)
def start_threads(bulk_id: int) -> int:
    """Write a bulk start's threads, a chunk per transaction, from where it got to."""
    state = rapport()
    return run_bulk(state.sessions, bulk_id, state.clock)


def grade_worker() -> GradeWorker:
    state = rapport()
    tokens = current_app.extensions["cache"][cache]  # the backend: shared, Redis when set
    return GradeWorker.create(state.sessions, state.keyring, tokens, state.http)


@job(DELIVER_GRADES, periodic=EVERY_MINUTE)
def deliver_grades() -> int:
    """Send every score due now (the outbox decides what and in which order; several runs
    share it on PostgreSQL, one at a time on SQLite, which cannot lock a row); a retry due
    within the minute gets a run of its own."""
    if rapport().engine.dialect.name != "sqlite":
        return _deliver_grades()
    try:
        with jobs().huey.lock_task(DELIVER_GRADES):
            return _deliver_grades()
    except TaskLockedException:
        return 0  # the run in hand sends these too


def _deliver_grades() -> int:
    worker = grade_worker()
    handled = worker.deliver_due()
    wake = worker.next_wake()
    if wake is not None:
        delay = (wake - worker.clock.now()).total_seconds()
        if delay < FOLLOW_UP_SECONDS:
            jobs().schedule(DELIVER_GRADES, max(1.0, delay))
    return handled


@job(RESUME, periodic=EVERY_MINUTE)
def resume_interrupted() -> int:
    """Queue again what a crash or a deploy interrupted: bulk starts still running. A run
    that finds another in hand stops at once (bulk_run claims each chunk)."""
    with transaction(rapport().sessions) as session:
        running = session.scalars(select(BulkStart.id).where(BulkStart.status == RUNNING)).all()
    for bulk_id in running:
        jobs().enqueue(BULK_START, bulk_id)
    return len(running)


def deliver_new_scores(sessions: Any) -> None:
    """A transaction that queues a score for the gradebook asks for a delivery run when it
    commits, wherever the score came from (a feedback grade, a check-in's participation)."""

    @event.listens_for(sessions, "after_flush")
    def _queued(session: Session, _context: Any) -> None:
        if any(isinstance(row, GradeDelivery) for row in session.new):
            enqueue_after_commit(session, DELIVER_GRADES)


ANNOUNCE_CHECKINS = "notifications.announce_checkins"
QUEUE_DIGESTS = "notifications.digests"


def notification_sender() -> NotificationSender | None:
    """The sender the settings describe; None when no SMTP server is configured (email off)."""
    settings = rapport().settings
    mailer = Mailer.configured(settings.smtp_url, settings.mail_from)
    if mailer is None:
        return None
    base = settings.public_url

    def unsubscribe_url(person_id: int, course_id: int) -> str:
        token = unsubscribe_token(settings.secret_key, person_id, course_id)
        return f"{base}/notifications/unsubscribe/{token}"

    return NotificationSender(rapport().sessions, mailer, settings.public_host, unsubscribe_url)


def notify_when_mail_is_on(sessions: Any, settings: Settings) -> None:
    """Writes record notifications only when this app can mail them (SMTP_URL)."""
    if settings.smtp_url:
        outbox.enable(sessions)


@job(outbox.DELIVER, periodic=EVERY_MINUTE)
def deliver_notifications() -> int:
    """Mail what is due (services/notifications/sender.py); on SQLite, which cannot lock a
    row, one run at a time. A mail due within the minute gets a run of its own."""
    sender = notification_sender()
    if sender is None:
        return 0
    if rapport().engine.dialect.name != "sqlite":
        return _deliver_notifications(sender)
    try:
        with jobs().huey.lock_task(outbox.DELIVER):
            return _deliver_notifications(sender)
    except TaskLockedException:
        return 0


def _deliver_notifications(sender: NotificationSender) -> int:
    now = rapport().clock()
    sent = sender.deliver_due(now)
    wake = sender.next_due()
    if wake is not None and (delay := (wake - now).total_seconds()) < FOLLOW_UP_SECONDS:
        jobs().schedule(outbox.DELIVER, max(1.0, delay))
    return sent


@job(ANNOUNCE_CHECKINS, periodic=EVERY_MINUTE)
def announce_checkins() -> int:
    """Tell students of the check-ins that opened since the last run."""
    if not rapport().settings.smtp_url:
        return 0
    with transaction(rapport().sessions) as session:
        return outbox.announce_openings(session, rapport().clock())


@job(QUEUE_DIGESTS, periodic=crontab(minute="5"))
def queue_digests() -> int:
    """Staff's daily digests, each once its course's morning has come (hourly)."""
    if not rapport().settings.smtp_url:
        return 0
    with transaction(rapport().sessions) as session:
        return outbox.queue_digests(session, rapport().clock())


RETENTION = "archive.retention"


@job(RETENTION, periodic=crontab(minute="35"))
def apply_retention() -> int:
    """Warn the staff of courses due for deletion by RETENTION_DAYS, and delete those whose
    day has come (services/archive/retention.py); with RETENTION_DAYS unset, withdraw every
    warning. Hourly: a deletion waits at most an hour past its day. How many courses were
    deleted."""
    state = rapport()
    return len(run_retention(state.sessions, state.settings.retention_days, state.clock()).deleted)
