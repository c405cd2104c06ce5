"""Gradebook comments a person wrote on other students' grades (AGS 2.0 §3.4.5): a grade given
in a feedback conversation goes to the LMS with its message as the comment, and again with each
edit, each time on a delivery of the student's — kept there, with no note of who wrote it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import (
    FeedbackMessage,
    FeedbackThread,
    GradableActivity,
    GradeDelivery,
    Person,
    Placement,
)
from lti_tool.services.grades.service import score_comment
from lti_tool.services.placements import activity_key
from lti_tool.services.privacy.sections import Rows, columns_of


def comments_given(session: Session, pid: int) -> list[int]:
    """The deliveries whose gradebook comment is their words: a grade they gave went with its
    message as the comment (and again with each edit), kept on the other student's delivery.
    Every comment on that student's deliveries for the activity, but those of other graders'
    messages as they stand."""
    graded = session.scalars(
        select(FeedbackThread)
        .join(FeedbackMessage, FeedbackMessage.thread_id == FeedbackThread.id)
        .where(
            FeedbackMessage.author_id == pid,
            FeedbackMessage.score_given.is_not(None),
            FeedbackThread.student_id != pid,
            FeedbackThread.placement_id.is_not(None),
        )
        .distinct()
    ).all()
    found: list[int] = []
    for thread in graded:
        placement = session.get_one(Placement, thread.placement_id)
        others = session.scalars(
            select(FeedbackMessage.body).where(
                FeedbackMessage.thread_id == thread.id,
                FeedbackMessage.author_id != pid,
                FeedbackMessage.score_given.is_not(None),
            )
        )
        kept = [comment for comment in map(score_comment, others) if comment is not None]
        found += session.scalars(
            select(GradeDelivery.id)
            .join(GradableActivity, GradableActivity.id == GradeDelivery.activity_id)
            .where(
                GradableActivity.course_id == thread.course_id,
                GradableActivity.key == activity_key(placement),
                GradeDelivery.person_id == thread.student_id,
                GradeDelivery.comment.is_not(None),
                GradeDelivery.comment.not_in(kept),
            )
        )
    return found


def grade_comments_written(session: Session, pid: int) -> Rows:
    """Those deliveries, as the export lists them."""
    d = GradeDelivery
    return (
        select(
            GradableActivity.course_id,
            GradableActivity.label.label("activity"),
            Person.name.label("student"),
            *columns_of(d, "score_given score_maximum comment status scored_at"),
        )
        .join(GradableActivity, GradableActivity.id == d.activity_id)
        .join(Person, Person.id == d.person_id)
        .where(d.id.in_(comments_given(session, pid)))
        .order_by(d.id)
    )
