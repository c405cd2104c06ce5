"""Bringing a course's set-up over from an earlier course (`services/rollover`): the page
where those who run the course choose the course and the new course's first week, and the
course home's "not now"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from lti_tool.extensions import db, rapport
from lti_tool.i18n import _
from lti_tool.models import AuditEntry, Course
from lti_tool.services.rollover import service as rollover
from lti_tool.services.rollover.copying import Copied
from lti_tool.views.course import committed, course_grant_required
from lti_tool.views.outcomes import said
from lti_tool.views.params import date_from, id_from

bp = Blueprint("rollover", __name__)


def _allowed() -> None:
    if not rollover.can_bring_over(g.grant):
        abort(403, description=_("Only those who run the course bring a set-up over."))


def _brought(course: Course) -> tuple[Course | None, list[str]]:
    """The course the set-up came from, and what came, as the activity log keeps it."""
    if course.brought_over_from_id is None:
        return None, []
    details = db().scalar(
        select(AuditEntry.details)
        .where(AuditEntry.course_id == course.id, AuditEntry.action == rollover.BROUGHT_OVER)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    fields = Copied.__dataclass_fields__
    copied = Copied(**{k: int((details or {}).get(k) or 0) for k in fields})
    return db().get(Course, course.brought_over_from_id), rollover.said(copied)


@bp.route("/courses/<int:course_id>/bring-over", methods=["GET", "POST"])
@course_grant_required
def index(course_id: int) -> Response | tuple[str, int]:
    _allowed()
    session = db()
    course = session.get_one(Course, course_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        source = id_from(request.form, "source") or 0
        first_week = date_from(request.form, "first_week")
        copied, errors = committed(
            lambda: rollover.bring_over(session, g.grant, source, first_week, rapport().clock())
        )
        if copied is not None:
            return redirect(url_for("rollover.index", course_id=course_id, brought=1), code=303)
    status = 400 if errors else 200
    return _page(course, errors, dict(request.form)), status


def _page(course: Course, errors: dict[str, str], form: dict[str, Any]) -> str:
    source, came = _brought(course)
    return render_template(
        "rollover/index.html",
        grant=g.grant,
        course=course,
        sources=[] if source is not None else rollover.sources(db(), g.grant),
        brought_from=source,
        said=came,
        errors=errors,
        form=form,
    )


@bp.post("/courses/<int:course_id>/bring-over/not-now")
@course_grant_required
def not_now(course_id: int) -> Response:
    _allowed()
    committed(lambda: rollover.start_afresh(db(), g.grant, rapport().clock()))
    return redirect(said(url_for("course.home", course_id=course_id), "started-afresh"), code=303)
