"""The course roster for staff: refreshed over NRPS 2.0 in the background, and the People page.

A staff launch starts a sync when the roster is older than ROSTER_SYNC_INTERVAL; the Refresh
button starts one now (once a minute at most). Neither waits for it: the lease is taken in
the request, the pages are read by a job (`lti_tool.tasks`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.extensions import db, rapport
from lti_tool.i18n import _
from lti_tool.jobs import enqueue_after_commit
from lti_tool.models import Course
from lti_tool.services.access import CourseGrant
from lti_tool.services.roster.people import course_people
from lti_tool.services.roster.service import (
    MIN_REFRESH_GAP,
    RosterState,
    can_refresh_roster,
    claim_roster_sync,
    roster_is_stale,
    roster_refresh_allowed,
    roster_state,
)
from lti_tool.tasks import ROSTER_SYNC
from lti_tool.views.course import course_grant_required
from lti_tool.views.params import page_from

bp = Blueprint("roster", __name__)


def sync_roster_if_stale(session: Session, course_id: int) -> datetime | None:
    """After a staff launch: queue a sync when the roster is stale (the launch commits)."""
    course = session.get(Course, course_id)
    now = utcnow()
    interval = timedelta(seconds=rapport().settings.roster_sync_interval_seconds)
    if course is None or not roster_is_stale(course, now, interval):
        return None
    lease = claim_roster_sync(session, course_id, now, synced_before=now - interval)
    if lease:
        enqueue_after_commit(session, ROSTER_SYNC, course_id, lease, None)
    session.commit()
    return lease


@bp.app_template_global("roster_state")
def _roster_state(course: Course) -> RosterState:
    return roster_state(course, utcnow())


@bp.post("/courses/<int:course_id>/roster/refresh")
@course_grant_required
def refresh(course_id: int) -> Response:
    grant: CourseGrant = g.grant
    if not can_refresh_roster(grant):
        abort(403, description=_("Only the course's staff can refresh its roster."))
    session = db()
    course = session.get(Course, course_id)
    if course is None:
        abort(404)
    now = utcnow()
    outcome = "not-shared" if not course.nrps_url else "recent"
    if roster_refresh_allowed(course, now):
        lease = claim_roster_sync(session, course_id, now, synced_before=now - MIN_REFRESH_GAP)
        if lease:
            enqueue_after_commit(session, ROSTER_SYNC, course_id, lease, grant.person_id)
            outcome = "started"
        session.commit()
    target = url_for("course.home", course_id=course_id, roster=outcome, _anchor="roster")
    return redirect(target, code=303)  # type: ignore[return-value]


@bp.get("/courses/<int:course_id>/people")
@course_grant_required
def people(course_id: int) -> str:
    page = course_people(db(), g.grant, page_from(request.args))
    if page is None:
        abort(403, description=_("Only the course's staff can see its people."))
    return render_template("roster/people.html", page=page, grant=g.grant)
