"""The newsfeed's rules without Flask or a database: every `can_*` in
`lti_tool.services.newsfeed.rules` as a table of roles (staff, student, guest) by what they
try, on posts built in memory in each state (published, scheduled, draft, deleted, another
course's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lti_tool.models import Post, PostKind
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.newsfeed import rules as newsfeed_rules
from lti_tool.services.newsfeed.rules import (
    can_delete_post,
    can_edit_post,
    can_hide_reply,
    can_pin_post,
    can_react,
    can_read_feed,
    can_reply,
    can_restore_post,
    can_see_post,
    can_see_who_saw,
    can_write_introduction,
    can_write_news,
)
from lti_tool.services.newsfeed.settings import REACTIONS, REPLIES, STUDENT_INTRODUCTIONS

NOW = datetime(2027, 1, 25, 12, 0, tzinfo=UTC)
COURSE, ANOTHER_COURSE = 7, 8
ME, COLLEAGUE, CLASSMATE = 100, 101, 102  # ME holds the grant, in whichever role
ROLES = ("staff", "student", "guest")

ALL_OPEN = {REPLIES: True, REACTIONS: True, STUDENT_INTRODUCTIONS: True}
ALL_CLOSED = {REPLIES: False, REACTIONS: False, STUDENT_INTRODUCTIONS: False}
ONLY_REPLIES = {**ALL_CLOSED, REPLIES: True}
ONLY_REACTIONS = {**ALL_CLOSED, REACTIONS: True}


def grant(role: str, course_id: int = COURSE) -> CourseGrant:
    return CourseGrant(course_id=course_id, person_id=ME, role=CourseRole(role))


def post(
    kind: PostKind = PostKind.NEWS,
    author: int = COLLEAGUE,
    course: int = COURSE,
    draft: bool = False,
    publish_at: datetime = NOW - timedelta(hours=1),
    deleted: bool = False,
) -> Post:
    return Post(
        course_id=course,
        author_id=author,
        kind=kind,
        title="Exam dates" if kind is PostKind.NEWS else None,
        body="The exam is in May.",
        draft=draft,
        publish_at=publish_at,
        deleted_at=NOW - timedelta(minutes=5) if deleted else None,
        pinned=False,
    )


NEWS = post()
SCHEDULED = post(publish_at=NOW + timedelta(hours=1))
DRAFT = post(draft=True)
DELETED = post(deleted=True)
ELSEWHERE = post(course=ANOTHER_COURSE)
ELSEWHERE_DELETED = post(course=ANOTHER_COURSE, deleted=True)
COLLEAGUES_INTRODUCTION = post(PostKind.INTRODUCTION)
CLASSMATES_INTRODUCTION = post(PostKind.STUDENT_INTRODUCTION, author=CLASSMATE)


def own_introduction(g: CourseGrant, **changes: Any) -> Post:
    """The grant holder's own introduction: a staff one for staff, a student one otherwise."""
    kind = PostKind.INTRODUCTION if g.is_staff else PostKind.STUDENT_INTRODUCTION
    return post(kind, author=g.person_id, **changes)


Y, N = True, False
Rule = Callable[[CourseGrant], bool]

