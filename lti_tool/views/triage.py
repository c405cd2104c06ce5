"""Check-in triage (on the check-ins blueprint): the answers most in need of a word first,
answered in place on their card or marked handled; "my tutees" kept on per course."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from lti_tool.extensions import db, rapport
from lti_tool.i18n import _
from lti_tool.services.checkins import replies as checkin_replies
from lti_tool.services.checkins import triage as checkin_triage
from lti_tool.services.checkins.charts import sparkline
from lti_tool.services.checkins.service import CheckInRefused
from lti_tool.services.feedback import pages, viewers
from lti_tool.views.checkins import bp
from lti_tool.views.course import course_grant_required
from lti_tool.views.outcomes import said
from lti_tool.views.params import id_from, page_from


@bp.get("/courses/<int:course_id>/checkins/triage")
@course_grant_required
def triage(course_id: int) -> str:
    checkin_id, occurrence_id = (
        id_from(request.args, "checkin"),
        id_from(request.args, "occurrence"),
    )
    if (request.args.get("checkin") and not checkin_id) or (
        request.args.get("occurrence") and not occurrence_id
    ):
        abort(404, description=_("There is no such check-in in this course."))
    page = checkin_triage.triage(
        db(),
        g.grant,
        checkin_id=checkin_id,
        occurrence_id=occurrence_id,
        page=page_from(request.args),
        mine=_only_my_tutees(course_id),
    )
    viewer = viewers.viewer_for(db(), g.grant, g.course_settings)
    answerable = {
        row.response_id
        for row in page.rows
        if viewers.can_write_to_student(viewer, is_their_tutor=row.my_tutee)
    }
    return render_template(
        "checkins/triage.html",
        page=page,
        grant=g.grant,
        sparkline=sparkline,
        answerable=answerable,
        answered=id_from(request.args, "answered"),
    )


def _only_my_tutees(course_id: int) -> bool:
    """The "my tutees" filter: as the link asks (mine=1 or mine=0), then kept in this browser's
    session for the course (the partitioned cookie every launch in the LMS's frame already
    relies on), so that a tutor who keeps it on finds it on when they come back to triage."""
    kept = set(session.get("triage_mine") or [])
    asked = request.args.get("mine")
    if asked in {"0", "1"}:
        kept = kept | {course_id} if asked == "1" else kept - {course_id}
        session["triage_mine"] = sorted(kept)
    return course_id in kept


@bp.post("/courses/<int:course_id>/checkins/responses/<int:response_id>/answer")
@course_grant_required
def answer_response(course_id: int, response_id: int) -> Response:
    """From triage, back to the same page at the next card (or, for the page's script, a JSON
    answer, so the reply is sent in place); from anywhere else, on to the conversation."""
    thread = checkin_replies.answer_response(
        db(),
        g.grant,
        response_id,
        request.form.get("body", ""),
        g.course_settings,
        rapport().clock(),
    )
    db().commit()
    conversation = url_for("feedback.thread", course_id=course_id, thread_id=thread.id)
    if _wants_json():
        return jsonify(status="answered", thread_url=conversation, **_counts_now(course_id))
    if request.form.get("from") != "triage":
        return redirect(said(conversation, "reply-sent"), code=303)
    following = id_from(request.form, "following")
    back = url_for(
        "checkins.triage",
        course_id=course_id,
        checkin=id_from(request.form, "checkin"),
        occurrence=id_from(request.form, "occurrence"),
        page=page_from(request.form),
        mine=request.form.get("mine") if request.form.get("mine") in {"0", "1"} else None,
        answered=response_id,
        _anchor=f"response-{following}" if following else None,
    )
    return redirect(back, code=303)


def _counts_now(course_id: int) -> dict[str, Any]:
    """The figures the page shows, as they are once the reply is sent, for the page's script to
    put in place of its own: the triage page's (for the list the form came from) and the
    navigation's unread conversations; as numbers, and as the page writes them, in the
    reader's language and its plural forms. Nothing when the form names a list this person
    may not triage: the reply is sent all the same."""
    asked = request.form.get("mine")
    try:
        total, waiting = checkin_triage.counts(
            db(),
            g.grant,
            checkin_id=id_from(request.form, "checkin"),
            occurrence_id=id_from(request.form, "occurrence"),
            mine=asked == "1" if asked in {"0", "1"} else _only_my_tutees(course_id),
        )
    except CheckInRefused:
        return {}
    unread = pages.unread_badge(db(), viewers.viewer_for(db(), g.grant, g.course_settings))
    return {
        "counts": {**waiting, "total": total, "unread": unread},
        "shown": {
            "triage": render_template("checkins/_triage_counts.html", waiting=waiting, total=total),
            "unread": render_template("course/_unread.html", unread=unread),
        },
    }


def _wants_json() -> bool:
    accepted = request.accept_mimetypes
    return accepted.best_match(["text/html", "application/json"]) == "application/json"


@bp.post("/courses/<int:course_id>/checkins/responses/<int:response_id>/handle")
@course_grant_required
def handle(course_id: int, response_id: int) -> Response:
    checkin_replies.handle_response(db(), g.grant, response_id, rapport().clock())
    db().commit()
    back = request.form.get("next", "")
    safe = back.startswith(f"/courses/{course_id}/checkins/triage") and "//" not in back
    target = back if safe else url_for("checkins.triage", course_id=course_id)
    following = id_from(request.form, "following")  # on to the next card, as after a reply
    focus = f"response-{following}" if following else f"response-{response_id}"
    return redirect(said(target, "handled", focus), code=303)
