"""Writing the course newsfeed's posts: introductions and news, and editing, scheduling,
pinning, deleting and restoring them, each under its rule in `rules` (replies and reactions are
written by `replies`).

A post is looked up through the grant of *this* course, so a post id from another course is
simply not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Exists, select
from sqlalchemy.orm import Session

from lti_tool.i18n import _, lazy_gettext, ngettext, number
from lti_tool.models import Post, PostKind
from lti_tool.services.access import CourseGrant
from lti_tool.services.entry import COURSE, PERSON, visit
from lti_tool.services.markup import MAX_SOURCE_CHARS, render_markdown
from lti_tool.services.newsfeed import audit
from lti_tool.services.newsfeed.rules import (
    can_delete_post,
    can_edit_post,
    can_pin_post,
    can_restore_post,
    can_see_post,
    can_write_introduction,
    can_write_news,
)
from lti_tool.services.refusals import Refused
from lti_tool.services.upsert import insert_ignoring_conflicts

MAX_TITLE = 200
MAX_STUDENT_INTRODUCTION = 2_000
MAX_REPLY = 2_000
# A time picked a moment ago still counts as "now" rather than "in the past".
SCHEDULE_GRACE = timedelta(minutes=2)

REACTIONS: dict[str, tuple[str, str]] = {
    "wave": ("👋", lazy_gettext("Hello")),
    "thanks": ("🙏", lazy_gettext("Thank you")),
    "like": ("👍", lazy_gettext("Like")),
    "heart": ("❤️", lazy_gettext("Love")),
    "celebrate": ("🎉", lazy_gettext("Celebrate")),
}


class PostRefused(Refused):
    """A refusal of the newsfeed (see Refused)."""


# -- writing posts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PostForm:
    """A post as the form sent it. `when` is "now", "schedule" or "draft"; `publish_at` is the
    local time typed (`2027-02-01T09:00`), read in the zone `tz` the browser reported."""

    body: str
    title: str = ""
    when: str = "now"
    publish_at: str = ""
    tz: str = ""
    pinned: bool = False


def _publication(
    form: PostForm, now: datetime, zone: ZoneInfo, errors: dict[str, str]
) -> tuple[bool, datetime]:
    if form.when == "draft":
        return True, now
    if form.when != "schedule":
        return False, now
    try:
        local = datetime.fromisoformat(form.publish_at.strip())
    except ValueError:
        errors["publish_at"] = _("Give the date and time the post should appear.")
        return False, now
    moment = local.replace(tzinfo=zone) if local.tzinfo is None else local
    if moment < now - SCHEDULE_GRACE:
        errors["publish_at"] = _("That time has passed: pick a later one, or publish now.")
    return False, moment


def _checked(
    form: PostForm, kind: PostKind, now: datetime, zone: ZoneInfo
) -> tuple[str | None, str, bool, datetime]:
    errors: dict[str, str] = {}
    title = " ".join(form.title.split()) or None
    if kind is PostKind.NEWS and not title:
        errors["title"] = _("Give the post a title.")
    if title and len(title) > MAX_TITLE:
        errors["title"] = ngettext(
            "A title can be at most %(num)d character.",
            "A title can be at most %(num)d characters.",
            MAX_TITLE,
        )
    body = form.body.replace("\r\n", "\n").strip()
    limit = MAX_STUDENT_INTRODUCTION if kind is PostKind.STUDENT_INTRODUCTION else MAX_SOURCE_CHARS
    if not body:
        errors["body"] = _("Write something first.")
    elif len(body) > limit:
        errors["body"] = ngettext(
            "A post can be at most %(limit)s character (%(length)s now).",
            "A post can be at most %(limit)s characters (%(length)s now).",
            limit,
            limit=number(limit),
            length=number(len(body)),
        )
    draft, publish_at = (False, now)
    if kind is not PostKind.STUDENT_INTRODUCTION:
        draft, publish_at = _publication(form, now, zone, errors)
    if errors:
        raise PostRefused(400, _("The post was not saved."), errors)
    return title, body, draft, publish_at


def write_news(
    session: Session, grant: CourseGrant, form: PostForm, now: datetime, zone: ZoneInfo
) -> Post:
    if not can_write_news(grant):
        raise PostRefused(403, _("Only the course's staff post news."))
    title, body, draft, publish_at = _checked(form, PostKind.NEWS, now, zone)
    post = Post(
        course_id=grant.course_id,
        author_id=grant.person_id,
        kind=PostKind.NEWS,
        title=title,
        body=body,
        body_html=render_markdown(body),
        draft=draft,
        publish_at=publish_at,
        pinned=form.pinned,
        created_at=now,
    )
    session.add(post)
    session.flush()
    audit.post_written(session, grant, post, None, now)
    return post


# A person's one introduction in a course (`uq_post_one_introduction`), built once: the course
# home reads it on every visit.
_OWN_INTRODUCTION = select(Post).where(
    Post.course_id == COURSE, Post.author_id == PERSON, Post.kind != PostKind.NEWS
)


def own_introduction(session: Session, grant: CourseGrant) -> Post | None:
    return session.scalar(_OWN_INTRODUCTION, visit(grant))


def has_introduction_column() -> Exists:
    """Whether PERSON has written their introduction in COURSE, as a column of a query with the
    entry's bound parameters (`entry.visit`): a student's course home asks it in its entry
    query."""
    return _OWN_INTRODUCTION.exists()


def write_introduction(
    session: Session,
    grant: CourseGrant,
    form: PostForm,
    now: datetime,
    zone: ZoneInfo,
    settings: Mapping[str, Any],
) -> Post:
    """Create or rewrite the person's one introduction in this course."""
    if not can_write_introduction(grant, settings):
        raise PostRefused(403, _("This course does not take introductions from students."))
    kind = PostKind.INTRODUCTION if grant.is_staff else PostKind.STUDENT_INTRODUCTION
    title, body, draft, publish_at = _checked(form, kind, now, zone)
    post = own_introduction(session, grant)
    if post is not None and post.deleted_at is not None and not grant.is_staff:
        raise PostRefused(403, _("Your introduction was removed by the course's staff."))
    before = audit.state_of(post)
    if post is None:
        keys = {"course_id": grant.course_id, "author_id": grant.person_id}
        values = {"kind": kind, "body": body, "body_html": render_markdown(body), "created_at": now}
        inserted = insert_ignoring_conflicts(session, Post, {**keys, **values, "publish_at": now})
        if inserted:
            post = session.get_one(Post, inserted)
        else:  # the same person saved twice at once: the other save made it
            post = own_introduction(session, grant)
            assert post is not None
    _apply(post, title, body, draft, publish_at, now)
    post.deleted_at = None
    session.flush()
    audit.post_written(session, grant, post, before, now)
    return post


