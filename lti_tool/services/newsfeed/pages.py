"""The newsfeed's other pages: the introductions (the course team's, then the students'), one
post with all its replies, who on the roster has seen a post, and the deleted posts staff can
restore. Each decorates its posts with `feed.PostDecorator`, so each costs the same few queries
at any course size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import Course, Membership, Person, Post, PostKind, PostView
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import course_settings
from lti_tool.services.newsfeed import settings as options
from lti_tool.services.newsfeed.feed import (
    DELETED_SHOWN,
    INTRODUCTIONS_PAGE_SIZE,
    REPLIES_IN_FEED,
    REPLIES_ON_POST_PAGE,
    PostDecorator,
    ShownPost,
    course_of,
    own_introduction_among,
    published,
)
from lti_tool.services.newsfeed.rules import (
    can_hide_reply,
    can_see_who_saw,
    can_write_introduction,
)
from lti_tool.services.newsfeed.seen import active_students, seen_counts
from lti_tool.services.newsfeed.service import PostRefused, post_in_course, visible_post
from lti_tool.services.roster.people import sort_name

SEEN_PAGE_SIZE = 100  # names on a page of each side of "who has seen it"


@dataclass(frozen=True)
class IntroductionsPage:
    course: Course
    grant: CourseGrant
    staff: list[ShownPost]
    students: list[ShownPost]
    page: int
    has_more: bool
    can_write_introduction: bool
    own: Post | None
    student_introductions_open: bool


def introductions_page(
    session: Session,
    grant: CourseGrant,
    now: datetime,
    page: int = 1,
    settings: Mapping[str, Any] | None = None,
    student_count: int | None = None,
) -> IntroductionsPage:
    """The course team's introductions, then the students' own, newest first. The course's
    settings, when the caller read them already."""
    course = course_of(session, grant)
    if settings is None:
        settings = course_settings(session, grant.course_id)
    page = max(1, page)
    in_course = Post.course_id == grant.course_id
    visible: list[ColumnElement[bool]] = [in_course]
    if not grant.is_staff:
        visible.append(published(now))
    else:
        visible.append(Post.deleted_at.is_(None))
    staff = session.scalars(
        select(Post)
        .where(*visible, Post.kind == PostKind.INTRODUCTION)
        .order_by(Post.publish_at, Post.id)
    ).all()
    students = session.scalars(
        select(Post)
        .where(*visible, Post.kind == PostKind.STUDENT_INTRODUCTION)
        .order_by(Post.publish_at.desc(), Post.id.desc())
        .offset((page - 1) * INTRODUCTIONS_PAGE_SIZE)
        .limit(INTRODUCTIONS_PAGE_SIZE + 1)
    ).all()
    shown = PostDecorator(session, grant, settings, now).shown(
        [*staff, *students[:INTRODUCTIONS_PAGE_SIZE]], REPLIES_IN_FEED
    )
    writes = can_write_introduction(grant, settings)
    return IntroductionsPage(
        course=course,
        grant=grant,
        staff=shown[: len(staff)],
        students=shown[len(staff) :],
        page=page,
        has_more=len(students) > INTRODUCTIONS_PAGE_SIZE,
        can_write_introduction=writes,
        own=own_introduction_among(session, grant, [*staff, *students])
        if writes or grant.is_student
        else None,
        student_introductions_open=bool(settings[options.STUDENT_INTRODUCTIONS]),
    )


@dataclass(frozen=True)
class PostPage:
    course: Course
    grant: CourseGrant
    shown: ShownPost
    can_hide_replies: bool


def post_page(session: Session, grant: CourseGrant, post_id: int, now: datetime) -> PostPage:
    """One post with all its replies (up to REPLIES_ON_POST_PAGE, the latest)."""
    course = course_of(session, grant)
    post = visible_post(session, grant, post_id, now)
    settings = course_settings(session, grant.course_id)
    (shown,) = PostDecorator(session, grant, settings, now).shown([post], REPLIES_ON_POST_PAGE)
    return PostPage(course, grant, shown, can_hide_reply(grant))


@dataclass(frozen=True)
class SeenEntry:
    person_id: int
    name: str
    seen_at: datetime | None


@dataclass(frozen=True)
class SeenList:
    course: Course
    post: Post
    seen: list[SeenEntry]  # one page of them, first seen first
    not_seen: list[SeenEntry]  # one page of them, by name
    seen_total: int
    not_seen_total: int
    seen_page: int
    not_seen_page: int

    @property
    def students(self) -> int:
        return self.seen_total + self.not_seen_total

    @property
    def seen_pages(self) -> int:
        return max(1, -(-self.seen_total // SEEN_PAGE_SIZE))

    @property
    def not_seen_pages(self) -> int:
        return max(1, -(-self.not_seen_total // SEEN_PAGE_SIZE))


def seen_list(
    session: Session, grant: CourseGrant, post_id: int, seen_page: int = 1, not_seen_page: int = 1
) -> SeenList:
    """The course's active students, split by whether the post was shown to them: how many on
    each side (`seen_counts`, as every "seen by" reads them: one query), and a page of each
    (one query each, none for an empty side)."""
    if not can_see_who_saw(grant):
        raise PostRefused(403, _("Only the course's staff see who has read a post."))
    course = course_of(session, grant)
    post = post_in_course(session, grant, post_id)
    viewed = (PostView.person_id == Membership.person_id) & (PostView.post_id == post.id)
    students = (
        select(Person, PostView.seen_at)
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(PostView, viewed)
        .where(*active_students(grant.course_id))
    )
    counts = seen_counts(session, grant.course_id, [post.id])
    seen_total = counts.seen.get(post.id, 0)
    not_seen_total = counts.students - seen_total
    seen_page = min(max(1, seen_page), max(1, -(-int(seen_total) // SEEN_PAGE_SIZE)))
    not_seen_page = min(max(1, not_seen_page), max(1, -(-not_seen_total // SEEN_PAGE_SIZE)))

    def page(where: ColumnElement[bool], number: int, *order: Any) -> list[SeenEntry]:
        rows = session.execute(
            students.where(where)
            .order_by(*order, Person.id)
            .limit(SEEN_PAGE_SIZE)
            .offset((number - 1) * SEEN_PAGE_SIZE)
        )
        return [SeenEntry(p.id, p.name_as("Student"), seen_at) for p, seen_at in rows]

    return SeenList(
        course=course,
        post=post,
        seen=page(PostView.id.is_not(None), seen_page, PostView.seen_at) if seen_total else [],
        not_seen=page(PostView.id.is_(None), not_seen_page, sort_name()) if not_seen_total else [],
        seen_total=int(seen_total),
        not_seen_total=not_seen_total,
        seen_page=seen_page,
        not_seen_page=not_seen_page,
    )


@dataclass(frozen=True)
class DeletedPosts:
    course: Course
    posts: list[ShownPost]


def deleted_posts(session: Session, grant: CourseGrant, now: datetime) -> DeletedPosts:
    """Staff: the latest deleted posts of the course, each restorable."""
    if not grant.is_staff:
        raise PostRefused(403, _("Only the course's staff see deleted posts."))
    course = course_of(session, grant)
    posts = session.scalars(
        select(Post)
        .where(Post.course_id == grant.course_id, Post.deleted_at.is_not(None))
        .order_by(Post.deleted_at.desc(), Post.id.desc())
        .limit(DELETED_SHOWN)
    ).all()
    settings = course_settings(session, grant.course_id)
    return DeletedPosts(course, PostDecorator(session, grant, settings, now).shown(posts, 0))


def not_seen_ids(session: Session, grant: CourseGrant, post_id: int, limit: int) -> list[int]:
    """The active students the post has not been shown to, by name, at most `limit`: whom
    "write to the students who have not seen it" preselects. One query."""
    if not can_see_who_saw(grant):
        raise PostRefused(403, _("Only the course's staff see who has read a post."))
    post = post_in_course(session, grant, post_id)
    viewed = (PostView.person_id == Person.id) & (PostView.post_id == post.id)
    return list(
        session.scalars(
            select(Person.id)
            .join(Membership, Membership.person_id == Person.id)
            .outerjoin(PostView, viewed)
            .where(*active_students(grant.course_id), PostView.id.is_(None))
            .order_by(sort_name(), Person.id)
            .limit(limit)
        )
    )
