"""The course roster for staff: refreshed over NRPS 2.0 in the background, and the People page.

A staff launch starts a sync when the roster is older than ROSTER_SYNC_INTERVAL; the Refresh
button starts one now (once a minute at most). Neither waits for it: the lease is taken in
the request, the pages are read by a background thread.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from lti_tool.background import background
from lti_tool.db import utcnow
from lti_tool.extensions import cache, db, rapport
from lti_tool.lti.nrps import NrpsClient
from lti_tool.lti.service_auth import ServiceClient, ServiceTokens
from lti_tool.models import Course
from lti_tool.services.access import CourseGrant
from lti_tool.services.roster.people import course_people
from lti_tool.services.roster.service import (
    MIN_REFRESH_GAP,
    RosterState,
    RosterSync,
    RosterSyncResult,
    can_refresh_roster,
    claim_roster_sync,
    roster_is_stale,
    roster_refresh_allowed,
    roster_state,
)
from lti_tool.views.course import course_grant_required
from lti_tool.views.params import page_from

bp = Blueprint("roster", __name__)


def roster_sync() -> RosterSync:
    """A sync built from this app's state; called inside the background task's app context."""
    state = rapport()
    client = ServiceClient(ServiceTokens(cache, state.http, state.keyring))
    return RosterSync(state.sessions, NrpsClient(client))


def _run_sync(course_id: int, lease: datetime, started_by: int | None) -> RosterSyncResult:
    return roster_sync().run(course_id, lease, started_by)


def _start(
    course_id: int, lease: datetime, started_by: int | None = None
) -> Future[RosterSyncResult]:
    return background().submit(_run_sync, course_id, lease, started_by)


def sync_roster_if_stale(session: Session, course_id: int) -> Future[RosterSyncResult] | None:
    """After a staff launch: start a background sync when the roster is stale."""
    course = session.get(Course, course_id)
    now = utcnow()
    interval = timedelta(seconds=rapport().settings.roster_sync_interval_seconds)
    if course is None or not roster_is_stale(course, now, interval):
        return None
    lease = claim_roster_sync(session, course_id, now, synced_before=now - interval)
    session.commit()
    return _start(course_id, lease) if lease else None


@bp.app_template_global("roster_state")
def _roster_state(course: Course) -> RosterState:
    return roster_state(course, utcnow())


@bp.post("/courses/<int:course_id>/roster/refresh")
@course_grant_required
def refresh(course_id: int) -> Response:
    grant: CourseGrant = g.grant
    if not can_refresh_roster(grant):
        abort(403, description="Only the course's staff can refresh its roster.")
    session = db()
    course = session.get(Course, course_id)
    if course is None:
        abort(404)
    now = utcnow()
    outcome = "not-shared" if not course.nrps_url else "recent"
    if roster_refresh_allowed(course, now):
        lease = claim_roster_sync(session, course_id, now, synced_before=now - MIN_REFRESH_GAP)
        session.commit()
        if lease:
            _start(course_id, lease, started_by=grant.person_id)
            outcome = "started"
    target = url_for("course.home", course_id=course_id, roster=outcome, _anchor="roster")
    return redirect(target, code=303)  # type: ignore[return-value]


@bp.get("/courses/<int:course_id>/people")
@course_grant_required
def people(course_id: int) -> str:
    page = course_people(db(), g.grant, page_from(request.args))
    if page is None:
        abort(403, description="Only the course's staff can see its people.")
    return render_template("roster/people.html", page=page, grant=g.grant)
