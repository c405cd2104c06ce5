"""Email notifications: each person's choice per course, and the outbox of what is to be sent.

Both tables are keyed by the person they are about (`person_id`, `recipient_id`), so that a
privacy export or erasure finds everything Rapport keeps here about someone. The outbox stores
which event to tell (a kind and the id of the message, reply or occurrence), never a copy of
the words: the mail reads them when it is written, if the course lets it quote them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class NotificationMode(enum.StrEnum):
    IMMEDIATE = "immediate"  # within minutes (several close together: one mail)
    DAILY = "daily"  # one mail a day
    OFF = "off"


class NotificationStatus(enum.StrEnum):
    WAITING = "waiting"  # due at `due_at`
    SENDING = "sending"  # claimed by a worker at `claimed_at`
    SENT = "sent"
    FAILED = "failed"  # retries ran out, or the server refused the address for good
    SKIPPED = "skipped"  # nothing to send: turned off, no address, an empty digest


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class NotificationPreference(Base):
    """How a person wants to hear about one course; without a row, their role's default."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    mode: Mapped[NotificationMode] = mapped_column(_enum(NotificationMode))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notification(Base):
    """One thing to tell one person, at most once: `key` names the event and the recipient
    (`message:12:34`), so writing it twice leaves one row."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_notification_due", "status", "due_at"),
        Index("ix_notification_recipient", "recipient_id", "course_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    # What it is about: a feedback thread, a post reply or a check-in occurrence, by kind.
    subject_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[NotificationStatus] = mapped_column(
        _enum(NotificationStatus), default=NotificationStatus.WAITING
    )
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class CheckInAnnouncement(Base):
    """An occurrence whose opening has been announced to the course's students (once)."""

    __tablename__ = "checkin_announcement"
    __table_args__ = (UniqueConstraint("occurrence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("checkin_occurrence.id", ondelete="CASCADE")
    )
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
