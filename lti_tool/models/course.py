"""Courses (LTI contexts), who belongs to them, and the resource links placed in them.

LTI 1.3 Core §5.4.1 (context claim), §5.3.3 (resource link), §5.3.7 (roles); the service
endpoints are stored at launch time so background work never needs a live request.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, utcnow
from lti_tool.models.person import Person


class CourseRole(enum.StrEnum):
    STAFF = "staff"
    STUDENT = "student"
    GUEST = "guest"  # Mentor and everyone else: sees only what is public to the course


def _role_type() -> Enum:
    return Enum(
        CourseRole, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class Course(Base):
    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("registration_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("deployment.id", ondelete="SET NULL")
    )
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(512))
    label: Mapped[str | None] = mapped_column(String(255))
    nrps_url: Mapped[str | None] = mapped_column(Text)
    ags_endpoint: Mapped[dict[str, Any] | None]
    # Where the LMS shows the course (the launch's `return_url`): email links go there, so
    # that people come back through the LMS launch.
    lms_url: Mapped[str | None] = mapped_column(Text)
    # Roster sync over NRPS (issue: LTI Advantage services).
    roster_synced_at: Mapped[datetime | None]
    roster_sync_started_at: Mapped[datetime | None]
    roster_sync_error: Mapped[str | None] = mapped_column(Text)
    # Term after term (issue 18): the context ids this course was copied from, most recent
    # first, as its platform last told (Canvas's `$Context.id.history`); the course whose
    # set-up staff brought over, and when they did or chose to start afresh instead.
    context_history: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    brought_over_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL")
    )
    rollover_closed_at: Mapped[datetime | None]
    # When the LMS says the course ends (Canvas's `$Canvas.course.endAt`, read at launch); an
    # end date set in the course's settings wins (services/archive/rules.py).
    lms_ends_at: Mapped[datetime | None]
    # Retention (services/archive/retention.py): when the course's staff were warned, and the
    # day the warning named for its deletion; both None while no deletion is planned.
    deletion_warned_at: Mapped[datetime | None]
    deletion_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_title(self) -> str:
        return self.title or self.label or f"Course {self.context_id}"


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # The role Rapport acts on: the last signed launch's when there is one (a launch is signed
    # by the platform for this very person), else the roster's (services/roster/rows.py).
    role: Mapped[CourseRole] = mapped_column(_role_type())
    # Where it came from, kept apart so that staff can see when the two disagree (Moodle's
    # NRPS lists a non-editing teacher as Learner while launching them as Instructor).
    launch_role: Mapped[CourseRole | None] = mapped_column(_role_type())
    roster_role: Mapped[CourseRole | None] = mapped_column(_role_type())
    lti_roles: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    last_launch_at: Mapped[datetime | None]
    # NRPS member status ("Active", "Inactive", "Deleted") and when the roster last listed them.
    roster_status: Mapped[str | None] = mapped_column(String(16))
    roster_seen_at: Mapped[datetime | None]
    # The LMS section the launch named (LIS claim `course_section_sourcedid`), for tutor groups.
    section: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(lazy="joined")


class ResourceLink(Base):
    __tablename__ = "resource_link"
    __table_args__ = (UniqueConstraint("course_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(512))
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any] | None]
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
