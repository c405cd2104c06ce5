"""The course newsfeed's rules: who may read the feed and its posts, write news and
introductions, edit, delete, restore and pin posts, reply, react, hide replies and see who saw a
post.

Every permission is a function named for its rule and takes the grant of *this* course, so a
post of another course is never allowed. Staff write news and their introduction, schedule, pin,
edit, delete and restore; students read what is published and, where the course allows it,
reply, react and introduce themselves. Mentors and other guests read only. `service` and
`replies` write under these rules; `feed` and `pages` show what they allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lti_tool.models import Post, PostKind
from lti_tool.services.access import CourseGrant
from lti_tool.services.newsfeed import settings as options


def can_read_feed(grant: CourseGrant) -> bool:
    """Everyone in the course, mentors included: the feed is public to the course."""
    return grant.course_id > 0


def can_write_news(grant: CourseGrant) -> bool:
    return grant.is_staff


def can_write_introduction(grant: CourseGrant, settings: Mapping[str, Any]) -> bool:
    if grant.is_staff:
        return True
    return grant.is_student and bool(settings[options.STUDENT_INTRODUCTIONS])


def can_see_post(grant: CourseGrant, post: Post, now: datetime) -> bool:
    """Students and guests see what is published; staff also see drafts, scheduled and deleted
    posts of their course."""
    if post.course_id != grant.course_id:
        return False
    return grant.is_staff or post.is_published(now)


def can_edit_post(grant: CourseGrant, post: Post) -> bool:
    """An introduction by its author only; news by its author or an instructor (a teaching
    assistant edits their own news, not the instructor's)."""
    if post.course_id != grant.course_id or post.deleted_at is not None:
        return False
    own = post.author_id == grant.person_id
    if post.kind is PostKind.NEWS:
        return grant.is_instructor or (grant.is_staff and own)
    return own and (grant.is_staff or grant.is_student)


def can_delete_post(grant: CourseGrant, post: Post) -> bool:
    """Instructors delete any post of their course (softly); a teaching assistant or a
    student their own."""
    if post.course_id != grant.course_id or post.deleted_at is not None:
        return False
    if grant.is_instructor:
        return True
    return (grant.is_staff or grant.is_student) and post.author_id == grant.person_id


def can_restore_post(grant: CourseGrant, post: Post) -> bool:
    """Staff who could have deleted it: an instructor any post, a teaching assistant their own
    (seen: a teaching assistant undoing the instructor's deletion)."""
    if post.course_id != grant.course_id or post.deleted_at is None or not grant.is_staff:
        return False
    return grant.is_instructor or post.author_id == grant.person_id


def can_pin_post(grant: CourseGrant, post: Post) -> bool:
    return grant.is_staff and post.course_id == grant.course_id and post.kind is PostKind.NEWS


def _takes_part(grant: CourseGrant) -> bool:
    return grant.is_staff or grant.is_student


def can_reply(grant: CourseGrant, post: Post, settings: Mapping[str, Any], now: datetime) -> bool:
    return (
        bool(settings[options.REPLIES])
        and _takes_part(grant)
        and post.course_id == grant.course_id
        and post.is_published(now)
    )


def can_react(grant: CourseGrant, post: Post, settings: Mapping[str, Any], now: datetime) -> bool:
    return (
        bool(settings[options.REACTIONS])
        and _takes_part(grant)
        and post.course_id == grant.course_id
        and post.is_published(now)
    )


def can_hide_reply(grant: CourseGrant) -> bool:
    return grant.is_staff


def can_see_who_saw(grant: CourseGrant) -> bool:
    return grant.is_staff
