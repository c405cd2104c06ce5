"""The course's activity log for its instructors: what staff did that changed what students see
or how they are graded (issue 13). Who may read it and what it says live in
`lti_tool.services.audit`; this view only asks for a page and renders it."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from lti_tool.extensions import db
from lti_tool.services.audit import activity_page
from lti_tool.views.course import course_grant_required
from lti_tool.views.params import page_from

bp = Blueprint("audit", __name__)


@bp.get("/courses/<int:course_id>/audit")
@course_grant_required
def index(course_id: int) -> str:
    page = activity_page(db(), g.grant, page_from(request.args))
    return render_template("audit/index.html", page=page, grant=g.grant)
