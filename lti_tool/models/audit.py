"""The course's activity log: what staff did that changed what students see or how they are
graded (issue 13, "Safe to install at a university"), shown to the course's instructors.

An entry is written in the same transaction as the change it records, so a change that is
refused or rolled back leaves no entry. It names people by id, never by a copy of their name:
the page shows each name as it is now. `subject` keeps what the action was about in words (a
post's or check-in's title at the time), because the thing itself may later be edited or gone.

Personal data, for a person's export and erasure (issue 18): an entry names people in exactly
three places — `actor_id` (who did it), `subject_person_id` (the student or staff member it was
about) and, in `details`, the values of keys ending in `_person_id` (one id) or `_person_ids`
(a list of ids), e.g. a tutor allocation's `tutor_person_id`. Both columns are indexed, so
finding a person's entries is one query on them plus the course's `details` read in Python
(`lti_tool.services.audit.person_ids_in`). `subject` holds titles staff wrote, not names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_course_id_created_at", "course_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    # None: Rapport itself, or a command run on the server.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    # A stable key a feature registered, e.g. "news.published" (services/audit.py).
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(255))
    subject_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
