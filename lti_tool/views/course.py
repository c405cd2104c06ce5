"""The course home every launch lands on: the course's newsfeed, and for staff the course's
people and tools."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, g, render_template, request, session
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
from lti_tool.extensions import db, rapport
from lti_tool.i18n import _
from lti_tool.services.access import CourseGrant, grant_for
from lti_tool.services.archive.rules import course_end, refuse_unless_writable
from lti_tool.services.checkins.service import open_for_student
from lti_tool.services.course_settings import COURSE_TIME_ZONE
from lti_tool.services.courses import HomeEntry, enter_course_home
from lti_tool.services.entry import CourseEntry, enter_course
from lti_tool.services.feedback.viewers import viewer_for
from lti_tool.services.feedback.waiting import waiting_for
from lti_tool.services.newsfeed.feed import feed_page
from lti_tool.services.refusals import Refused
from lti_tool.services.rollover import service as rollover
from lti_tool.views.params import page_from

bp = Blueprint("course", __name__)
T = TypeVar("T")
# Methods that only read. Every other request a visitor sends writes something, and is
# refused to students once their course is read only (`services/archive/rules.py`).
READING = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_AFTER_END = "rapport_open_after_end"


def open_after_end(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose forms stay open to students in a read-only course (under
    `course_grant_required`): choices about themselves, such as which mail they get."""
    setattr(view, OPEN_AFTER_END, True)
    return view


def entered_by(
    enter: Callable[[Session, CourseGrant], CourseEntry | None],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`course_grant_required` with the entry read by `enter`, which may add a page's own facts
    to the entry's query (`g.course_entry`)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        return _grant_required(view, enter)

    return decorate


def course_grant_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """403 unless this browser launched into this very course, recently, and the person is
    still an active member of it; `g.grant` carries their role as it is now."""
    return _grant_required(view, enter_course)


def _grant_required(
    view: Callable[..., Any], enter: Callable[[Session, CourseGrant], CourseEntry | None]
) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(course_id: int, **kwargs: Any) -> Any:
        # Wall-clock time, not the app's clock: a session's age is not a course rule.
        grant = grant_for(session.get("grants"), course_id, utcnow())
        if grant is None:
            abort(
                403,
                description=_(
                    "You have not opened this course from your LMS in this browser "
                    "lately. Open Rapport from the course in your LMS."
                ),
            )
        entry = enter(db(), grant)
        if entry is None:
            abort(
                403,
                description=_(
                    "Your LMS no longer lists you as a member of this course. If that is a "
                    "mistake, ask the course's teachers, then open Rapport from the LMS again."
                ),
            )
        g.grant = entry.grant
        g.course_entry = entry
        # Times on every course page are written in the course's zone until the browser
        # localises them.
        g.course_settings = entry.settings
        g.course_time_zone = g.course_settings[COURSE_TIME_ZONE]
        g.course_end = course_end(entry.course.lms_ends_at, entry.settings)
        if request.method not in READING and not getattr(view, OPEN_AFTER_END, False):
            refuse_unless_writable(entry.grant, g.course_end, rapport().clock())
        return view(course_id=course_id, **kwargs)

    return wrapped


def committed(action: Callable[[], T]) -> tuple[T | None, dict[str, str]]:
    """Run a form's service call: committed when it works; when the service refuses the form
    (400), rolled back with the fields to fix. Other refusals go on to the app's error page
    (`views.errors`), rolled back there."""
    try:
        result = action()
    except Refused as refused:
        if refused.status != 400:
            raise
        db().rollback()
        return None, refused.errors or {"form": refused.message}
    db().commit()
    return result, {}


@bp.app_template_global("has_page")
def has_page(endpoint: str) -> bool:
    """Whether a feature's page exists, so the navigation lists only what is there."""
    return endpoint in current_app.view_functions


@bp.get("/courses/<int:course_id>/")
@entered_by(enter_course_home)
def home(course_id: int) -> str:
    grant: CourseGrant = g.grant
    entry: HomeEntry = g.course_entry
    page = entry.home
    session = db()
    news = feed_page(
        session,
        grant,
        rapport().clock(),
        page_from(request.args),
        settings=entry.settings,
        has_introduction=page.has_introduction,
    )
    open_checkins = open_for_student(session, grant, rapport().clock())
    waiting = None
    if page.waiting is not None and page.waiting.total:
        waiting = waiting_for(session, viewer_for(session, grant, entry.settings), page.waiting)
    bring_over = rollover.offer(session, grant)
    html = render_template(
        "course/home.html",
        page=page,
        feed=news,
        grant=grant,
        open_checkins=open_checkins,
        waiting=waiting,
        bring_over=bring_over,
        start_from_another=bring_over is None and page.start_from_another,
    )
    # The views recorded for "seen by", committed once the page (its navigation reads the
    # unread count) is made: one transaction and one pooled connection for the whole page.
    session.commit()
    return html
