"""Grades for the LMS gradebook (AGS 2.0): gradable activities and the durable delivery queue.

A `GradeDelivery` row is one score on its way to the platform; it is never deleted, and its
status says where it is: waiting (with the time of the next attempt; a worker sending it holds
its row lock), sent, failed (with the platform's words), or superseded by a newer score for the
same person.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, utcnow
from lti_tool.models.person import Person


class DeliveryStatus(enum.StrEnum):
    WAITING = "waiting"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"


class GradableActivity(Base):
    """Something in a course that is graded, and the platform line item that holds its scores."""

    __tablename__ = "gradable_activity"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))  # e.g. "placement:12", "checkin:3"
    label: Mapped[str] = mapped_column(String(255))
    score_maximum: Mapped[float]
    resource_link_id: Mapped[str | None] = mapped_column(String(255))
    tag: Mapped[str | None] = mapped_column(String(255))
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GradeDelivery(Base):
    __tablename__ = "grade_delivery"
    __table_args__ = (
        Index("ix_grade_delivery_due", "status", "next_attempt_at"),
        Index("ix_grade_delivery_pair", "activity_id", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("gradable_activity.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    score_given: Mapped[float | None]
    score_maximum: Mapped[float]
    comment: Mapped[str | None] = mapped_column(Text)
    activity_progress: Mapped[str] = mapped_column(String(32), default="Completed")
    grading_progress: Mapped[str] = mapped_column(String(32), default="FullyGraded")
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(
            DeliveryStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DeliveryStatus.WAITING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[GradableActivity] = relationship()
    person: Mapped[Person] = relationship()


class GradeSend(Base):
    """A score on its way to the LMS, written and committed by itself just before the POST and
    removed with the delivery's outcome. One left behind means a worker died between sending
    and recording: before sending again, Rapport asks the LMS (AGS results) whether the score
    arrived, so a platform that does not refuse duplicates does not get it twice."""

    __tablename__ = "grade_send"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("grade_delivery.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
