"""A person's erasure (issue 18, "A person's data"): the one thing Rapport keeps about someone
whose data it erased, and the log of who asked for it and when.

`sub_hash` is a keyed one-way hash of the platform's issuer and the person's `sub`
(`lti_tool.services.privacy.erasures.erasure_hash`): enough for a roster sync to recognise
them while the LMS still lists them, and so not to bring their name back, but nothing from
which their `sub` can be read. No column says what was erased, or in which course.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class PersonErasure(Base):
    __tablename__ = "privacy_erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    sub_hash: Mapped[str] = mapped_column(String(64), index=True)  # HMAC-SHA-256, hex
    # Who asked: the operator who ran `rapport privacy erase` (or whom they named).
    requested_by: Mapped[str] = mapped_column(String(255))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
