"""What staff placed in their course with Deep Linking 2.0 (LTI DL 2.0 §3.4).

Each content item Rapport returns carries a custom parameter naming its placement, so a launch
of the resource link the platform created finds the activity it stands for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow


class Placement(Base):
    __tablename__ = "placement"
    __table_args__ = (UniqueConstraint("token"), UniqueConstraint("course_id", "copied_from_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))  # "course_home", "newsfeed", "checkin", …
    title: Mapped[str] = mapped_column(String(255))
    settings: Mapped[dict[str, Any] | None]
    graded: Mapped[bool] = mapped_column(default=False)
    score_maximum: Mapped[float | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The placement of an earlier course whose link the LMS copied into this one (issue 18):
    # its launches find this placement, which opens this course's own activity.
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL")
    )
