"""Who may do what in a course's newsfeed, over real launches: the issue's table of roles by
actions, each cell checked by its HTTP answer and by what it did (or did not) change; then ids
carried from one course into another, and students' own introductions."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from lti_tool.models import Post, PostKind, Reaction, Reply
from lti_tool.services.course_settings import COURSE_TIME_ZONE, course_settings
from lti_tool.services.feedback.settings import STUDENTS_START
from lti_tool.services.newsfeed.settings import REACTIONS, REPLIES, STUDENT_INTRODUCTIONS
from lti_tool.services.settings_changes import recent_changes
from tests.conftest import (
    RunningTool,
    running_tool,
    state,
)
from tests.newsfeed_flow import MENTOR, Clock, Visitor, enter, teacher, use_clock, write_news
from tests.platform import LEARNER

# 200: the page was shown; 303: done, and redirected back; 403: refused, nothing changed.
# "another course" is the staff member of course B, in a browser that launched into B only,
# trying course A's URLs with course A's ids. "no session" is a browser that never launched: it
# holds no CSRF token, so the CSRF check refuses its forms first (400, checked too); the cells
# say what the grant check answers once CSRF is out of the way.
EXPECTED: dict[str, dict[str, int]] = {
    "staff": {
        "read": 200, "post": 303, "schedule": 303, "edit": 303, "delete": 303,
        "reply": 303, "react": 303, "hide": 303, "settings": 303,
    },
    # A teaching assistant posts, moderates replies and edits their own news, but neither
    # edits nor deletes the instructor's post, nor changes the course's settings.
    "teaching assistant": {
        "read": 200, "post": 303, "schedule": 303, "edit": 403, "delete": 403,
        "reply": 303, "react": 303, "hide": 303, "settings": 403,
    },
    "student": {
        "read": 200, "post": 403, "schedule": 403, "edit": 403, "delete": 403,
        "reply": 303, "react": 303, "hide": 403, "settings": 403,
    },
    "another course": {
        "read": 403, "post": 403, "schedule": 403, "edit": 403, "delete": 403,
        "reply": 403, "react": 403, "hide": 403, "settings": 403,
    },
    "mentor": {
        "read": 200, "post": 403, "schedule": 403, "edit": 403, "delete": 403,
        "reply": 403, "react": 403, "hide": 403, "settings": 403,
    },
    "no session": {
        "read": 403, "post": 403, "schedule": 403, "edit": 403, "delete": 403,
        "reply": 403, "react": 403, "hide": 403, "settings": 403,
    },
}  # fmt: skip
# 6 roles, 9 actions: 54 cells.
TEACHING_ASSISTANT = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
)
CELLS = [(role, action) for role, row in EXPECTED.items() for action in row]


@pytest.fixture(scope="module")
def rapport(tmp_path_factory: pytest.TempPathFactory, db_templates: Path) -> Iterator[RunningTool]:
    """One running Rapport for this module; every test works in courses of its own."""
    with running_tool(tmp_path_factory.mktemp("rapport"), db_templates) as running:
        use_clock(running.app, Clock())
        yield running


@dataclass
class Browser:
    """One person's browser aimed at course A, with the CSRF token of its own session."""

    visitor: Visitor
    token: str | None

    def open(self, path: str = "") -> requests.Response:
        return self.visitor.get(path)

    def send(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        body = dict(data or {})
        if self.token:
            body["csrf_token"] = self.token
        return self.visitor.post(path, body, csrf=False)


@dataclass
class CourseA:
    """A course of its own for one test: a staff member's published news with one reply."""

    rapport: RunningTool
    context: str
    staff: Visitor
    news_id: int
    reply_id: int

    @property
    def app(self) -> Flask:
        return self.rapport.app

    @property
    def id(self) -> int:
        return int(self.staff.course.strip("/").split("/")[1])

    def enter(self, sub: str, role: str = LEARNER, **claims: Any) -> Visitor:
        rapport = self.rapport
        return enter(rapport.platform, rapport.url, sub, role, context=self.context, **claims)

    def student_introduction_id(self) -> int:
        """The course's one student introduction (tests here have one student write one)."""
        kind = Post.kind == PostKind.STUDENT_INTRODUCTION
        return id_of(self.app, Post, Post.course_id == self.id, kind)

    def course_b_staff(self) -> Visitor:
        rapport = self.rapport
        return teacher(rapport.platform, rapport.url, "other-teacher", context=self.context + "-b")


def row(app: Flask, model: type[Any], ident: int) -> Any:
    with state(app).sessions() as session:
        found = session.get(model, ident)
        assert found is not None
        return found


def id_of(app: Flask, model: type[Any], *where: Any) -> int:
    with state(app).sessions() as session:
        found = session.scalar(select(model.id).where(*where))
        assert found is not None
        return int(found)


def count(app: Flask, model: type[Any], *where: Any) -> int:
    with state(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def course_a(rapport: RunningTool) -> CourseA:
    context = f"course-{uuid.uuid4().hex[:8]}"
    staff = teacher(rapport.platform, rapport.url, context=context)
    news_id = write_news(staff, "Exam dates", "The exam is in May.")
    replied = staff.post(f"posts/{news_id}/replies", {"body": "Ask me anything."})
    assert replied.status_code == 303
    reply_id = id_of(rapport.app, Reply, Reply.post_id == news_id)
    return CourseA(rapport, context, staff, news_id, reply_id)


def browser_of(role: str, course: CourseA) -> Browser:
    if role == "staff":
        return Browser(course.staff, course.staff.csrf())
    if role == "teaching assistant":
        person = course.enter("ta", TEACHING_ASSISTANT)
        assert person.course == course.staff.course
        return Browser(person, person.csrf())
    if role in ("student", "mentor"):
        person = course.enter(role, MENTOR if role == "mentor" else LEARNER)
        assert person.course == course.staff.course
        return Browser(person, person.csrf())
    if role == "another course":
        own = course.course_b_staff()
        assert own.course != course.staff.course
        return Browser(Visitor(own.url, own.http, course.staff.course), own.csrf())
    return Browser(Visitor(course.rapport.url, requests.Session(), course.staff.course), None)


# Each action: how a browser attempts it, and whether it took effect afterwards.
Attempt = Callable[[Browser, CourseA], requests.Response]
TookEffect = Callable[[CourseA, requests.Response], bool]

NEW_SETTINGS = {
    COURSE_TIME_ZONE: "Asia/Tokyo",
    REPLIES: "on",
    REACTIONS: "on",
    STUDENT_INTRODUCTIONS: "on",
    STUDENTS_START: "on",
}
SCHEDULED = {
    "title": "Later",
    "body": "x",
    "when": "schedule",
    "publish_at": "2027-02-01T09:00",
    "tz": "UTC",
}


def _news_titled(title: str) -> TookEffect:
    return lambda c, _: count(c.app, Post, Post.course_id == c.id, Post.title == title) == 1


def _settings_changed(c: CourseA, _: requests.Response) -> bool:
    with state(c.app).sessions() as session:
        zone = course_settings(session, c.id)[COURSE_TIME_ZONE]
        changes = len(recent_changes(session, c.id))
    return zone == "Asia/Tokyo" and changes == 1


ACTION_STEPS: dict[str, tuple[Attempt, TookEffect]] = {
    "read": (
        lambda b, _: b.open(),
        lambda _, shown: "Exam dates" in shown.text and "Ask me anything." in shown.text,
    ),
    "post": (
        lambda b, _: b.send("posts/new", {"title": "Breaking", "body": "x", "when": "now"}),
        _news_titled("Breaking"),
    ),
    "schedule": (lambda b, _: b.send("posts/new", SCHEDULED), _news_titled("Later")),
    "edit": (
        lambda b, c: b.send(
            f"posts/{c.news_id}/edit",
            {"title": "Exam dates", "body": "The exam is cancelled.", "when": "now"},
        ),
        lambda c, _: row(c.app, Post, c.news_id).body == "The exam is cancelled.",
    ),
    "delete": (
        lambda b, c: b.send(f"posts/{c.news_id}/delete"),
        lambda c, _: row(c.app, Post, c.news_id).deleted_at is not None,
    ),
    "reply": (
        lambda b, c: b.send(f"posts/{c.news_id}/replies", {"body": "Will it be online?"}),
        lambda c, _: count(c.app, Reply, Reply.post_id == c.news_id) == 2,
    ),
    "react": (
        lambda b, c: b.send(f"posts/{c.news_id}/reactions", {"reaction": "thanks"}),
        lambda c, _: count(c.app, Reaction, Reaction.post_id == c.news_id) == 1,
    ),
    "hide": (
        lambda b, c: b.send(f"replies/{c.reply_id}/hide", {"hidden": "1"}),
        lambda c, _: row(c.app, Reply, c.reply_id).hidden_at is not None,
    ),
    "settings": (lambda b, _: b.send("settings", NEW_SETTINGS), _settings_changed),
}


@pytest.mark.parametrize(("role", "action"), CELLS)
def test_each_role_may_do_exactly_what_the_table_says(
    course_a: CourseA, monkeypatch: pytest.MonkeyPatch, role: str, action: str
) -> None:
    attempt, took_effect = ACTION_STEPS[action]
    expected = EXPECTED[role][action]
    browser = browser_of(role, course_a)
    if role == "no session" and action != "read":
        refused = attempt(browser, course_a)
        assert refused.status_code == 400, "a form without a session's CSRF token"
        assert not took_effect(course_a, refused)
        monkeypatch.setitem(course_a.app.config, "WTF_CSRF_ENABLED", False)  # only grants decide
    response = attempt(browser, course_a)
    assert response.status_code == expected, response.text[:300]
    assert took_effect(course_a, response) is (expected != 403)


# -- ids from course A used through course B's URLs -------------------------------------------


@dataclass
class TwoCourses:
    a: CourseA
    deleted_id: int  # a deleted news of course A
    intruder: Browser  # staff of course B, on course B's URLs


@pytest.fixture
def two_courses(course_a: CourseA) -> TwoCourses:
    deleted_id = write_news(course_a.staff, "Old news")
    assert course_a.staff.post(f"posts/{deleted_id}/delete").status_code == 303
    elsewhere = course_a.course_b_staff()
    assert write_news(elsewhere, "Course B's own news") > 0
    return TwoCourses(course_a, deleted_id, Browser(elsewhere, elsewhere.csrf()))


def _course_a_unchanged(c: TwoCourses) -> bool:
    app = c.a.app
    news, old = row(app, Post, c.a.news_id), row(app, Post, c.deleted_id)
    return (
        news.body == "The exam is in May."
        and news.deleted_at is None
        and not news.pinned
        and old.deleted_at is not None
        and row(app, Reply, c.a.reply_id).hidden_at is None
        and count(app, Reply, Reply.post_id == c.a.news_id) == 1
        and count(app, Reaction, Reaction.post_id == c.a.news_id) == 0
    )


IDOR: dict[str, Callable[[Browser, TwoCourses], requests.Response]] = {
    "read": lambda b, c: b.open(f"posts/{c.a.news_id}"),
    "open the edit form": lambda b, c: b.open(f"posts/{c.a.news_id}/edit"),
    "edit": lambda b, c: b.send(
        f"posts/{c.a.news_id}/edit", {"title": "Mine now", "body": "x", "when": "now"}
    ),
    "delete": lambda b, c: b.send(f"posts/{c.a.news_id}/delete"),
    "restore": lambda b, c: b.send(f"posts/{c.deleted_id}/restore"),
    "pin": lambda b, c: b.send(f"posts/{c.a.news_id}/pin", {"pinned": "1"}),
    "reply": lambda b, c: b.send(f"posts/{c.a.news_id}/replies", {"body": "hi"}),
    "react": lambda b, c: b.send(f"posts/{c.a.news_id}/reactions", {"reaction": "like"}),
    "hide": lambda b, c: b.send(f"replies/{c.a.reply_id}/hide", {"hidden": "1"}),
    "seen": lambda b, c: b.open(f"posts/{c.a.news_id}/seen"),
}


@pytest.mark.parametrize("action", IDOR)
def test_an_id_from_another_course_is_not_found_through_ones_own_course(
    two_courses: TwoCourses, action: str
) -> None:
    response = IDOR[action](two_courses.intruder, two_courses)
    assert response.status_code == 404, response.text[:300]
    assert "Exam dates" not in response.text and "Ask me anything." not in response.text
    assert _course_a_unchanged(two_courses)


# -- students' own introductions ------------------------------------------------------------


def test_a_student_edits_and_deletes_their_own_introduction_but_not_a_classmates(
    course_a: CourseA,
) -> None:
    app = course_a.app
    amara = course_a.enter("amara", name="Amara Okafor")
    ben = course_a.enter("ben", name="Ben Adeyemi")
    assert amara.post("introduction", {"body": "Hi, I'm Amara from Lagos."}).status_code == 303
    intro_id = course_a.student_introduction_id()

    assert ben.get(f"posts/{intro_id}/edit").status_code == 403
    assert ben.post(f"posts/{intro_id}/edit", {"body": "Amara is not here."}).status_code == 403
    assert ben.post(f"posts/{intro_id}/delete").status_code == 403
    untouched = row(app, Post, intro_id)
    assert untouched.body == "Hi, I'm Amara from Lagos." and untouched.deleted_at is None

    assert amara.get(f"posts/{intro_id}/edit").status_code == 200
    edited = amara.post(f"posts/{intro_id}/edit", {"body": "Hi, I'm Amara, now in Leeds."})
    assert edited.status_code == 303
    assert "now in Leeds" in ben.text("introductions")
    assert amara.post(f"posts/{intro_id}/delete").status_code == 303
    assert row(app, Post, intro_id).deleted_at is not None
    assert "now in Leeds" not in ben.text("introductions")


def test_staff_remove_a_students_introduction_and_restore_it(course_a: CourseA) -> None:
    app, staff = course_a.app, course_a.staff
    amara = course_a.enter("amara", name="Amara Okafor")
    assert amara.post("introduction", {"body": "Buy cheap essays here!"}).status_code == 303
    intro_id = course_a.student_introduction_id()

    assert staff.post(f"posts/{intro_id}/delete").status_code == 303
    removed = row(app, Post, intro_id)
    assert removed.deleted_at is not None and removed.body == "Buy cheap essays here!"
    assert "Buy cheap essays" not in amara.text("introductions")
    assert amara.get(f"posts/{intro_id}").status_code == 404
    assert "Buy cheap essays" in staff.text("posts/deleted")
    # Removed by staff: its author can neither edit it back nor write it again.
    assert amara.post(f"posts/{intro_id}/edit", {"body": "Back!"}).status_code == 403
    assert amara.post("introduction", {"body": "Back again!"}).status_code == 403
    assert row(app, Post, intro_id).body == "Buy cheap essays here!"

    assert staff.post(f"posts/{intro_id}/restore").status_code == 303
    assert row(app, Post, intro_id).deleted_at is None
    assert "Buy cheap essays" in amara.text("introductions")
