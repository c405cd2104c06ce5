"""Personal tutors for staff: who tutors whom, allocating by hand or in balance, and a
student's tutors over time.

The rules live in `lti_tool.services.tutors` (`service`; balancing in `balance`, the listing in
`pages`); these views parse the form, call one service with the app's clock, and redirect
(303) after a change. A refused form re-renders the page with the reason (400); any other
refusal is the app's 4xx page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti_tool.extensions import db, rapport
from lti_tool.i18n import _
from lti_tool.services.access import CourseGrant
from lti_tool.services.tutors import balance as tutor_balance
from lti_tool.services.tutors import pages as tutor_pages
from lti_tool.services.tutors import service as tutors
from lti_tool.views.course import committed, course_grant_required
from lti_tool.views.params import database_id

bp = Blueprint("tutors", __name__)
SCOPES = {"unallocated": True, "all": False}


def _staff_grant() -> CourseGrant:
    grant: CourseGrant = g.grant
    if not tutors.can_allocate_tutors(grant):
        abort(403, description=_("Only the course's staff can see and allocate tutors."))
    return grant


def _person_id(raw: str | None, what: str) -> int:
    """An id from the form, or a 400 that says which one was wrong ("student" or "tutor")."""
    found = database_id((raw or "").strip())
    if found is None:
        if what == "student":
            abort(400, description=_("Choose a student from the list."))
        abort(400, description=_("Choose a tutor from the list."))
    return found


def _listing(source: dict[str, str] | None = None) -> tuple[str, int]:
    """The filter and page a request names (the query string, or a form's hidden fields)."""
    values = source if source is not None else request.args
    show = values.get("show") or "all"
    if show not in tutor_pages.FILTERS:
        abort(400, description=_("Show all, mine or unallocated students."))
    page = values.get("page", "1") or "1"
    return show, int(page) if page.isascii() and page.isdigit() and len(page) < 7 else 1


def _index_page(
    course_id: int, show: str, page: int, errors: dict[str, str] | None = None
) -> tuple[str, int]:
    listing = tutor_pages.allocation_page(db(), g.grant, show, page)
    return render_template(
        "tutors/index.html",
        grant=g.grant,
        page=listing,
        error=errors["form"] if errors else None,
        saved=request.args.get("saved", type=int) if not errors else None,
        balanced=request.args.get("balanced", type=int) if not errors else None,
    ), (400 if errors else 200)


@bp.get("/courses/<int:course_id>/tutors")
@course_grant_required
def index(course_id: int) -> tuple[str, int]:
    _staff_grant()
    show, page = _listing()
    return _index_page(course_id, show, page)


def _back(course_id: int, listing: tuple[str, int], **extra: Any) -> Response:
    show, page = listing
    target = url_for("tutors.index", course_id=course_id, show=show, page=page, **extra)
    return redirect(target, code=303)


@bp.post("/courses/<int:course_id>/tutors/allocate")
@course_grant_required
def allocate(course_id: int) -> Response | tuple[str, int]:
    grant = _staff_grant()
    listing = _listing(request.form.to_dict())
    student_id = _person_id(request.form.get("student_id"), "student")
    # The page's one form sends each row's choice as tutor-<student>; a form of its own for
    # one student may say tutor_id.
    raw_tutor = request.form.get("tutor_id", request.form.get(f"tutor-{student_id}", ""))
    tutor_id = _person_id(raw_tutor, "tutor") if raw_tutor.strip() else None
    _done, errors = committed(
        lambda: tutors.allocate(db(), grant, student_id, tutor_id, rapport().clock())
    )
    if errors:
        return _index_page(course_id, *listing, errors)
    return _back(course_id, listing, saved=student_id, _anchor=f"student-{student_id}")


@bp.post("/courses/<int:course_id>/tutors/balance")
@course_grant_required
def balance(course_id: int) -> Response | tuple[str, int]:
    grant = _staff_grant()
    listing = _listing(request.form.to_dict())
    chosen = [_person_id(raw, "tutor") for raw in request.form.getlist("tutors")]
    scope = request.form.get("scope", "unallocated")
    if scope not in SCOPES:
        abort(400, description=_("Balance either the students without a tutor, or everyone."))
    result, errors = committed(
        lambda: tutor_balance.balance(
            db(),
            grant,
            rapport().clock(),
            by_section=request.form.get("by_section") in {"1", "on"},
            tutor_ids=chosen,
            only_unallocated=SCOPES[scope],
        )
    )
    if result is None:
        return _index_page(course_id, *listing, errors)
    return _back(course_id, listing, balanced=result.count)


@bp.get("/courses/<int:course_id>/tutors/<int:student_id>/history")
@course_grant_required
def history(course_id: int, student_id: int) -> str:
    grant = _staff_grant()
    page = tutors.history_page(db(), grant, student_id)
    if page is None:
        abort(404, description=_("Nobody with that id belongs to this course."))
    return render_template("tutors/history.html", grant=grant, page=page)
