"""The course newsfeed: staff profiles, introductions, news, replies, reactions and who saw what.

A post is an introduction (one per person per course: staff introduce themselves, students
too where the course allows it) or a news item. Its Markdown source is kept beside the
sanitised HTML made from it when it was written, so a feed page renders without re-parsing.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, utcnow
from lti_tool.models.person import Person


class PostKind(enum.StrEnum):
    INTRODUCTION = "introduction"  # a staff member's introduction, shown first
    NEWS = "news"
    STUDENT_INTRODUCTION = "student_introduction"

    @property
    def is_introduction(self) -> bool:
        return self is not PostKind.NEWS


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class StaffProfile(Base):
    """How a staff member presents themselves in one course (the name and picture come from
    the LMS on `Person`)."""

    __tablename__ = "staff_profile"
    __table_args__ = (UniqueConstraint("course_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    pronouns: Mapped[str | None] = mapped_column(String(40))
    role_title: Mapped[str | None] = mapped_column(String(80))
    bio: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)  # how and when to reach them
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Post(Base):
    __tablename__ = "post"
    __table_args__ = (
        # One introduction per person per course, deleted or not (a deleted one is restored).
        Index(
            "uq_post_one_introduction",
            "course_id",
            "author_id",
            unique=True,
            sqlite_where=text("kind != 'news'"),
            postgresql_where=text("kind != 'news'"),
        ),
        Index("ix_post_feed", "course_id", "kind", "pinned", "publish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PostKind] = mapped_column(_enum(PostKind))
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # A draft is never shown to students; otherwise the post appears at `publish_at`.
    draft: Mapped[bool] = mapped_column(default=False)
    publish_at: Mapped[datetime] = mapped_column(default=utcnow)
    pinned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    author: Mapped[Person] = relationship(foreign_keys=[author_id], lazy="raise")

    def is_published(self, now: datetime) -> bool:
        return not self.draft and self.deleted_at is None and self.publish_at <= now


class Reply(Base):
    """A reply under a post ("Say hello" under an introduction); staff can hide one."""

    __tablename__ = "post_reply"
    __table_args__ = (Index("ix_post_reply_post_id_created_at", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Reaction(Base):
    __tablename__ = "post_reaction"
    __table_args__ = (UniqueConstraint("post_id", "person_id", "reaction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    reaction: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostView(Base):
    """The first time a person was shown a published post: staff's "seen by" lists."""

    __tablename__ = "post_view"
    __table_args__ = (
        UniqueConstraint("post_id", "person_id"),
        Index("ix_post_view_post_id_seen_at", "post_id", "seen_at"),  # "seen by", first first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
