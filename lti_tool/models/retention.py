"""The institution's record of the courses Rapport deleted by its retention policy (issue 18,
"Archive and retention"): which course and when, never who was in it.

A course's own activity log goes with the course; this table outlives both the course and its
platform's registration, so it names the platform by issuer and client id, not by a key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class CourseDeletion(Base):
    __tablename__ = "course_deletion"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(512))
    client_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(512))
    ended_at: Mapped[datetime]
    warned_at: Mapped[datetime]
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