def _apply(
    post: Post, title: str | None, body: str, draft: bool, publish_at: datetime, now: datetime
) -> None:
    changed = post.title != title or post.body != body
    if changed and post.is_published(now):
        post.edited_at = now
    post.title = title
    post.body = body
    post.body_html = render_markdown(body)
    if post.kind is not PostKind.STUDENT_INTRODUCTION:
        # Editing a published post does not move it in the feed unless a new time was chosen.
        if draft or not post.is_published(now) or publish_at > now:
            post.publish_at = publish_at
        post.draft = draft


def post_in_course(session: Session, grant: CourseGrant, post_id: int) -> Post:
    """The post, if it belongs to the grant's course and the person may see it; else 404."""
    post = session.get(Post, post_id)
    if post is None or post.course_id != grant.course_id:
        raise PostRefused(404, _("There is no such post in this course."))
    return post


def visible_post(session: Session, grant: CourseGrant, post_id: int, now: datetime) -> Post:
    """The post, if the person may see it now (a draft is "not found" to a student)."""
    post = post_in_course(session, grant, post_id)
    if not can_see_post(grant, post, now):
        raise PostRefused(404, _("There is no such post in this course."))
    return post


def edit_post(
    session: Session,
    grant: CourseGrant,
    post_id: int,
    form: PostForm,
    now: datetime,
    zone: ZoneInfo,
) -> Post:
    post = post_in_course(session, grant, post_id)
    if not can_edit_post(grant, post):
        raise PostRefused(403, _("You cannot edit this post."))
    title, body, draft, publish_at = _checked(form, post.kind, now, zone)
    before = audit.state_of(post)
    _apply(post, title, body, draft, publish_at, now)
    if post.kind is PostKind.NEWS:
        post.pinned = form.pinned
    session.flush()
    audit.post_written(session, grant, post, before, now)
    return post


def delete_post(session: Session, grant: CourseGrant, post_id: int, now: datetime) -> Post:
    post = post_in_course(session, grant, post_id)
    if not can_delete_post(grant, post):
        raise PostRefused(403, _("You cannot delete this post."))
    before = audit.state_of(post)
    assert before is not None
    post.deleted_at = now
    post.deleted_by_id = grant.person_id
    session.flush()
    audit.post_deleted(session, grant, post, before, now)
    return post


def restore_post(session: Session, grant: CourseGrant, post_id: int, now: datetime) -> Post:
    post = post_in_course(session, grant, post_id)
    if not can_restore_post(grant, post):
        raise PostRefused(403, _("Only the course's staff restore deleted posts."))
    post.deleted_at = None
    post.deleted_by_id = None
    session.flush()
    audit.post_restored(session, grant, post, now)
    return post


def set_pinned(
    session: Session, grant: CourseGrant, post_id: int, pinned: bool, now: datetime
) -> Post:
    post = post_in_course(session, grant, post_id)
    if not can_pin_post(grant, post):
        raise PostRefused(403, _("Only the course's staff pin news."))
    before = audit.state_of(post)
    assert before is not None
    post.pinned = pinned
    session.flush()
    audit.post_pinned(session, grant, post, before, now)
    return post
