"""Every job Rapport runs in the background (`lti_tool.jobs`), each a few lines over a
service: take ids, build what the service needs from the app's state, run it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from huey.exceptions import TaskLockedException
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lti_tool.db import transaction
from lti_tool.extensions import cache, rapport
from lti_tool.jobs import EVERY_MINUTE, enqueue_after_commit, job, jobs
from lti_tool.lti.nrps import NrpsClient
from lti_tool.lti.service_auth import ServiceClient, ServiceTokens
from lti_tool.models import BulkStart, GradeDelivery
from lti_tool.services.dashboard.pending import summarise_members
from lti_tool.services.dashboard.tracking import SUMMARISE_MEMBERS
from lti_tool.services.grades.worker import GradeWorker
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
    return RosterSync(state.sessions, NrpsClient(client))


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
