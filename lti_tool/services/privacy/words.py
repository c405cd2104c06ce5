"""Erasing what a person wrote, and what was written to them in private, keeping its shape.

What they wrote signed with their name loses its words and keeps its place, author and time:
their messages and newsfeed replies (a thread or a discussion still reads in order, "a former
student wrote…"), their news posts. Their own conversations lose every message's words, staff's
too: feedback given to a student on their work is that student's personal data as much as
their own messages are. Their introductions go, with the hellos said under them.

What a course's staff wrote that merely names them (a conversation's title filled in with
their name, an activity-log entry's subject) keeps its words without their name. Course
materials they made for others to use — check-ins, placements, snippets, bulk starts' words —
stay with the course, without their name (a snippet signed "— Tomás"): those were never shown
as theirs, and the course's other staff go on using them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from lti_tool.models import (
    AuditEntry,
    BulkStart,
    CheckIn,
    FeedbackMessage,
    FeedbackThread,
    GradeDelivery,
    Placement,
    Post,
    PostKind,
    Reply,
    ResourceLink,
    Snippet,
)
from lti_tool.models.person import FORMER_MEMBER, FORMER_STUDENT
from lti_tool.services.privacy.grade_comments import comments_given
from lti_tool.services.privacy.people import without_names

NO_WORDS = {"body": "", "body_html": ""}
_POST_ACTIONS = ("news.%", "introduction.%", "reply.%")


def erase_conversations(session: Session, person_id: int, names: Sequence[str]) -> None:
    """Their own conversations lose every message's words and their name from the title; their
    messages elsewhere lose their words, and the gradebook comments made of them."""
    own = select(FeedbackThread.id).where(FeedbackThread.student_id == person_id)
    _forget_comments_given(session, person_id)
    session.execute(
        update(FeedbackMessage)
        .where(or_(FeedbackMessage.thread_id.in_(own), FeedbackMessage.author_id == person_id))
        .values(**NO_WORDS)
        .execution_options(synchronize_session=False)
    )
    for thread in session.scalars(
        select(FeedbackThread).where(
            or_(FeedbackThread.student_id == person_id, FeedbackThread.started_by_id == person_id)
        )
    ):
        instead = FORMER_STUDENT if thread.student_id == person_id else FORMER_MEMBER
        thread.title = without_names(thread.title, names, instead)[:200]


def _forget_comments_given(session: Session, person_id: int) -> None:
    given = comments_given(session, person_id)
    if given:
        session.execute(
            update(GradeDelivery).where(GradeDelivery.id.in_(given)).values(comment=None)
        )


def erase_posts(session: Session, person_id: int) -> set[int]:
    """Their introductions go (with what was said under them); their news and replies lose
    their words. The ids of their posts, whose titles the activity log may quote."""
    posts = set(session.scalars(select(Post.id).where(Post.author_id == person_id)))
    session.execute(
        delete(Post)
        .where(Post.author_id == person_id, Post.kind != PostKind.NEWS)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Post)
        .where(Post.author_id == person_id)
        .values(title=None, pinned=False, **NO_WORDS)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Reply)
        .where(Reply.author_id == person_id)
        .values(**NO_WORDS)
        .execution_options(synchronize_session=False)
    )
    return posts


def erase_from_activity_log(
    session: Session,
    course_ids: Sequence[int],
    person_id: int,
    posts: set[int],
    names: Sequence[str],
) -> None:
    """Entries about them keep no name of theirs in their subject; entries about their posts
    no title of theirs. Who did what stays, by id: the log names them as a former member."""
    for entry in session.scalars(
        select(AuditEntry).where(
            or_(AuditEntry.subject_person_id == person_id, AuditEntry.actor_id == person_id)
        )
    ):
        instead = FORMER_STUDENT if entry.subject_person_id == person_id else FORMER_MEMBER
        if entry.subject:
            entry.subject = without_names(entry.subject, names, instead)[:255]
    if not posts:
        return
    about_posts = select(AuditEntry).where(
        AuditEntry.course_id.in_(course_ids),
        AuditEntry.subject.is_not(None),
        or_(*(AuditEntry.action.like(pattern) for pattern in _POST_ACTIONS)),
    )
    for entry in session.scalars(about_posts):
        if entry.details.get("post_id") in posts:
            entry.subject = None


def erase_from_links(session: Session, course_ids: Sequence[int], identity: Sequence[str]) -> None:
    """A resource link keeps the custom parameters of its last launch; a platform configured
    to substitute the user's login or name there (Canvas's `$Canvas.user.loginId`) left the
    last launcher's in them."""
    for link in session.scalars(
        select(ResourceLink).where(
            ResourceLink.course_id.in_(course_ids), ResourceLink.custom.is_not(None)
        )
    ):
        custom: dict[str, Any] = link.custom or {}
        kept = {k: v for k, v in custom.items() if not _names_them(v, identity)}
        if kept != custom:
            link.custom = kept or None


def _names_them(value: Any, identity: Sequence[str]) -> bool:
    text = str(value).strip().casefold()
    return any(word.strip().casefold() == text for word in identity)


def erase_from_materials(session: Session, person_id: int, names: Sequence[str]) -> None:
    """Course materials they made keep their words, without their name."""
    for model, by, columns in (
        (Snippet, Snippet.created_by_id, ("title", "body")),
        (BulkStart, BulkStart.started_by_id, ("title", "body")),
        (Placement, Placement.created_by_id, ("title",)),
        (CheckIn, CheckIn.created_by_id, ("title", "questions")),
    ):
        for row in session.scalars(select(model).where(by == person_id)):
            for column in columns:
                before = getattr(row, column)
                after = _without(before, names)
                length = getattr(model.__table__.c[column].type, "length", None)
                if after != before:
                    setattr(row, column, after[:length] if length else after)


def _without(value: Any, names: Sequence[str]) -> Any:
    """A text, or JSON's texts (a check-in's questions), without the names."""
    if isinstance(value, str):
        return without_names(value, names, FORMER_MEMBER)
    if isinstance(value, list):
        return [_without(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _without(item, names) for key, item in value.items()}
    return value
