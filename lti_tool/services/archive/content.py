"""What the course's people wrote and answered, as sections of `course.json` (`document.py`):
posts with their replies and reaction counts, feedback conversations with their messages,
check-ins and each week they opened with its answers, grades sent to the LMS, snippets and
placements. Each section is one statement, streamed; an item holds at most one conversation or
one week's answers. An anonymous check-in's answers name nobody and say nothing of when they
came (as its CSV export).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import groupby
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    FeedbackMessage,
    FeedbackThread,
    GradableActivity,
    GradeDelivery,
    Occurrence,
    Placement,
    Post,
    PostView,
    Reaction,
    Reply,
    ResponseStatus,
    Snippet,
)
from lti_tool.services.archive.json_stream import dumps, streamed

# A person's name by Rapport's id, as the document's `people` lists them.
Name = Callable[[int | None], str | None]


def _counts(session: Session, query: Select[int, str, int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for post_id, key, count in session.execute(query):
        counts.setdefault(post_id, {})[key] = int(count)
    return counts


def posts(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    in_course = select(Post.id).where(Post.course_id == course_id)
    reactions = _counts(
        session,
        select(Reaction.post_id, Reaction.reaction, func.count())
        .where(Reaction.post_id.in_(in_course))
        .group_by(Reaction.post_id, Reaction.reaction),
    )
    seen = dict(
        session.execute(
            select(PostView.post_id, func.count())
            .where(PostView.post_id.in_(in_course))
            .group_by(PostView.post_id)
        ).all()
    )
    query = (
        select(Post, Reply)
        .outerjoin(Reply, Reply.post_id == Post.id)
        .where(Post.course_id == course_id)
        .order_by(Post.id, Reply.created_at, Reply.id)
    )
    for _, rows in groupby(streamed(session, query), key=lambda row: row[0].id):
        together = list(rows)
        post: Post = together[0][0]
        yield {
            "id": post.id,
            "kind": post.kind.value,
            "title": post.title,
            "author_id": post.author_id,
            "author": name(post.author_id),
            "body": post.body,
            "draft": post.draft,
            "publish_at": post.publish_at,
            "pinned": post.pinned,
            "created_at": post.created_at,
            "edited_at": post.edited_at,
            "deleted_at": post.deleted_at,
            "reactions": reactions.get(post.id, {}),
            "seen_by": int(seen.get(post.id, 0)),
            "replies": [
                {
                    "author_id": reply.author_id,
                    "author": name(reply.author_id),
                    "body": reply.body,
                    "created_at": reply.created_at,
                    "hidden_at": reply.hidden_at,
                }
                for _, reply in together
                if reply is not None
            ],
        }


def threads(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    # Columns, not objects: a large course has a hundred thousand messages.
    t, m = FeedbackThread, FeedbackMessage
    query = (
        select(t.id, t.student_id, t.title, t.started_by_id, t.created_at)
        .add_columns(Placement.title.label("activity"), CheckIn.title.label("checkin"))
        .add_columns(m.author_id, m.body, m.created_at.label("sent_at"), m.edited_at)
        .add_columns(m.automated, m.score_given, m.score_maximum)
        .outerjoin(m, m.thread_id == t.id)
        .outerjoin(Placement, Placement.id == t.placement_id)
        .outerjoin(CheckIn, CheckIn.id == t.checkin_id)
        .where(t.course_id == course_id)
        .order_by(t.id, m.created_at, m.id)
    )
    for _, rows in groupby(streamed(session, query), key=lambda row: row.id):
        together = list(rows)
        thread = together[0]
        yield {
            "id": thread.id,
            "student_id": thread.student_id,
            "student": name(thread.student_id),
            "title": thread.title,
            "activity": thread.activity,
            "checkin": thread.checkin,
            "started_by": name(thread.started_by_id),
            "created_at": thread.created_at,
            "messages": [
                {
                    "author_id": row.author_id,
                    "author": name(row.author_id),
                    "body": row.body,
                    "created_at": row.sent_at,
                    "edited_at": row.edited_at,
                    "from_a_snippet": row.automated,
                    "grade": None
                    if row.score_given is None
                    else {"score": row.score_given, "out_of": row.score_maximum},
                }
                for row in together
                if row.author_id is not None
            ],
        }


def checkins(
    session: Session, course_id: int, name: Name, listed: list[tuple[int, str]]
) -> Iterator[dict[str, Any]]:
    """Each check-in as staff made it; its weeks and their answers follow (`_weeks`)."""
    checkins = session.scalars(
        select(CheckIn).where(CheckIn.course_id == course_id).order_by(CheckIn.id)
    ).all()
    for checkin in checkins:
        listed.append((checkin.id, checkin.title))
        yield {
            "id": checkin.id,
            "title": checkin.title,
            "questions": checkin.questions,
            "schedule": checkin.schedule,
            "anonymous": checkin.anonymous,
            "graded": checkin.graded,
            "points": checkin.points,
            "created_by": name(checkin.created_by_id),
            "created_at": checkin.created_at,
            "archived_at": checkin.archived_at,
        }


def weeks(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    """Each time a check-in opened, with its answers: one item a week, so that no more than a
    week's answers are held at once."""
    r = CheckInResponse
    query = (
        select(CheckIn.id.label("checkin_id"), CheckIn.anonymous, Occurrence.id, Occurrence.number)
        .add_columns(Occurrence.opens_at, Occurrence.closes_at)
        .add_columns(r.student_id, r.submitted_at, r.updated_at, r.answers, r.status)
        .add_columns(r.handled_by_id, r.handled_at)
        .join(Occurrence, Occurrence.checkin_id == CheckIn.id)
        .outerjoin(r, r.occurrence_id == Occurrence.id)
        .where(CheckIn.course_id == course_id)
        .order_by(CheckIn.id, Occurrence.number, r.submitted_at, r.id)
    )
    for _, rows in groupby(streamed(session, query), key=lambda row: row.id):
        together = list(rows)
        week = together[0]
        answers = [_answer(row, week.anonymous, name) for row in together if row.student_id]
        if week.anonymous:  # in the order of the answers, not of who answered when
            answers.sort(key=dumps)
        yield {
            "checkin_id": week.checkin_id,
            "number": week.number,
            "opens_at": week.opens_at,
            "closes_at": week.closes_at,
            "responses": answers,
        }


