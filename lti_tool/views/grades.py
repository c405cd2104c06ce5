"""Grades for staff: per activity, every score's way to the LMS gradebook (AGS 2.0 §3.4).

Sent, waiting (with the next attempt), or failed with the platform's own words — and a Retry
for failed ones. Students and guests get 403: who may see this is `can_manage_grades`.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti_tool.extensions import db
from lti_tool.i18n import _, shown
from lti_tool.jobs import enqueue_after_commit
from lti_tool.services.access import CourseGrant
from lti_tool.services.grades.service import (
    activity_deliveries,
    can_manage_grades,
    course_activities,
    retry_failed,
)
from lti_tool.tasks import DELIVER_GRADES
from lti_tool.views.course import course_grant_required
from lti_tool.views.params import chosen_id

bp = Blueprint("grades", __name__)
# A score's words as the worker kept them (`lti_tool.i18n.keep`), in the reader's language.
bp.add_app_template_filter(shown, "shown")


def _staff_only() -> None:
    grant: CourseGrant = g.grant
    if not can_manage_grades(grant):
        abort(403, description=_("Only the course's staff can see how grades reach the LMS."))


@bp.get("/courses/<int:course_id>/grades/")
@course_grant_required
def index(course_id: int) -> str:
    _staff_only()
    return render_template(
        "grades/index.html", course_id=course_id, activities=course_activities(db(), course_id)
    )


@bp.get("/courses/<int:course_id>/grades/<int:activity_id>")
@course_grant_required
def activity(course_id: int, activity_id: int) -> str:
    _staff_only()
    page = activity_deliveries(db(), course_id, activity_id)
    if page is None:
        abort(404)
    retried = request.args.get("retried", type=int)
    return render_template("grades/activity.html", course_id=course_id, page=page, retried=retried)


@bp.post("/courses/<int:course_id>/grades/<int:activity_id>/retry")
@course_grant_required
def retry(course_id: int, activity_id: int) -> Response:
    _staff_only()
    session = db()
    # One failed score (the form names it), or all of them (it names none).
    count = retry_failed(
        session,
        course_id,
        activity_id,
        chosen_id(request.form.get("delivery")),
        actor_id=g.grant.person_id,
    )
    if count:
        enqueue_after_commit(session, DELIVER_GRADES)
    session.commit()
    target = url_for("grades.activity", course_id=course_id, activity_id=activity_id)
    return redirect(f"{target}?retried={count}", code=303)
