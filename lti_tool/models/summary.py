"""What the relationship dashboard knows about each student, kept up to date on every write
(issue 15): one row per student of a course, and one row per personal answer a student's
message got, so that the dashboard pages, filters, sorts and counts in SQL.

Written only by `lti_tool.services.dashboard.summary`, which recomputes a student's row from
the facts (threads, check-ins, introductions, tutors, flags) whenever any of them changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base

# Code-point order on PostgreSQL, as Python sorts casefolded names and as SQLite compares.
NAME_KEY = String(255).with_variant(String(255, collation="C"), "postgresql")


class StudentSummary(Base):
    """One student of a course (anyone whose membership there is a student's, active or not:
    `active` tells). The server defaults are an empty summary,
    which a refresh writes first to hold the row while it recomputes it."""

    __tablename__ = "student_summary"
    __table_args__ = (
        Index("ix_student_summary_course_id_name_key", "course_id", "name_key"),
        Index("ix_student_summary_course_id_contact_at", "course_id", "contact_at"),
        Index("ix_student_summary_course_id_waiting_since", "course_id", "waiting_since"),
        Index("ix_student_summary_course_id_tutor_id", "course_id", "tutor_id"),
    )

    course_id: Mapped[int] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The name as shown, casefolded: search and sort by name in SQL (SQLite's lower() knows
    # ASCII only).
    name_key: Mapped[str] = mapped_column(NAME_KEY, server_default="")
    tutor_id: Mapped[int | None]
    # The last personal contact, as services/dashboard/contact.py defines it.
    contact_at: Mapped[datetime | None]
    contact_by_id: Mapped[int | None]
    contact_kind: Mapped[str | None] = mapped_column(String(40))
    contact_about: Mapped[str | None] = mapped_column(String(200))
    # Their first message no person has answered since.
    waiting_since: Mapped[datetime | None]
    # Check-in answers asking to talk that nobody has dealt with, and the oldest one's time.
    talk_requests: Mapped[int] = mapped_column(default=0, server_default="0")
    asked_since: Mapped[datetime | None]
    # Their conversations in which they wrote last (a reply is owed), and the oldest one's
    # last message time: what a staff member's home counts and lists, tutee by tutee.
    owed: Mapped[int] = mapped_column(default=0, server_default="0")
    owed_since: Mapped[datetime | None]
    # Named check-in answers, oldest first: the newest few scores, and the newest one's words.
    scores: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    trend: Mapped[str] = mapped_column(String(16), default="", server_default="")
    latest_score: Mapped[int | None]
    latest_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The scores drawn, as the page shows them (an SVG, escaped): drawn once per change, not
    # a hundred times per page view.
    sparkline: Mapped[str] = mapped_column(Text, default="", server_default="")
    flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Their membership is active: who is on the dashboard, told without joining memberships
    # (the join cost each of the dashboard's statements a scan of the course's memberships).
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


# "Check-in answers falling", lowest latest score first: a walk along this index, where
# without it every falling student of the course was read and sorted for ten (3 ms at 5,000).
Index(
    "ix_student_summary_falling",
    StudentSummary.course_id,
    StudentSummary.latest_score,
    StudentSummary.name_key,
    StudentSummary.student_id,
    postgresql_where=StudentSummary.trend == "falling",
    sqlite_where=StudentSummary.trend == "falling",
)


class StaffAnswer(Base):
    """A person's answer to a student who was waiting: when, and how long after the first of
    the student's unanswered messages (the dashboard's staff time to reply)."""

    __tablename__ = "staff_answer"
    __table_args__ = (
        Index("ix_staff_answer_course_id_answered_at", "course_id", "answered_at"),
        Index("ix_staff_answer_course_id_student_id", "course_id", "student_id"),
        # The median wait is read by OFFSET along it, the window told from the index alone.
        Index(
            "ix_staff_answer_course_id_waited_seconds", "course_id", "waited_seconds", "answered_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime]
    waited_seconds: Mapped[float]


# What waits on a staff member's home (replies owed, requests to talk), counted and listed by
# tutor from the index alone: the students with something waiting, where counting their
# threads and answers read thousands (and the summary's rows are wide: their sparklines).
Index(
    "ix_student_summary_waiting",
    StudentSummary.course_id,
    StudentSummary.tutor_id,
    StudentSummary.owed,
    StudentSummary.talk_requests,
    StudentSummary.owed_since,
    StudentSummary.asked_since,
    StudentSummary.student_id,
    postgresql_where=(StudentSummary.owed > 0) | (StudentSummary.talk_requests > 0),
    sqlite_where=(StudentSummary.owed > 0) | (StudentSummary.talk_requests > 0),
)


# The dashboard's students as its header counts them (per tutor: how many, within the goal,
# waiting) and as its default order ranks them, read from the index alone: the summary's rows
# are wide (their sparklines), and reading 5,000 of them cost more than all the rest.
Index(
    "ix_student_summary_shown",
    StudentSummary.course_id,
    StudentSummary.active,
    StudentSummary.tutor_id,
    StudentSummary.contact_at,
    StudentSummary.waiting_since,
    StudentSummary.name_key,
    StudentSummary.student_id,
    StudentSummary.flagged,  # the "flagged" filter, from the index too
)
