"""Check-ins: short, regular questions every student answers, which staff triage and answer.

A check-in holds its questions and its schedule; each time it opens is an occurrence, with its
opening and closing moments worked out in the course's time zone (so "every Monday 09:00" stays
09:00 across daylight-saving changes) and stored in UTC. A student has at most one response per
occurrence; editing replaces it until the occurrence closes.

Each response also keeps where staff triage lists it (services/checkins/urgency.py): the
student's previous score on the same check-in and the rank triage sorts by, stored when the
response (or the student's answer before it) is written, so that a page of triage is an index
scan with a LIMIT however many answers a course holds.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, JSONType, utcnow


class ResponseStatus(enum.StrEnum):
    NEW = "new"  # nobody on the course team has dealt with it yet
    ANSWERED = "answered"  # answered in the student's feedback thread
    HANDLED = "handled"  # dealt with, without a reply


class CheckIn(Base):
    __tablename__ = "checkin"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # [{"id": "q1", "kind": "scale"|"faces"|"text"|"talk", "prompt": …, "low": …, "high": …}]
    questions: Mapped[list[Any]] = mapped_column(JSONType)
    # {"first": "2027-02-01T09:00", "every_days": 7 or 0, "count": 10, "open_hours": 72,
    #  "time_zone": "Europe/London"}: how the occurrences were made, shown back on the form.
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONType)
    anonymous: Mapped[bool] = mapped_column(default=False)
    graded: Mapped[bool] = mapped_column(default=False)
    points: Mapped[float | None]
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]
    # The check-in of an earlier course this one was brought over from (issue 18): a link to
    # that one, copied into this course by the LMS, opens this one.
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkin.id", ondelete="SET NULL"), index=True
    )


class Occurrence(Base):
    __tablename__ = "checkin_occurrence"
    __table_args__ = (
        UniqueConstraint("checkin_id", "number"),
        Index("ix_checkin_occurrence_opens_at_closes_at", "opens_at", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkin.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, … in the order they open
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]


class CheckInResponse(Base):
    __tablename__ = "checkin_response"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "student_id"),
        Index("ix_checkin_response_student_id_submitted_at", "student_id", "submitted_at"),
        # Triage's three lists, each in its order: the course's, one check-in's, one week's.
        Index(
            "ix_checkin_response_triage_course",
            "triage_course_id",
            "triage_rank",
            "submitted_at",
            "id",
        ),
        Index(
            "ix_checkin_response_triage_checkin",
            "triage_checkin_id",
            "triage_rank",
            "submitted_at",
            "id",
        ),
        Index(
            "ix_checkin_response_triage_occurrence",
            "occurrence_id",
            "triage_rank",
            "submitted_at",
            "id",
        ),
        # A check-in's overview counts answers per occurrence and score from this index alone.
        Index("ix_checkin_response_occurrence_id_score", "occurrence_id", "score", "wants_talk"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("checkin_occurrence.id", ondelete="CASCADE")
    )
    # Kept for anonymous check-ins too (one response each, and the student's own history), but
    # never shown to staff there.
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The first scale answer and the request to talk, kept beside the answers for triage.
    score: Mapped[int | None]
    wants_talk: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ResponseStatus] = mapped_column(
        Enum(
            ResponseStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ResponseStatus.NEW,
    )
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_thread.id", ondelete="SET NULL")
    )
    # What triage orders by, kept by services/checkins/urgency.py. The course and check-in
    # whose triage lists the response: None for an anonymous check-in's, which no triage lists.
    # No foreign keys: both are the occurrence's, whose own key already goes with the row.
    triage_course_id: Mapped[int | None]
    triage_checkin_id: Mapped[int | None]
    # The score of the student's answer to the check-in's previous occurrence they answered.
    previous_score: Mapped[int | None]
    # Lower first: 1000 once dealt with + 100 x category (talk, low, drop, rest) + 10 x score
    # (6 without one) + 5 - drop against the previous score.
    triage_rank: Mapped[int | None] = mapped_column(SmallInteger)


class TriageTally(Base):
    """How many of a week's responses triage lists in each bucket of its order (the hundreds of
    `triage_rank`: 0 to 3 waiting, by category; 10 to 13 dealt with), kept with the ranks, so
    that triage's counts add up a few rows per week instead of counting every answer."""

    __tablename__ = "checkin_triage_tally"

    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("checkin_occurrence.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    responses: Mapped[int] = mapped_column(default=0)
