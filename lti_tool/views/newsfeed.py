"""The course newsfeed's pages: introductions, news, replies, reactions and "seen by".

Views parse the form, call one service with the app's clock, and render; every refusal comes
from the service as a PostRefused with its HTTP status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti_tool.extensions import db, rapport
from lti_tool.i18n import _
from lti_tool.models import Course, Post
from lti_tool.services import profiles
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import course_settings
from lti_tool.services.newsfeed import pages, replies, rules
from lti_tool.services.newsfeed import service as newsfeed
from lti_tool.services.newsfeed.service import PostForm
from lti_tool.views.course import committed, course_grant_required
from lti_tool.views.outcomes import said
from lti_tool.views.params import page_from
from lti_tool.views.times import course_zone, zone_named

bp = Blueprint("newsfeed", __name__)


def _grant() -> CourseGrant:
    grant: CourseGrant = g.grant
    return grant


def _now() -> datetime:
    return rapport().clock()


def _back(course_id: int, fallback: str, outcome: str, focus: str | None = None) -> Response:
    """Redirect to the page the form came from (a page of this course only), else `fallback`,
    saying `outcome` there and moving focus to `focus` (an element id), if given."""
    target = request.form.get("next", "")
    prefix = f"/courses/{course_id}/"
    safe = target.startswith(prefix) and "//" not in target and "\\" not in target
    return redirect(said(target if safe else fallback, outcome, focus), code=303)


def _post_form() -> PostForm:
    form = request.form
    return PostForm(
        body=form.get("body", ""),
        title=form.get("title", ""),
        when=form.get("when", "now"),
        publish_at=form.get("publish_at", ""),
        tz=form.get("tz", ""),
        pinned=form.get("pinned") == "1",
    )


def _form_zone(form: PostForm) -> ZoneInfo:
    return zone_named(form.tz, fallback=str(course_zone()))


@bp.get("/courses/<int:course_id>/introductions")
@course_grant_required  # the course's settings come with the entry
def introductions(course_id: int) -> str:
    page = pages.introductions_page(
        db(),
        _grant(),
        _now(),
        page_from(request.args),
        settings=g.course_settings,
    )
    db().commit()  # the views recorded for "seen by"
    return render_template("newsfeed/introductions.html", page=page, grant=_grant())


@bp.get("/courses/<int:course_id>/posts/<int:post_id>")
@course_grant_required
def post(course_id: int, post_id: int) -> str:
    page = pages.post_page(db(), _grant(), post_id, _now())
    db().commit()
    return render_template("newsfeed/post.html", page=page, grant=_grant())


@bp.app_template_global("reactions")
def _reactions() -> dict[str, tuple[str, str]]:
    return newsfeed.REACTIONS


def _form_page(
    template_kind: str,
    form: PostForm,
    errors: dict[str, str],
    post_id: int | None = None,
    publish_utc: datetime | None = None,
) -> tuple[str, int]:
    status = 400 if errors else 200
    page = render_template(
        "newsfeed/form.html",
        kind=template_kind,
        form=form,
        errors=errors,
        post_id=post_id,
        publish_utc=publish_utc.isoformat() if publish_utc else None,
        grant=_grant(),
        course=db().get_one(Course, _grant().course_id),
        settings=course_settings(db(), _grant().course_id),
    )
    return page, status


@bp.route("/courses/<int:course_id>/posts/new", methods=["GET", "POST"])
@course_grant_required
def new(course_id: int) -> Any:
    if not rules.can_write_news(_grant()):
        abort(403, description=_("Only the course's staff post news."))
    if request.method == "GET":
        return _form_page("news", PostForm(body=""), {})
    form = _post_form()
    created, errors = committed(
        lambda: newsfeed.write_news(db(), _grant(), form, _now(), _form_zone(form))
    )
    if created is None:
        return _form_page("news", form, errors)
    outcome = (
        "draft-saved"
        if created.draft
        else "scheduled"
        if created.publish_at > _now()
        else "published"
    )
    return redirect(said(_feed_anchor(course_id, created.id), outcome), code=303)


def _feed_anchor(course_id: int, post_id: int) -> str:
    return url_for("course.home", course_id=course_id, _anchor=f"post-{post_id}")


@bp.route("/courses/<int:course_id>/introduction", methods=["GET", "POST"])
@course_grant_required
def introduction(course_id: int) -> Any:
    grant = _grant()
    settings = course_settings(db(), course_id)
    if not rules.can_write_introduction(grant, settings):
        abort(403, description=_("This course does not take introductions from students."))
    kind = "introduction" if grant.is_staff else "student_introduction"
    if request.method == "GET":
        own = newsfeed.own_introduction(db(), grant)
        if own is None:
            return _form_page(kind, PostForm(body=""), {})
        return _form_page(kind, _form_of(own), {}, None, own.publish_at)
    form = _post_form()
    written, errors = committed(
        lambda: newsfeed.write_introduction(db(), grant, form, _now(), _form_zone(form), settings)
    )
    if written is None:
        return _form_page(kind, form, errors)
    target = url_for(
        "course.home" if grant.is_staff else "newsfeed.introductions", course_id=course_id
    )
    return redirect(said(target, "introduction-saved", f"post-{written.id}"), code=303)


def _form_of(post: Post) -> PostForm:
    return PostForm(
        body=post.body,
        title=post.title or "",
        when="draft" if post.draft else "schedule" if post.publish_at > _now() else "now",
        publish_at=post.publish_at.astimezone(course_zone()).strftime("%Y-%m-%dT%H:%M"),
        tz=str(course_zone()),
        pinned=post.pinned,
    )


@bp.route("/courses/<int:course_id>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@course_grant_required
def edit(course_id: int, post_id: int) -> Any:
    grant = _grant()
    existing = newsfeed.post_in_course(db(), grant, post_id)
    if not rules.can_edit_post(grant, existing):
        abort(403, description=_("You cannot edit this post."))
    kind = existing.kind.value
    if request.method == "GET":
        return _form_page(kind, _form_of(existing), {}, post_id, existing.publish_at)
    form = _post_form()
    edited, errors = committed(
        lambda: newsfeed.edit_post(db(), grant, post_id, form, _now(), _form_zone(form))
    )
    if edited is None:
        return _form_page(kind, form, errors, post_id)
    target = url_for("newsfeed.post", course_id=course_id, post_id=post_id)
    return redirect(said(target, "post-saved", f"post-{post_id}"), code=303)


@bp.post("/courses/<int:course_id>/posts/<int:post_id>/delete")
@course_grant_required
def delete(course_id: int, post_id: int) -> Response:
    newsfeed.delete_post(db(), _grant(), post_id, _now())
    db().commit()
    target = url_for("course.home", course_id=course_id, deleted=post_id)
    return redirect(target, code=303)  # the home says it was deleted, and where to restore it


@bp.post("/courses/<int:course_id>/posts/<int:post_id>/restore")
@course_grant_required
def restore(course_id: int, post_id: int) -> Response:
    newsfeed.restore_post(db(), _grant(), post_id, _now())
    db().commit()
    target = url_for("newsfeed.post", course_id=course_id, post_id=post_id)
    return redirect(said(target, "post-restored", f"post-{post_id}"), code=303)


@bp.post("/courses/<int:course_id>/posts/<int:post_id>/pin")
@course_grant_required
def pin(course_id: int, post_id: int) -> Response:
    pinned = request.form.get("pinned") == "1"
    newsfeed.set_pinned(db(), _grant(), post_id, pinned, _now())
    db().commit()
    outcome = "pinned" if pinned else "unpinned"
    return _back(course_id, _feed_anchor(course_id, post_id), outcome, f"post-{post_id}-pin")


@bp.post("/courses/<int:course_id>/posts/<int:post_id>/replies")
@course_grant_required
def reply(course_id: int, post_id: int) -> Response:
    settings = course_settings(db(), course_id)
    written = replies.add_reply(
        db(), _grant(), post_id, request.form.get("body", ""), _now(), settings
    )
    db().commit()
    fallback = url_for("newsfeed.post", course_id=course_id, post_id=post_id)
    return _back(course_id, fallback, "reply-sent", f"reply-{written.id}")


@bp.post("/courses/<int:course_id>/replies/<int:reply_id>/hide")
@course_grant_required
def hide_reply(course_id: int, reply_id: int) -> Response:
    hidden = request.form.get("hidden", "1") == "1"
    done = replies.set_reply_hidden(db(), _grant(), reply_id, hidden, _now())
    db().commit()
    fallback = url_for("newsfeed.post", course_id=course_id, post_id=done.post_id)
    outcome = "reply-hidden" if hidden else "reply-shown"
    return _back(course_id, fallback, outcome, f"reply-{done.id}-hide")


@bp.post("/courses/<int:course_id>/posts/<int:post_id>/reactions")
@course_grant_required
def react(course_id: int, post_id: int) -> Response:
    settings = course_settings(db(), course_id)
    reaction = request.form.get("reaction", "")
    added = replies.toggle_reaction(db(), _grant(), post_id, reaction, _now(), settings)
    db().commit()
    outcome = "reaction-added" if added else "reaction-removed"
    focus = f"post-{post_id}-react-{reaction}"
    return _back(course_id, _feed_anchor(course_id, post_id), outcome, focus)


@bp.get("/courses/<int:course_id>/posts/<int:post_id>/seen")
@course_grant_required
def seen(course_id: int, post_id: int) -> str:
    page = pages.seen_list(
        db(),
        _grant(),
        post_id,
        seen_page=page_from(request.args, "seen_page"),
        not_seen_page=page_from(request.args, "not_seen_page"),
    )
    return render_template("newsfeed/seen.html", page=page, grant=_grant())


@bp.get("/courses/<int:course_id>/posts/deleted")
@course_grant_required
def deleted(course_id: int) -> str:
    page = pages.deleted_posts(db(), _grant(), _now())
    return render_template("newsfeed/deleted.html", page=page, grant=_grant())


@bp.route("/courses/<int:course_id>/profile", methods=["GET", "POST"])
@course_grant_required
def my_profile(course_id: int) -> Any:
    grant = _grant()
    if not profiles.can_edit_profile(grant):
        abort(403, description=_("Only the course's staff have a profile here."))
    session = db()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = profiles.ProfileForm(
            **{k: request.form.get(k, "") for k in ("pronouns", "role_title", "bio", "contact")}
        )
        saved, errors = committed(lambda: profiles.save_profile(session, grant, form, _now()))
        if saved is not None:
            return redirect(url_for("newsfeed.my_profile", course_id=course_id, saved=1), code=303)
    else:
        stored = profiles.profile_for(session, course_id, grant.person_id)
        form = profiles.ProfileForm(
            pronouns=(stored.pronouns or "") if stored else "",
            role_title=(stored.role_title or "") if stored else "",
            bio=(stored.bio or "") if stored else "",
            contact=(stored.contact or "") if stored else "",
        )
    card = profiles.author_cards(session, course_id, [grant.person_id]).get(grant.person_id)
    page = render_template(
        "newsfeed/profile.html",
        form=form,
        errors=errors,
        card=card,
        grant=grant,
        saved=request.args.get("saved") == "1",
        limits=profiles,
    )
    return page, 400 if errors else 200
