"""The course settings page for staff: every feature's options, and who changed what, when.

The options and their rules live in `lti_tool.services.course_settings`; this view only shows
the form, hands a submitted one to `change_settings`, and redirects (303) after a save.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti_tool.extensions import db, rapport
from lti_tool.i18n import lazy_gettext
from lti_tool.models import Course
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import (
    COURSE_TIME_ZONE,
    CourseSettings,
    course_settings,
    feature_title,
    registered_settings,
    settings_by_feature,
    time_zones,
)
from lti_tool.services.settings_changes import can_change_settings, change_settings, recent_changes
from lti_tool.views.course import committed, course_grant_required

bp = Blueprint("settings", __name__)
STAFF_ONLY = lazy_gettext("Only the course's staff can see and change its settings.")


@bp.route("/courses/<int:course_id>/settings", methods=["GET", "POST"])
@course_grant_required
def index(course_id: int) -> Response | tuple[str, int]:
    grant: CourseGrant = g.grant
    if not can_change_settings(grant):
        abort(403, description=str(STAFF_ONLY))
    session = db()
    course = session.get(Course, course_id)
    if course is None:
        abort(404)
    if request.method == "POST":
        changes, errors = committed(
            lambda: change_settings(
                session, course_id, grant.person_id, request.form, rapport().clock()
            )
        )
        if changes is None:
            return _page(course, course_settings(session, course_id), request.form, errors), 400
        target = url_for("settings.index", course_id=course_id, saved=len(changes))
        return redirect(target, code=303)
    current = course_settings(session, course_id)
    form = {spec.key: spec.form_value(current[spec.key]) for spec in registered_settings()}
    return _page(course, current, form, {}), 200


def _page(
    course: Course,
    current: CourseSettings,
    form: Mapping[str, str | None],
    errors: Mapping[str, str],
) -> str:
    g.course_time_zone = current[COURSE_TIME_ZONE]
    saved = request.args.get("saved", type=int) if request.method == "GET" else None
    return render_template(
        "settings/index.html",
        grant=g.grant,
        course=course,
        groups=settings_by_feature(),
        feature_title=feature_title,
        form=form,
        errors=errors,
        saved=None if saved is None else max(saved, 0),
        changes=recent_changes(db(), course.id),
        time_zones=time_zones(),
        deletion_due_at=course.deletion_due_at if rapport().settings.retention_days else None,
    )
