"""How many of a course's active students were shown each post: the one count behind every
"seen by n of m" (the home, a post's page, the introductions and the who-has-seen-it list)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from lti_tool.models import Membership, Post, PostView
from lti_tool.models.course import CourseRole
from lti_tool.services.entry import Ident


def active_students(course_id: Ident) -> list[ColumnElement[bool]]:
    return [
        Membership.course_id == course_id,
        Membership.role == CourseRole.STUDENT,
        Membership.active.is_(True),
    ]


@dataclass(frozen=True)
class SeenCounts:
    students: int  # the course's active students
    seen: dict[int, int]  # by post id: how many of them were shown the post


def seen_counts(session: Session, course_id: int, post_ids: Sequence[int]) -> SeenCounts:
    """The one count behind every "seen by n of m": how many of the course's active students
    were shown each post, and how many active students there are, in one query. The home, a
    post's page, the introductions and the who-has-seen-it list all read it here, so they
    cannot disagree (they did when the home took its m from the course's head count and the
    other pages each counted their own)."""
    if not post_ids:
        return SeenCounts(int(session.scalar(_STUDENTS, {"course_id": course_id}) or 0), {})
    rows = session.execute(_SEEN, {"course_id": course_id, "post_ids": list(post_ids)}).all()
    total = int(rows[0][2]) if rows else 0
    return SeenCounts(total, {post_id: int(seen) for post_id, seen, _ in rows})


def _seen_statements() -> tuple[Select[Any], Select[Any]]:
    """`seen_counts`' two statements (a course's active students; each post's views by them),
    built once with the course and the posts as parameters."""
    course = bindparam("course_id", type_=Integer)
    students = select(func.count()).select_from(Membership).where(*active_students(course))
    shown = (
        select(PostView.post_id, func.count().label("seen"))
        .join(Membership, Membership.person_id == PostView.person_id)
        .where(PostView.post_id.in_(bindparam("post_ids", expanding=True)))
        .where(*active_students(course))
        .group_by(PostView.post_id)
        .subquery()
    )
    seen = (
        select(Post.id, func.coalesce(shown.c.seen, 0), students.scalar_subquery())
        .outerjoin(shown, shown.c.post_id == Post.id)
        .where(Post.id.in_(bindparam("post_ids", expanding=True)))
    )
    return students, seen


_STUDENTS, _SEEN = _seen_statements()
