"""The newsfeed's entries in the course's activity log (`lti_tool.services.audit`): staff
publishing, scheduling, editing, withdrawing, deleting, restoring and pinning posts, and hiding
replies.

Only what students can see counts: a post is *shown* once it is published or scheduled (not a
draft, not deleted), and a change is recorded when the post is shown before or after it. A
draft written, edited or thrown away is nobody's business but its author's. Students' own
introductions and replies are theirs, not staff actions: only staff grants are recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lti_tool.i18n import _, lazy_gettext
from lti_tool.models import Post, PostKind, Reply
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import (
    SOMEONE_GONE,
    AuditAction,
    AuditFacts,
    Part,
    Sentence,
    listed,
    record_by,
    register_action,
)


@dataclass(frozen=True)
class PostState:
    """What students may see of a post at one moment, to tell what a change did."""

    shown: bool  # published or scheduled
    title: str | None
    body: str
    publish_at: datetime
    pinned: bool


def state_of(post: Post | None) -> PostState | None:
    if post is None:
        return None
    shown = not post.draft and post.deleted_at is None
    return PostState(shown, post.title, post.body, post.publish_at, post.pinned)


def _was_shown(before: PostState | None) -> bool:
    return before is not None and before.shown


# -- the sentences ----------------------------------------------------------------------------
NEWS, INTRODUCTION = "news", "introduction"
# Where a moment goes in a translated sentence: the page writes it with its one date formatter.
_MOMENT = "\x00"


def _what(facts: AuditFacts) -> str:
    """A news item by its title; an introduction by whose it is."""
    if facts.details.get("kind") != INTRODUCTION:
        return facts.quoted
    if facts.about_self:
        return _("their introduction")
    if facts.subject_name == SOMEONE_GONE:
        return _("the introduction of someone no longer in the course")
    return _("%(name)s's introduction", name=facts.subject_name)


def _scheduled(facts: AuditFacts) -> list[Part]:
    moment = facts.moment("publish_at")
    if moment is None:
        return [_("scheduled %(post)s", post=_what(facts))]
    before, after = _(
        "scheduled %(post)s to appear on %(moment)s", post=_what(facts), moment=_MOMENT
    ).split(_MOMENT, 1)
    return [before, moment, after]


# What an edit changed, as `_changes` stores it (in English) and the log says it.
CHANGES = {
    "title": lazy_gettext("title"),
    "text": lazy_gettext("text"),
    "publication time": lazy_gettext("publication time"),
    "pinning": lazy_gettext("pinning"),
}


def _edited(facts: AuditFacts) -> str:
    changed = facts.details.get("changed")
    parts = [str(CHANGES.get(str(c), c)) for c in changed] if isinstance(changed, list) else []
    if parts:
        return _("edited %(post)s (%(changes)s)", post=_what(facts), changes=listed(parts))
    return _("edited %(post)s", post=_what(facts))


SENTENCES: dict[str, Callable[[AuditFacts], Sentence]] = {
    "published": lambda facts: _("published %(post)s", post=_what(facts)),
    "scheduled": _scheduled,
    "edited": _edited,
    "withdrawn": lambda facts: _("took %(post)s back to drafts", post=_what(facts)),
    "deleted": lambda facts: _("deleted %(post)s", post=_what(facts)),
    "restored": lambda facts: _("restored %(post)s", post=_what(facts)),
    "pinned": lambda facts: _("pinned %(post)s", post=_what(facts)),
    "unpinned": lambda facts: _("unpinned %(post)s", post=_what(facts)),
}


def _register_post_actions() -> None:
    """ "news.published", "introduction.deleted", …: every change, for both kinds of post."""
    for kind in (NEWS, INTRODUCTION):
        for done, sentence in SENTENCES.items():
            register_action(AuditAction(f"{kind}.{done}", sentence))


_register_post_actions()


def _whose_reply(facts: AuditFacts) -> str:
    if facts.about_self:
        return _("their reply")
    if facts.subject_name == SOMEONE_GONE:
        return _("the reply of someone no longer in the course")
    return _("%(name)s's reply", name=facts.subject_name)


def _under(facts: AuditFacts) -> str:
    return facts.quoted if facts.subject else _("an introduction")


def _reply_hidden(facts: AuditFacts) -> str:
    return _("hid %(reply)s under %(post)s", reply=_whose_reply(facts), post=_under(facts))


def _reply_shown(facts: AuditFacts) -> str:
    return _("showed again %(reply)s under %(post)s", reply=_whose_reply(facts), post=_under(facts))


REPLY_HIDDEN = register_action(AuditAction("reply.hidden", _reply_hidden))
REPLY_SHOWN = register_action(AuditAction("reply.shown", _reply_shown))


# -- recording --------------------------------------------------------------------------------
def _kind(post: Post) -> str:
    return NEWS if post.kind is PostKind.NEWS else INTRODUCTION


def _record(
    session: Session,
    grant: CourseGrant,
    post: Post,
    done: str,
    now: datetime,
    **details: object,
) -> None:
    if not grant.is_staff:
        return
    kind = _kind(post)
    record_by(
        session,
        grant,
        f"{kind}.{done}",
        subject=post.title,
        details={"kind": kind, "post_id": post.id, **details},
        about=post.author_id if kind == INTRODUCTION else None,
        now=now,
    )


def _changes(before: PostState, post: Post) -> list[str]:
    changed = [
        ("title", before.title != post.title),
        ("text", before.body != post.body),
        ("publication time", before.publish_at != post.publish_at),
        ("pinning", before.pinned != post.pinned),
    ]
    return [name for name, differs in changed if differs]


def post_written(
    session: Session, grant: CourseGrant, post: Post, before: PostState | None, now: datetime
) -> None:
    """Record what writing or editing a post did for students: it appeared (now or at a set
    time), changed while they could see it, or went back to drafts."""
    after = state_of(post)
    assert after is not None
    if after.shown and not _was_shown(before):
        if post.publish_at > now:
            _record(session, grant, post, "scheduled", now, publish_at=post.publish_at)
        else:
            _record(session, grant, post, "published", now)
    elif _was_shown(before) and not after.shown:
        _record(session, grant, post, "withdrawn", now)
    elif after.shown and before is not None:
        changed = _changes(before, post)
        if changed:
            _record(session, grant, post, "edited", now, changed=changed)


def post_deleted(
    session: Session, grant: CourseGrant, post: Post, before: PostState, now: datetime
) -> None:
    if before.shown:
        _record(session, grant, post, "deleted", now)


def post_restored(session: Session, grant: CourseGrant, post: Post, now: datetime) -> None:
    if not post.draft:
        _record(session, grant, post, "restored", now)


def post_pinned(
    session: Session, grant: CourseGrant, post: Post, before: PostState, now: datetime
) -> None:
    if before.shown and before.pinned != post.pinned:
        _record(session, grant, post, "pinned" if post.pinned else "unpinned", now)


def reply_hidden(
    session: Session, grant: CourseGrant, post: Post, reply: Reply, was_hidden: bool, now: datetime
) -> None:
    hidden = reply.hidden_at is not None
    if hidden == was_hidden or not grant.is_staff:
        return
    record_by(
        session,
        grant,
        REPLY_HIDDEN if hidden else REPLY_SHOWN,
        subject=post.title,
        details={"kind": _kind(post), "post_id": post.id, "reply_id": reply.id},
        about=reply.author_id,
        now=now,
    )
