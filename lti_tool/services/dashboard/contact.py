"""What counts as personal contact between a student and the course team — defined once, here.

A student has had personal contact when someone on the course's staff
  - wrote to them in one of their feedback threads (a reply to a check-in is one of these), or
  - replied under their introduction in the newsfeed.
Messages sent automatically or to many students at once (a bulk start, a nudge) count only once
the student has answered in that thread: until then nobody knows a person reached them. Marking
a check-in "handled without reply", reactions, and posts to the whole course do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from lti_tool.models import FeedbackMessage, FeedbackThread, Membership, Post, PostKind, Reply
from lti_tool.models.course import CourseRole

DEFINITION = (
    "Personal contact is a message from someone on the course team in the student's own "
    "feedback conversation (replies to check-ins included), or a reply under the student's "
    "introduction. Messages sent to many students at once count only once the student has "
    "answered them."
)

FEEDBACK = "feedback"
CHECKIN_REPLY = "check-in reply"
POST_REPLY = "reply to their introduction"


@dataclass(frozen=True)
class Contact:
    student_id: int
    by_id: int
    at: datetime
    kind: str
    about: str  # the thread's or the post's title


def _staff(course_id: int) -> Select[int]:
    return select(Membership.person_id).where(
        Membership.course_id == course_id, Membership.role == CourseRole.STAFF
    )


def _from_feedback(session: Session, course_id: int) -> list[Contact]:
    student_wrote = (
        select(FeedbackMessage.thread_id, func.max(FeedbackMessage.created_at).label("at"))
        .join(FeedbackThread, FeedbackThread.id == FeedbackMessage.thread_id)
        .where(
            FeedbackThread.course_id == course_id,
            FeedbackMessage.author_id == FeedbackThread.student_id,
        )
        .group_by(FeedbackMessage.thread_id)
        .subquery()
    )
    newest = func.row_number().over(
        partition_by=FeedbackThread.student_id,
        order_by=(FeedbackMessage.created_at.desc(), FeedbackMessage.id.desc()),
    )
    ranked = (
        select(
            FeedbackThread.student_id,
            FeedbackMessage.author_id,
            FeedbackMessage.created_at,
            FeedbackThread.title,
            FeedbackThread.checkin_id,
            newest.label("rank"),
        )
        .join(FeedbackThread, FeedbackThread.id == FeedbackMessage.thread_id)
        .outerjoin(student_wrote, student_wrote.c.thread_id == FeedbackThread.id)
        .where(
            FeedbackThread.course_id == course_id,
            FeedbackMessage.author_id.in_(_staff(course_id)),
            or_(
                FeedbackMessage.automated.is_(False),
                FeedbackMessage.created_at < student_wrote.c.at,
            ),
        )
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.rank == 1)).all()
    return [
        Contact(
            r.student_id,
            r.author_id,
            r.created_at,
            CHECKIN_REPLY if r.checkin_id else FEEDBACK,
            r.title,
        )
        for r in rows
    ]


def _from_post_replies(session: Session, course_id: int) -> list[Contact]:
    newest = func.row_number().over(
        partition_by=Post.author_id, order_by=(Reply.created_at.desc(), Reply.id.desc())
    )
    ranked = (
        select(
            Post.author_id.label("student_id"),
            Reply.author_id,
            Reply.created_at,
            newest.label("rank"),
        )
        .join(Post, Post.id == Reply.post_id)
        .where(
            Post.course_id == course_id,
            Post.kind == PostKind.STUDENT_INTRODUCTION,
            and_(Post.deleted_at.is_(None), Reply.hidden_at.is_(None)),
            Reply.author_id.in_(_staff(course_id)),
        )
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.rank == 1)).all()
    return [
        Contact(r.student_id, r.author_id, r.created_at, POST_REPLY, "Their introduction")
        for r in rows
    ]


def latest_contacts(session: Session, course_id: int) -> dict[int, Contact]:
    """Each student's latest personal contact, by student id (two queries for any course)."""
    latest: dict[int, Contact] = {}
    for contact in [*_from_feedback(session, course_id), *_from_post_replies(session, course_id)]:
        known = latest.get(contact.student_id)
        if known is None or contact.at > known.at:
            latest[contact.student_id] = contact
    return latest
