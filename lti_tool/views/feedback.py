"""Feedback threads' pages: the list, one conversation, starting one, and feedback activities.

Every refusal comes from the services as a FeedbackRefused with its HTTP status; a thread of
another student or course is a 404 whatever the URL says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti_tool.extensions import db, rapport
from lti_tool.i18n import _, lazy_gettext
from lti_tool.models import Course, FeedbackMessage
from lti_tool.services.archive.rules import can_write_in_course
from lti_tool.services.feedback import editing, pages, students, viewers, waiting
from lti_tool.services.feedback import service as feedback
from lti_tool.services.feedback.service import FeedbackRefused
from lti_tool.services.feedback.viewers import Viewer
from lti_tool.services.placements import PlaceableKind, register_kind
from lti_tool.views.course import committed, course_grant_required
from lti_tool.views.outcomes import said
from lti_tool.views.params import id_from, page_from

bp = Blueprint("feedback", __name__)

register_kind(
    PlaceableKind(
        kind=feedback.FEEDBACK_KIND,
        title=lazy_gettext("Feedback activity"),
        description=lazy_gettext(
            "A private conversation between each student and the course team, signed "
            "by real people — graded back to the gradebook if you choose."
        ),
        gradable=True,
        view_endpoint="feedback.activity",
        opens_placement=True,
    )
)


def _viewer() -> Viewer:
    if "feedback_viewer" not in g:
        g.feedback_viewer = viewers.viewer_for(db(), g.grant, g.course_settings)
    viewer: Viewer = g.feedback_viewer
    return viewer


def _now() -> datetime:
    return rapport().clock()


@bp.app_template_global("unread_badge_most")
def _unread_badge_most() -> int:
    """How far the navigation's badge counts: beyond it, "99+"."""
    return pages.BADGE_MOST


@bp.app_template_global("feedback_unread")
def _feedback_unread() -> int:
    """Unread conversations, for the navigation's badge, which says "99+" beyond
    `unread_badge_most` (one query, only on course pages)."""
    if "grant" not in g or "course_settings" not in g:
        return 0
    counted = g.course_entry.feedback_unread if "course_entry" in g else None
    if counted is not None:  # the course home's entry query counted it
        return counted
    return pages.unread_badge(db(), _viewer())


@bp.get("/courses/<int:course_id>/feedback/")
@course_grant_required
def index(course_id: int) -> str:
    page = pages.thread_list(
        db(),
        _viewer(),
        request.args.get("show", "all"),
        page_from(request.args),
        request.args.get("q", ""),
    )
    return render_template("feedback/index.html", page=page, grant=g.grant)


@bp.get("/courses/<int:course_id>/feedback/<int:thread_id>")
@course_grant_required
def thread(course_id: int, thread_id: int) -> str:
    page = pages.thread_page(db(), _viewer(), thread_id, _now())
    db().commit()  # read state
    return render_template(
        "feedback/thread.html", page=page, grant=g.grant, errors={}, body="", grade=""
    )


@bp.post("/courses/<int:course_id>/feedback/<int:thread_id>/messages")
@course_grant_required
def reply(course_id: int, thread_id: int) -> Any:
    body, grade = request.form.get("body", ""), request.form.get("grade")
    message, errors = committed(
        lambda: feedback.post_message(db(), _viewer(), thread_id, body, _now(), grade)
    )
    if message is None:
        page = pages.thread_page(db(), _viewer(), thread_id, _now())
        db().commit()
        shown = render_template(
            "feedback/thread.html",
            page=page,
            grant=g.grant,
            errors=errors,
            body=body,
            grade=grade or "",
        )
        return shown, 400
    db().commit()
    target = url_for("feedback.thread", course_id=course_id, thread_id=thread_id)
    return redirect(said(target, "message-sent", f"message-{message.id}"), code=303)


