"""The snippet library and "start a thread with each selected student".

Library: list, write, edit and delete a course's snippets. Bulk start: choose students and
words, preview the first two threads as those students will read them, confirm; the threads
are written in the background while a progress page refreshes itself (no script needed).
Staff only; every refusal is a 4xx from the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from lti_tool.extensions import db, rapport
from lti_tool.i18n import _
from lti_tool.jobs import enqueue_after_commit
from lti_tool.models import Course
from lti_tool.services.access import CourseGrant
from lti_tool.services.profiles import author_cards
from lti_tool.services.snippets import bulk_start, choosing
from lti_tool.services.snippets import progress as bulk_progress
from lti_tool.services.snippets import service as snippets
from lti_tool.services.snippets.bulk_start import BulkStartRefused
from lti_tool.services.snippets.service import MERGE_FIELDS, SnippetRefused, unknown_fields
from lti_tool.tasks import BULK_START
from lti_tool.views.course import course_grant_required
from lti_tool.views.outcomes import said
from lti_tool.views.params import chosen_id, page_from

bp = Blueprint("snippets", __name__)


def staff_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """403 for anyone but the course's staff."""

    @wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        if not snippets.can_use_snippets(_grant()):
            abort(403, description=_("Only the course's staff use snippets and bulk starts."))
        return view(**kwargs)

    return course_grant_required(wrapped)


def _grant() -> CourseGrant:
    grant: CourseGrant = g.grant
    return grant


def _course() -> Course:
    return db().get_one(Course, _grant().course_id)


# -- the library ------------------------------------------------------------------------------