# What each role may do:                                                   staff student guest
RULES: dict[str, tuple[Rule, tuple[bool, bool, bool]]] = {
    "read the feed": (can_read_feed, (Y, Y, Y)),
    "write news": (can_write_news, (Y, N, N)),
    "introduce oneself, student introductions on": (
        lambda g: can_write_introduction(g, ALL_OPEN), (Y, Y, N)),
    "introduce oneself, student introductions off": (
        lambda g: can_write_introduction(g, ALL_CLOSED), (Y, N, N)),
    "see published news": (lambda g: can_see_post(g, NEWS, NOW), (Y, Y, Y)),
    "see scheduled news": (lambda g: can_see_post(g, SCHEDULED, NOW), (Y, N, N)),
    "see a draft": (lambda g: can_see_post(g, DRAFT, NOW), (Y, N, N)),
    "see a deleted post": (lambda g: can_see_post(g, DELETED, NOW), (Y, N, N)),
    "see a classmate's introduction": (
        lambda g: can_see_post(g, CLASSMATES_INTRODUCTION, NOW), (Y, Y, Y)),
    "see another course's news": (lambda g: can_see_post(g, ELSEWHERE, NOW), (N, N, N)),
    "edit a colleague's news": (lambda g: can_edit_post(g, NEWS), (Y, N, N)),
    "edit scheduled news": (lambda g: can_edit_post(g, SCHEDULED), (Y, N, N)),
    "edit a draft": (lambda g: can_edit_post(g, DRAFT), (Y, N, N)),
    "edit deleted news": (lambda g: can_edit_post(g, DELETED), (N, N, N)),
    "edit another course's news": (lambda g: can_edit_post(g, ELSEWHERE), (N, N, N)),
    "edit one's own introduction": (lambda g: can_edit_post(g, own_introduction(g)), (Y, Y, N)),
    "edit one's own introduction once deleted": (
        lambda g: can_edit_post(g, own_introduction(g, deleted=True)), (N, N, N)),
    "edit a colleague's introduction": (
        lambda g: can_edit_post(g, COLLEAGUES_INTRODUCTION), (N, N, N)),
    "edit a classmate's introduction": (
        lambda g: can_edit_post(g, CLASSMATES_INTRODUCTION), (N, N, N)),
    "delete news": (lambda g: can_delete_post(g, NEWS), (Y, N, N)),
    "delete a draft": (lambda g: can_delete_post(g, DRAFT), (Y, N, N)),
    "delete one's own introduction": (
        lambda g: can_delete_post(g, own_introduction(g)), (Y, Y, N)),
    "delete a classmate's introduction": (
        lambda g: can_delete_post(g, CLASSMATES_INTRODUCTION), (Y, N, N)),
    "delete a post already deleted": (lambda g: can_delete_post(g, DELETED), (N, N, N)),
    "delete another course's news": (lambda g: can_delete_post(g, ELSEWHERE), (N, N, N)),
    "restore a deleted post": (lambda g: can_restore_post(g, DELETED), (Y, N, N)),
    "restore a post that is not deleted": (lambda g: can_restore_post(g, NEWS), (N, N, N)),
    "restore another course's deleted post": (
        lambda g: can_restore_post(g, ELSEWHERE_DELETED), (N, N, N)),
    "pin news": (lambda g: can_pin_post(g, NEWS), (Y, N, N)),
    "pin an introduction": (lambda g: can_pin_post(g, COLLEAGUES_INTRODUCTION), (N, N, N)),
    "pin another course's news": (lambda g: can_pin_post(g, ELSEWHERE), (N, N, N)),
    "reply, replies on": (lambda g: can_reply(g, NEWS, ALL_OPEN, NOW), (Y, Y, N)),
    "reply, only replies on": (lambda g: can_reply(g, NEWS, ONLY_REPLIES, NOW), (Y, Y, N)),
    "reply, replies off": (lambda g: can_reply(g, NEWS, ONLY_REACTIONS, NOW), (N, N, N)),
    "reply to a classmate's introduction": (
        lambda g: can_reply(g, CLASSMATES_INTRODUCTION, ALL_OPEN, NOW), (Y, Y, N)),
    "reply to scheduled news": (lambda g: can_reply(g, SCHEDULED, ALL_OPEN, NOW), (N, N, N)),
    "reply to a draft": (lambda g: can_reply(g, DRAFT, ALL_OPEN, NOW), (N, N, N)),
    "reply to a deleted post": (lambda g: can_reply(g, DELETED, ALL_OPEN, NOW), (N, N, N)),
    "reply to another course's news": (
        lambda g: can_reply(g, ELSEWHERE, ALL_OPEN, NOW), (N, N, N)),
    "react, reactions on": (lambda g: can_react(g, NEWS, ALL_OPEN, NOW), (Y, Y, N)),
    "react, only reactions on": (lambda g: can_react(g, NEWS, ONLY_REACTIONS, NOW), (Y, Y, N)),
    "react, reactions off": (lambda g: can_react(g, NEWS, ONLY_REPLIES, NOW), (N, N, N)),
    "react to scheduled news": (lambda g: can_react(g, SCHEDULED, ALL_OPEN, NOW), (N, N, N)),
    "react to a draft": (lambda g: can_react(g, DRAFT, ALL_OPEN, NOW), (N, N, N)),
    "react to a deleted post": (lambda g: can_react(g, DELETED, ALL_OPEN, NOW), (N, N, N)),
    "react to another course's news": (
        lambda g: can_react(g, ELSEWHERE, ALL_OPEN, NOW), (N, N, N)),
    "hide a reply": (can_hide_reply, (Y, N, N)),
    "see who has seen a post": (can_see_who_saw, (Y, N, N)),
}  # fmt: skip
CELLS = [
    pytest.param(rule, role, allowed, id=f"{role} may {rule}: {allowed}")
    for rule, (_, row) in RULES.items()
    for role, allowed in zip(ROLES, row, strict=True)
]


@pytest.mark.parametrize(("rule", "role", "allowed"), CELLS)
def test_each_role_gets_what_the_rules_table_says(rule: str, role: str, allowed: bool) -> None:
    check, _ = RULES[rule]
    assert check(grant(role)) is allowed


def test_every_rule_of_the_newsfeed_is_in_the_table() -> None:
    named = {
        can_delete_post, can_edit_post, can_hide_reply, can_pin_post, can_react, can_read_feed,
        can_reply, can_restore_post, can_see_post, can_see_who_saw, can_write_introduction,
        can_write_news,
    }  # fmt: skip
    rules = {value for name, value in vars(newsfeed_rules).items() if name.startswith("can_")}
    assert rules == named


@pytest.mark.parametrize("role", ROLES)
def test_a_post_of_another_course_is_never_visible_editable_or_deletable(role: str) -> None:
    """Not even one's own introduction there, nor for staff, in any state, with every option
    on: a grant speaks for its own course only."""
    g = grant(role)
    states = [
        post(course=ANOTHER_COURSE, **state)
        for state in ({}, {"draft": True}, {"publish_at": NOW + timedelta(days=1)})
    ]
    states += [own_introduction(g, course=ANOTHER_COURSE), ELSEWHERE_DELETED]
    for other in states:
        assert not can_see_post(g, other, NOW)
        assert not can_edit_post(g, other)
        assert not can_delete_post(g, other)
        assert not can_restore_post(g, other)
        assert not can_pin_post(g, other)
        assert not can_reply(g, other, ALL_OPEN, NOW)
        assert not can_react(g, other, ALL_OPEN, NOW)


def test_a_scheduled_post_appears_to_students_at_its_time_exactly() -> None:
    student = grant("student")
    at_nine = post(publish_at=NOW)
    assert not can_see_post(student, at_nine, NOW - timedelta(microseconds=1))
    assert not can_reply(student, at_nine, ALL_OPEN, NOW - timedelta(microseconds=1))
    assert can_see_post(student, at_nine, NOW)
    assert can_reply(student, at_nine, ALL_OPEN, NOW)
    assert can_react(student, at_nine, ALL_OPEN, NOW)


def test_a_draft_stays_hidden_from_students_whatever_its_time() -> None:
    student = grant("student")
    long_ago = post(draft=True, publish_at=NOW - timedelta(days=365))
    assert not can_see_post(student, long_ago, NOW)
    assert can_see_post(grant("staff"), long_ago, NOW)