@bp.route(
    "/courses/<int:course_id>/feedback/messages/<int:message_id>/edit", methods=["GET", "POST"]
)
@course_grant_required
def edit_message(course_id: int, message_id: int) -> Any:
    session = db()
    message = session.get(FeedbackMessage, message_id)
    if message is None:
        raise feedback.not_found()  # the same answer as a message out of reach
    thread = feedback.readable_thread(session, _viewer(), message.thread_id)
    errors: dict[str, str] = {}
    body = message.body
    if request.method == "POST":
        body = request.form.get("body", "")
        edited, errors = committed(
            lambda: editing.edit_message(session, _viewer(), message_id, body, _now())
        )
        if edited is not None:
            target = url_for("feedback.thread", course_id=course_id, thread_id=thread.id)
            return redirect(said(target, "message-saved", f"message-{message_id}"), code=303)
    elif not viewers.can_edit_message(_viewer(), message, _now()):
        abort(403, description=editing.EDIT_REFUSED)
    page = render_template(
        "feedback/edit.html",
        thread=thread,
        message=message,
        body=body,
        errors=errors,
        grant=g.grant,
    )
    return page, 400 if errors else 200


@bp.route("/courses/<int:course_id>/feedback/new", methods=["GET", "POST"])
@course_grant_required
def new(course_id: int) -> Any:
    viewer = _viewer()
    if not viewers.can_start_thread(viewer):
        abort(403, description=feedback.STARTING_REFUSED)
    if g.grant.is_student:
        return _new_from_student(course_id, viewer)
    form = request.form if request.method == "POST" else request.args
    chosen = id_from(form, "student")
    title, body = form.get("title", ""), form.get("body", "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        if chosen is None and form.get("student"):
            raise FeedbackRefused(404, _("There is no such student in this course."))
        started, errors = (
            committed(lambda: feedback.start_thread(db(), viewer, chosen, title, body, _now()))
            if chosen is not None
            else (None, {"student": _("Choose a student.")})
        )
        if started is not None:
            target = url_for("feedback.thread", course_id=course_id, thread_id=started.id)
            return redirect(said(target, "thread-started"), code=303)
    page = render_template(
        "feedback/new.html",
        course=db().get_one(Course, course_id),
        choices=students.student_choices(db(), viewer, request.args.get("q", ""), chosen),
        chosen=chosen,
        title=title,
        body=body,
        errors=errors,
        grant=g.grant,
    )
    return page, 400 if errors else 200


def _new_from_student(course_id: int, viewer: Viewer) -> Any:
    """A student writes first: to their tutor, or to the course team without one."""
    title, body = request.form.get("title", ""), request.form.get("body", "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        # The thread is the student's own: a form naming anyone else is refused (404).
        student = id_from(request.form, "student") or viewer.grant.person_id
        started, errors = committed(
            lambda: feedback.start_thread(db(), viewer, student, title, body, _now())
        )
        if started is not None:
            target = url_for("feedback.thread", course_id=course_id, thread_id=started.id)
            return redirect(said(target, "thread-started"), code=303)
    page = render_template(
        "feedback/new_student.html",
        course=db().get_one(Course, course_id),
        answerer=waiting.who_answers(db(), course_id, viewer.grant.person_id),
        title=title,
        body=body,
        errors=errors,
        grant=g.grant,
    )
    return page, 400 if errors else 200


@bp.get("/courses/<int:course_id>/feedback/activities/<int:placement_id>")
@course_grant_required
def activity(course_id: int, placement_id: int) -> Any:
    """Where a placed feedback activity opens: a student's own thread; staff's overview."""
    viewer = _viewer()
    if g.grant.is_student:
        # Opening it starts the student's conversation, unless their course is read only now.
        writable = can_write_in_course(g.grant, g.course_end, _now())
        opened = feedback.thread_for_activity(
            db(), viewer, placement_id, g.grant.person_id, _now(), start=writable
        )
        db().commit()
        return redirect(url_for("feedback.thread", course_id=course_id, thread_id=opened.id))
    if not g.grant.is_staff:
        abort(403, description=_("Feedback activities are for the course's students and staff."))
    overview = students.activity_overview(db(), viewer, placement_id, page_from(request.args))
    return render_template("feedback/activity.html", page=overview, grant=g.grant)


@bp.post(
    "/courses/<int:course_id>/feedback/activities/<int:placement_id>/students/<int:student_id>"
)
@course_grant_required
def activity_thread(course_id: int, placement_id: int, student_id: int) -> Response:
    """Staff open (starting if need be) a student's thread for a feedback activity."""
    if not g.grant.is_staff:
        abort(403, description=_("Only the course's staff open other students' feedback."))
    opened = feedback.thread_for_activity(db(), _viewer(), placement_id, student_id, _now())
    db().commit()
    target = url_for("feedback.thread", course_id=course_id, thread_id=opened.id)
    return redirect(target, code=303)