def _answer(row: Any, anonymous: bool, name: Name) -> dict[str, Any]:
    if anonymous:
        return {"answers": row.answers}
    return {
        "student_id": row.student_id,
        "student": name(row.student_id),
        "submitted_at": row.submitted_at,
        "updated_at": row.updated_at,
        "answers": row.answers,
        "status": ResponseStatus(row.status).value,
        "dealt_with_by": name(row.handled_by_id),
        "dealt_with_at": row.handled_at,
    }


def grades(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    query = (
        select(GradableActivity, GradeDelivery)
        .outerjoin(GradeDelivery, GradeDelivery.activity_id == GradableActivity.id)
        .where(GradableActivity.course_id == course_id)
        .order_by(GradableActivity.id, GradeDelivery.id)
    )
    for _, rows in groupby(streamed(session, query), key=lambda row: row[0].id):
        together = list(rows)
        activity: GradableActivity = together[0][0]
        yield {
            "activity": activity.label,
            "out_of": activity.score_maximum,
            "scores": [
                {
                    "student_id": delivery.person_id,
                    "student": name(delivery.person_id),
                    "score": delivery.score_given,
                    "out_of": delivery.score_maximum,
                    "comment": delivery.comment,
                    "scored_at": delivery.scored_at,
                    "status": delivery.status.value,
                    "sent_at": delivery.sent_at,
                }
                for _, delivery in together
                if delivery is not None
            ],
        }


def snippets(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    query = select(Snippet).where(Snippet.course_id == course_id).order_by(Snippet.id)
    for (row,) in streamed(session, query):
        yield {
            "title": row.title,
            "body": row.body,
            "created_by": name(row.created_by_id),
            "updated_at": row.updated_at,
        }


def placements(session: Session, course_id: int) -> Iterator[Mapping[str, Any]]:
    query = select(Placement).where(Placement.course_id == course_id).order_by(Placement.id)
    for (row,) in streamed(session, query):
        yield {"kind": row.kind, "title": row.title, "graded": row.graded,
               "out_of": row.score_maximum, "created_at": row.created_at}  # fmt: skip
