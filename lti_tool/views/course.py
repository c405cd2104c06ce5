"""The course home every launch lands on."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, session

from lti_tool.extensions import db
from lti_tool.services.access import CourseGrant, grant_for
from lti_tool.services.courses import course_home

bp = Blueprint("course", __name__)


def course_grant_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """403 unless this browser launched into this very course."""

    @wraps(view)
    def wrapped(course_id: int, **kwargs: Any) -> Any:
        grant = grant_for(session.get("grants"), course_id)
        if grant is None:
            abort(
                403,
                description="You have not opened this course from your LMS in this browser. "
                "Open Rapport from the course in your LMS.",
            )
        g.grant = grant
        return view(course_id=course_id, **kwargs)

    return wrapped


@bp.app_template_global("has_page")
def has_page(endpoint: str) -> bool:
    """Whether a feature's page exists, so the navigation lists only what is there."""
    return endpoint in current_app.view_functions


@bp.get("/courses/<int:course_id>/")
@course_grant_required
def home(course_id: int) -> str:
    grant: CourseGrant = g.grant
    page = course_home(db(), grant)
    if page is None:
        abort(404)
    return render_template("course/home.html", page=page, grant=grant)