def _library_page(
    editing: int | None, title: str, body: str, errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    session, grant = db(), _grant()
    page = render_template(
        "snippets/index.html",
        grant=grant,
        course=_course(),
        snippets=snippets.list_snippets(session, grant),
        runs=bulk_progress.recent_bulk_starts(session, grant),
        editing=editing,
        title=title,
        body=body,
        errors=errors,
        merge_fields=MERGE_FIELDS,
        unknown_fields=unknown_fields,
        saved=request.args.get("saved", type=int),
        deleted=request.args.get("deleted") == "1",
    )
    return page, status


@bp.route("/courses/<int:course_id>/snippets", methods=["GET", "POST"])
@staff_only
def index(course_id: int) -> Any:
    session, grant = db(), _grant()
    if request.method == "GET":
        editing = chosen_id(request.args.get("edit"))
        if editing is None:
            return _library_page(None, "", "", {})
        snippet = snippets.snippet_in_course(session, grant, editing)
        return _library_page(snippet.id, snippet.title, snippet.body, {})
    snippet_id = chosen_id(request.form.get("snippet_id"))
    if request.form.get("action") == "delete":
        if snippet_id is None:
            abort(400, description=_("Choose a snippet to delete."))
        snippets.delete_snippet(session, grant, snippet_id)
        session.commit()
        return redirect(url_for("snippets.index", course_id=course_id, deleted=1), code=303)
    title, body = request.form.get("title", ""), request.form.get("body", "")
    try:
        saved = snippets.save_snippet(session, grant, snippet_id, title, body, rapport().clock())
    except SnippetRefused as refused:
        if refused.status != 400:
            raise
        session.rollback()
        return _library_page(snippet_id, title, body, refused.errors, 400)
    session.commit()
    target = url_for("snippets.index", course_id=course_id, saved=saved.id)
    return redirect(f"{target}#snippet-{saved.id}", code=303)


# -- bulk start -------------------------------------------------------------------------------


@dataclass
class StartForm:
    """The choices of the bulk-start form, carried unchanged from form to preview to start:
    a group of students (`to`), or the students picked so far on any page of the picker."""

    student_ids: list[int] = field(default_factory=list)
    title: str = ""
    body: str = ""
    placement_id: int | None = None
    to: str = choosing.PICKED
    search: str = ""
    page: int = 1


def _group(raw: str | None) -> str:
    """The group a form names; a 400 for one Rapport never offered."""
    to = raw or choosing.PICKED
    if to != choosing.PICKED and to not in choosing.GROUPS:
        abort(400, description=_("Choose a group of students, or pick them."))
    return to


def _start_form_posted() -> StartForm:
    form = request.form
    ids = [chosen_id(value) for value in form.getlist("student")]
    snippet_id = chosen_id(form.get("snippet_id"))
    title, body = form.get("title", ""), form.get("body", "")
    if snippet_id is not None and not body.strip():
        # Words written on the form win; a chosen snippet fills what was left empty.
        snippet = snippets.snippet_in_course(db(), _grant(), snippet_id)
        body = snippet.body
        title = title if title.strip() else snippet.title
    browse = form.get("browse", "")
    return StartForm(
        student_ids=[] if browse == "clear" else [i for i in ids if i is not None],
        title=title,
        body=body,
        placement_id=chosen_id(form.get("placement_id")),
        to=_group(form.get("to")),
        search=form.get("q", ""),
        page=int(browse) if browse.isdigit() and len(browse) < 7 else 1,  # the picker clamps it
    )


def _start_page(form: StartForm, errors: dict[str, str], snippet_id: int | None = None) -> Any:
    session, grant = db(), _grant()
    offered = choosing.choices(session, grant, form.search, form.page)
    listed = {s.person_id for s in offered.picker.students}
    page = render_template(
        "snippets/start.html",
        grant=grant,
        course=_course(),
        form=form,
        errors=errors,
        offered=offered,
        picker=offered.picker,
        chosen=set(form.student_ids),
        picked_elsewhere=[i for i in dict.fromkeys(form.student_ids) if i not in listed],
        snippets=snippets.list_snippets(session, grant),
        activities=bulk_start.feedback_activities(session, grant.course_id),
        merge_fields=MERGE_FIELDS,
        unknown=unknown_fields(form.body + "\n" + form.title),
        max_students=bulk_start.MAX_STUDENTS,
        snippet_id=snippet_id,
    )
    return page, 400 if errors else 200


@bp.get("/courses/<int:course_id>/snippets/start")
@staff_only
def start(course_id: int) -> Any:
    args = request.args
    form = StartForm(to=_group(args.get("to")), search=args.get("q", ""), page=page_from(args))
    snippet_id = chosen_id(args.get("snippet"))
    if snippet_id is not None:
        snippet = snippets.snippet_in_course(db(), _grant(), snippet_id)
        form.title, form.body = snippet.title, snippet.body
    unseen = chosen_id(args.get("not_seen"))
    if unseen is not None:  # from a post's "who has seen it": those who have not, picked
        form.to = choosing.PICKED
        form.student_ids = bulk_start.not_seen_by(db(), _grant(), unseen)
    return _start_page(form, {}, snippet_id=snippet_id)


@bp.post("/courses/<int:course_id>/snippets/start/preview")
@staff_only
def preview(course_id: int) -> Any:
    form = _start_form_posted()
    if request.form.get("step") == "edit" or request.form.get("browse"):
        return _start_page(form, {})
    session, grant = db(), _grant()
    try:
        shown = bulk_start.preview(
            session, grant, form.student_ids, form.title, form.body, form.placement_id, form.to
        )
        missing = request.form.get("missing")
        if shown.missing and missing in ("fallback", "skip"):  # the preview's own choice
            if missing == "skip":
                form.to, form.student_ids = choosing.PICKED, shown.complete
            else:
                given = {f: request.form.get(f"fallback_{f}", "") for f in MERGE_FIELDS}
                form.title = snippets.with_fallbacks(form.title, given)
                form.body = snippets.with_fallbacks(form.body, given)
            shown = bulk_start.preview(
                session, grant, form.student_ids, form.title, form.body, form.placement_id, form.to
            )
    except BulkStartRefused as refused:
        if refused.status != 400:
            raise
        return _start_page(form, refused.errors)
    return render_template(
        "snippets/preview.html",
        grant=grant,
        course=_course(),
        form=form,
        preview=shown,
        sender=author_cards(session, course_id, [grant.person_id]).get(grant.person_id),
        unknown=unknown_fields(form.body + "\n" + form.title),
    )


@bp.post("/courses/<int:course_id>/snippets/start")
@staff_only
def confirm(course_id: int) -> Any:
    form = _start_form_posted()
    session, state = db(), rapport()
    try:
        bulk = bulk_start.start_bulk(
            session,
            _grant(),
            form.student_ids,
            form.title,
            form.body,
            form.placement_id,
            state.clock(),
            form.to,
        )
    except BulkStartRefused as refused:
        if refused.status != 400:
            raise
        session.rollback()
        return _start_page(form, refused.errors)
    enqueue_after_commit(session, BULK_START, bulk.id)
    session.commit()
    target = url_for("snippets.progress", course_id=course_id, bulk_id=bulk.id)
    return redirect(said(target, "threads-starting"), code=303)


@bp.get("/courses/<int:course_id>/snippets/runs/<int:bulk_id>")
@staff_only
def progress(course_id: int, bulk_id: int) -> str:
    return render_template(
        "snippets/progress.html",
        grant=_grant(),
        course=_course(),
        run=bulk_progress.bulk_progress(db(), _grant(), bulk_id),
    )
