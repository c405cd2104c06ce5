"""Named feedback: private threads between one student and the course's staff, the snippets
staff reuse to write them, bulk starts, and personal tutors.

A thread's `last_message_at` and `last_author_id` are kept with every message so that unread
counts and thread lists need no scan of messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class FeedbackThread(Base):
    __tablename__ = "feedback_thread"
    __table_args__ = (
        # One thread per student per feedback activity; threads without an activity are free.
        UniqueConstraint("placement_id", "student_id"),
        # One thread per student per check-in, where staff answer their responses.
        UniqueConstraint("checkin_id", "student_id"),
        Index("ix_feedback_thread_course_id_student_id", "course_id", "student_id"),
        Index("ix_feedback_thread_course_id_last_message_at", "course_id", "last_message_at"),
        # Conversations where the student wrote last (a reply is owed), the longest waiting
        # first: every page's unread badge and the staff home's "waiting for you" count them
        # from this index alone, and the home lists the first few along it.
        Index(
            "ix_feedback_thread_owed",
            "course_id",
            "last_message_at",
            "student_id",
            "id",
            sqlite_where=text("last_author_id = student_id"),
            postgresql_where=text("last_author_id = student_id"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL")
    )
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin.id", ondelete="SET NULL"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    bulk_start_id: Mapped[int | None] = mapped_column(
        ForeignKey("bulk_start.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class FeedbackMessage(Base):
    __tablename__ = "feedback_message"
    __table_args__ = (Index("ix_feedback_message_thread_id_created_at", "thread_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("feedback_thread.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    # Written from a snippet for many students at once: counts as personal contact only once
    # the student answers (issue: relationship dashboard).
    automated: Mapped[bool] = mapped_column(default=False)
    # A grade for the thread's activity, sent to the LMS through the grades service.
    score_given: Mapped[float | None]
    score_maximum: Mapped[float | None]


class ThreadRead(Base):
    """How far a participant has read a thread."""

    __tablename__ = "feedback_read"
    __table_args__ = (UniqueConstraint("thread_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("feedback_thread.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class Snippet(Base):
    """Reusable words with merge fields ({first_name}, {tutor_name}, …), per course."""

    __tablename__ = "feedback_snippet"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BulkStart(Base):
    """ "Start a thread with each selected student": the request, and how far it has got."""

    __tablename__ = "bulk_start"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # the snippet's words, merge fields unfilled
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL")
    )
    # A nudge: the message goes into each student's conversation about this check-in.
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin.id", ondelete="CASCADE"))
    student_ids: Mapped[list[Any]] = mapped_column(default=list)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, done, failed
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class TutorAllocation(Base):
    """A student's personal tutor; a reallocation ends the old row, so history stays."""

    __tablename__ = "tutor_allocation"
    __table_args__ = (
        Index(
            "uq_tutor_allocation_current",
            "course_id",
            "student_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_tutor_allocation_course_id_tutor_id", "course_id", "tutor_id"),
        # A tutor's current tutees, told from the index alone ("waiting for you", "my tutees").
        Index(
            "ix_tutor_allocation_current_tutees",
            "course_id",
            "tutor_id",
            "student_id",
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    tutor_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
