"""A student's side of check-ins (on the check-ins blueprint): answering an open one, or
changing the answer while it is open, and the history of their own answers. The check-ins open
now are listed on the blueprint's index, in `views/checkins.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for

from lti_tool.extensions import db, rapport
from lti_tool.i18n import _
from lti_tool.models import Course
from lti_tool.services.checkins import service as checkins
from lti_tool.services.checkins.words import shown_prompt
from lti_tool.views.checkins import bp
from lti_tool.views.course import committed, course_grant_required


def _now() -> datetime:
    return rapport().clock()


def _course() -> Course:
    return db().get_one(Course, g.grant.course_id)


@bp.route(
    "/courses/<int:course_id>/checkins/occurrences/<int:occurrence_id>/answer",
    methods=["GET", "POST"],
)
@course_grant_required
def answer(course_id: int, occurrence_id: int) -> Any:
    grant = g.grant
    if not checkins.can_answer_checkins(grant):
        abort(403, description=_("Check-ins are answered by the course's students."))
    occurrence, checkin = checkins.occurrence_in_course(db(), grant, occurrence_id)
    errors: dict[str, str] = {}
    current = next(
        (
            o.response
            for o in checkins.open_for_student(db(), grant, _now())
            if o.occurrence.id == occurrence.id
        ),
        None,
    )
    given: dict[str, Any] = dict(current.answers) if current else {}
    if request.method == "POST":
        saved, errors = committed(
            lambda: checkins.answer(db(), grant, occurrence_id, request.form, _now())
        )
        given = dict(request.form.items())
        if saved is not None:
            talk = 1 if saved.wants_talk else None  # the student is told who will answer
            target = url_for("checkins.index", course_id=course_id, saved=1, talk=talk)
            return redirect(target, code=303)
    elif not (occurrence.opens_at <= _now() < occurrence.closes_at):
        abort(403, description=_("This check-in is not open now."))
    page = render_template(
        "checkins/answer.html",
        course=_course(),
        occurrence=occurrence,
        checkin=checkin,
        given=given,
        errors=errors,
        grant=grant,
        changing=current is not None,
        prompt_of=shown_prompt,
    )
    return page, 400 if errors else 200


@bp.get("/courses/<int:course_id>/checkins/mine")
@course_grant_required
def mine(course_id: int) -> str:
    history = checkins.student_history(db(), g.grant)
    return render_template(
        "checkins/mine.html", course=_course(), history=history, grant=g.grant, now=_now()
    )
