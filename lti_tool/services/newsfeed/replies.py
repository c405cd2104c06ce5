"""Replies under posts ("Say hello" under an introduction), reactions, and noting who was shown
which post — the newsfeed's conversation, under the rules in `rules`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from lti_tool.i18n import _, ngettext
from lti_tool.models import Post, PostView, Reaction, Reply
from lti_tool.services.access import CourseGrant
from lti_tool.services.markup import render_markdown
from lti_tool.services.newsfeed import audit
from lti_tool.services.newsfeed.rules import can_hide_reply, can_react, can_reply
from lti_tool.services.newsfeed.service import (
    MAX_REPLY,
    REACTIONS,
    PostRefused,
    number,
    visible_post,
)
from lti_tool.services.notifications import outbox as notifications
from lti_tool.services.upsert import dialect_insert, insert_ignoring_conflicts


def add_reply(
    session: Session,
    grant: CourseGrant,
    post_id: int,
    text: str,
    now: datetime,
    settings: Mapping[str, Any],
) -> Reply:
    post = visible_post(session, grant, post_id, now)
    if not can_reply(grant, post, settings, now):
        raise PostRefused(403, _("Replies are not open here."))
    body = text.replace("\r\n", "\n").strip()
    if not body:
        raise PostRefused(400, _("The reply was not sent."), {"body": _("Write something first.")})
    if len(body) > MAX_REPLY:
        too_long = ngettext(
            "A reply can be at most %(limit)s character (%(length)s now).",
            "A reply can be at most %(limit)s characters (%(length)s now).",
            MAX_REPLY,
            limit=number(MAX_REPLY),
            length=number(len(body)),
        )
        raise PostRefused(400, _("The reply was not sent."), {"body": too_long})
    reply = Reply(
        post_id=post.id,
        author_id=grant.person_id,
        body=body,
        body_html=render_markdown(body),
        created_at=now,
    )
    session.add(reply)
    session.flush()
    notifications.reply_written(session, post, reply, grant.is_staff)
    return reply


def set_reply_hidden(
    session: Session, grant: CourseGrant, reply_id: int, hidden: bool, now: datetime
) -> Reply:
    reply = session.get(Reply, reply_id)
    post = session.get(Post, reply.post_id) if reply else None
    if reply is None or post is None or post.course_id != grant.course_id:
        raise PostRefused(404, _("There is no such reply in this course."))
    if not can_hide_reply(grant):
        raise PostRefused(403, _("Only the course's staff hide replies."))
    was_hidden = reply.hidden_at is not None
    reply.hidden_at = now if hidden else None
    reply.hidden_by_id = grant.person_id if hidden else None
    session.flush()
    audit.reply_hidden(session, grant, post, reply, was_hidden, now)
    return reply


def toggle_reaction(
    session: Session,
    grant: CourseGrant,
    post_id: int,
    reaction: str,
    now: datetime,
    settings: Mapping[str, Any],
) -> bool:
    """Add the reaction, or take it back if the person had made it; whether it is on now."""
    post = visible_post(session, grant, post_id, now)
    if reaction not in REACTIONS:
        raise PostRefused(400, _("There is no such reaction."))
    if not can_react(grant, post, settings, now):
        raise PostRefused(403, _("Reactions are not open here."))
    keys = {"post_id": post.id, "person_id": grant.person_id, "reaction": reaction}
    if insert_ignoring_conflicts(session, Reaction, {**keys, "created_at": now}):
        return True
    session.execute(
        delete(Reaction).where(
            Reaction.post_id == post.id,
            Reaction.person_id == grant.person_id,
            Reaction.reaction == reaction,
        )
    )
    return False


def record_views(session: Session, person_id: int, post_ids: list[int], now: datetime) -> None:
    """Note that the person was shown these published posts (once each): one statement."""
    if post_ids:
        rows = [{"post_id": pid, "person_id": person_id, "seen_at": now} for pid in post_ids]
        # One statement for any number of posts, with the rows as its parameters: SQLAlchemy
        # compiles it once per process, not once per page of posts shown.
        session.execute(_view_once(session.get_bind().dialect.name), rows)


@cache
def _view_once(dialect: str) -> Insert:
    return dialect_insert(dialect)(PostView).on_conflict_do_nothing(
        index_elements=["post_id", "person_id"]
    )
