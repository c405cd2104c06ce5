"""The relationship dashboard for staff: who has not heard from a person lately."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, stream_with_context, url_for
from werkzeug.wrappers import Response

from lti_tool.extensions import db, rapport
from lti_tool.services.dashboard import service
from lti_tool.services.dashboard.contact import DEFINITION
from lti_tool.services.dashboard.export import dashboard_csv
from lti_tool.services.dashboard.flags import set_flag
from lti_tool.views.course import course_grant_required
from lti_tool.views.outcomes import said
from lti_tool.views.params import id_from, page_from

bp = Blueprint("dashboard", __name__)


def _page(page: int) -> service.Dashboard:
    args = request.args
    return service.dashboard(
        db(),
        g.grant,
        g.course_settings,
        rapport().clock(),
        show=args.get("show", "all"),
        tutor=id_from(args, "tutor"),
        search=args.get("q", "")[:100],
        sort=args.get("sort", "days"),
        page=page,
    )


@bp.get("/courses/<int:course_id>/dashboard")
@course_grant_required
def index(course_id: int) -> str:
    return render_template(
        "dashboard/index.html",
        page=_page(page_from(request.args)),
        definition=DEFINITION,
        grant=g.grant,
        now=rapport().clock(),
    )


@bp.get("/courses/<int:course_id>/dashboard.csv")
@course_grant_required
def export(course_id: int) -> Response:
    pieces = dashboard_csv(db(), g.grant, g.course_settings, rapport().clock())
    return Response(  # i18n: not translated (an HTTP header)
        stream_with_context(pieces),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="students-and-contact.csv"'},
    )


@bp.post("/courses/<int:course_id>/dashboard/flags/<int:student_id>")
@course_grant_required
def flag(course_id: int, student_id: int) -> Response:
    flagged = request.form.get("flagged") == "1"
    set_flag(db(), g.grant, student_id, flagged, rapport().clock())
    db().commit()
    target = url_for("dashboard.index", course_id=course_id)
    return redirect(
        said(target, "flagged" if flagged else "unflagged", f"flag-{student_id}"), code=303
    )
