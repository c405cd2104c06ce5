"""The course settings page over real HTTP after real launches: staff change options and see who
changed what; everyone else is refused and nothing changes."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import Course
from lti_tool.services import course_settings as cs
from lti_tool.services.course_settings import COURSE_TIME_ZONE, SettingSpec, course_settings
from lti_tool.services.feedback.settings import ALL_STAFF, VISIBILITY
from lti_tool.services.newsfeed.settings import REACTIONS, REPLIES, STUDENT_INTRODUCTIONS
from lti_tool.services.settings_changes import recent_changes
from tests.conftest import state
from tests.functional.roster.test_roster import course_path, csrf_token
from tests.newsfeed_flow import enter, teacher
from tests.platform import INSTRUCTOR, LEARNER, LTI

ROLES = LTI + "roles"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
GOAL = SettingSpec(
    key="test.contact_goal",
    feature="Relationships",
    label="Contact goal",
    help="Every student hears from a person within this many days.",
    default=14,
    kind="int",
    minimum=1,
    maximum=90,
)


def launch(platform: Any, browser: requests.Session, url: str, role: str, **claims: Any) -> str:
    """Launch as `role`; the course's settings URL."""
    claims.setdefault("sub", "teacher" if role == INSTRUCTOR else "someone-" + role[-6:])
    response = platform.full_launch(browser, url, **{ROLES: [role]}, **claims)
    assert response.status_code == 303, response.text
    return url + course_path(response) + "settings"


@pytest.fixture
def settings_url(tool: Any, platform: Any, browser: requests.Session) -> str:
    """The settings page of course-1, open in `browser` for its instructor Grace Hopper."""
    _, url = tool
    return launch(platform, browser, url, INSTRUCTOR, name="Grace Hopper")


def stored(app: Any) -> tuple[dict[str, Any], int]:
    """(course-1's options, how many changes were ever recorded)."""
    with transaction(state(app).sessions) as session:
        course_id = session.scalar(select(Course.id).where(Course.context_id == "course-1"))
        assert course_id is not None
        about = (COURSE_TIME_ZONE, REPLIES, REACTIONS, STUDENT_INTRODUCTIONS, VISIBILITY)
        values = {key: course_settings(session, course_id)[key] for key in about}
        return values, len(recent_changes(session, course_id))


def form_of(page: str, **changes: str | None) -> dict[str, str]:
    """What the page's form submits as it stands, with `changes` made (None unticks a box)."""
    data = {"csrf_token": csrf_token(page)}
    for name in re.findall(
        r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="on" checked', page
    ):
        data[name] = "on"
    for name, value in re.findall(
        r'<input type="(?:text|number|date)"[^>]* name="([^"]+)" value="([^"]*)"', page
    ):
        data[name] = html.unescape(value)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_staff_change_options_and_see_who_changed_what(tool, settings_url, browser):
    app, url = tool
    state(app).clock = lambda: SUMMER
    page = browser.get(settings_url)
    assert page.status_code == 200
    text = page.text
    readable = html.unescape(text)
    for words in (
        "<legend><h2>Course</h2></legend>",
        "<legend><h2>Newsfeed</h2></legend>",
        "Time zone",
        "Times on Rapport's pages and in its schedules are given in this zone",
        "Replies",
        "People can reply under posts (“Say hello” under an introduction); when off, "
        "nobody can, and replies already written stay.",
        "Reactions",
        "Students can react to a post with one click",
        "Student introductions",
        "Students may post a short introduction of their own, visible to everyone in the course.",
        "No changes yet",
        'aria-current="page">Settings</a>',
    ):
        assert words in readable, words
    replies = 'name="newsfeed.replies" value="on" checked'
    assert replies + ' aria-describedby="setting-newsfeed-replies-help"' in text
    assert 'id="setting-newsfeed-replies-help"' in text
    assert stored(app) == (
        {
            COURSE_TIME_ZONE: "UTC",
            REPLIES: True,
            REACTIONS: True,
            STUDENT_INTRODUCTIONS: True,
            VISIBILITY: ALL_STAFF,
        },
        0,
    )

    data = form_of(text, **{REACTIONS: None, COURSE_TIME_ZONE: "Europe/London"})
    saved = browser.post(settings_url, data=data, allow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("/settings?saved=2")
    after = browser.get(url + saved.headers["Location"])
    assert after.status_code == 200
    assert re.search(
        r'<div role="status" aria-live="polite">\s*<p[^>]*>Saved: 2 changes\.', after.text
    )
    assert 'name="newsfeed.reactions" value="on" aria-describedby' in after.text  # unticked
    assert 'value="Europe/London"' in after.text
    log = after.text.split('id="changes-title"')[1]
    assert "No changes yet" not in log
    rows = re.findall(r"<tr>(.*?)</tr>", log, re.S)[1:]
    assert len(rows) == 2
    for row, what in zip(
        rows, ["Reactions: On → Off", "Time zone: UTC → Europe/London"], strict=True
    ):
        assert "Grace Hopper" in row
        assert what in row
        # When, from the app's clock, in the course's new zone (summer time in London).
        assert '<time datetime="2026-07-01T12:00:00Z"' in row and "1 Jul 2026, 13:00 BST" in row
    assert stored(app) == (
        {
            COURSE_TIME_ZONE: "Europe/London",
            REPLIES: True,
            REACTIONS: False,
            STUDENT_INTRODUCTIONS: True,
            VISIBILITY: ALL_STAFF,
        },
        2,
    )

    again = browser.post(settings_url, data=form_of(after.text), allow_redirects=False)
    assert again.headers["Location"].endswith("?saved=0")
    assert "Nothing changed." in browser.get(url + again.headers["Location"]).text
    assert stored(app)[1] == 2


def test_values_that_do_not_fit_are_refused_with_their_messages(
    tool, settings_url, browser, monkeypatch
):
    app, _ = tool
    monkeypatch.setitem(cs._SPECS, GOAL.key, GOAL)
    page = browser.get(settings_url).text
    assert 'type="number"' in page and 'min="1" max="90"' in page and 'value="14"' in page
    data = form_of(page, **{COURSE_TIME_ZONE: "Mars/Olympus", GOAL.key: "500", REPLIES: None})
    refused = browser.post(settings_url, data=data, allow_redirects=False)
    assert refused.status_code == 400
    text = refused.text
    assert "Nothing was saved: 2 options need a change" in text
    summary = text.split("Nothing was saved")[1].split("</section>")[0]
    assert (
        'href="#setting-course-time_zone"' in summary
        and 'href="#setting-test-contact_goal"' in summary
    )
    assert "“Mars/Olympus” is not a time zone Rapport knows" in text
    assert "Enter a whole number from 1 to 90." in text
    # Each message belongs to its field, and the submitted values are kept to be corrected.
    assert re.search(
        r'id="setting-course-time_zone" name="course.time_zone" value="Mars/Olympus"[^>]*'
        r'aria-describedby="setting-course-time_zone-help setting-course-time_zone-error"'
        r' aria-invalid="true"',
        text,
    )
    assert re.search(r'name="test.contact_goal" value="500"[^>]*aria-invalid="true"', text)
    assert 'id="setting-test-contact_goal-error"' in text
    assert (
        'name="newsfeed.replies" value="on" aria-describedby="setting-newsfeed-replies-help">'
        in text
    )
    assert stored(app)[1] == 0
    assert "Saved" not in text


def test_a_post_without_its_csrf_token_changes_nothing(tool, settings_url, browser):
    app, _ = tool
    data = form_of(browser.get(settings_url).text, **{REPLIES: None})
    del data["csrf_token"]
    assert browser.post(settings_url, data=data, allow_redirects=False).status_code == 400
    data["csrf_token"] = "forged"
    assert browser.post(settings_url, data=data, allow_redirects=False).status_code == 400
    assert stored(app)[1] == 0


@pytest.mark.parametrize("who", ["student", "mentor", "staff of another course", "no session"])
def test_only_this_course_staff_open_or_change_its_settings(
    tool, platform, settings_url, browser, who
):
    app, url = tool
    app.config["WTF_CSRF_ENABLED"] = False  # only the role decides here
    other = requests.Session()
    if who == "student":
        launch(platform, other, url, LEARNER)
    elif who == "mentor":
        launch(platform, other, url, MENTOR)
    elif who == "staff of another course":
        elsewhere = {"id": "course-2", "title": "Logic", "label": "LOG201"}
        launch(
            platform, other, url, INSTRUCTOR, sub="other-teacher", **{LTI + "context": elsewhere}
        )
    data = form_of(
        browser.get(settings_url).text, **{REPLIES: None, COURSE_TIME_ZONE: "Asia/Tokyo"}
    )
    opened = other.get(settings_url)
    assert opened.status_code == 403
    assert "Replies" not in opened.text
    if who in ("student", "mentor"):
        assert "Only the course's staff can see and change its settings." in html.unescape(
            opened.text
        )
    assert other.post(settings_url, data=data, allow_redirects=False).status_code == 403
    assert stored(app)[1] == 0


def test_staff_of_another_course_cannot_use_their_own_token_here(tool, platform, settings_url):
    app, url = tool
    other = requests.Session()
    elsewhere = {"id": "course-2", "title": "Logic", "label": "LOG201"}
    own = launch(
        platform, other, url, INSTRUCTOR, sub="other-teacher", **{LTI + "context": elsewhere}
    )
    assert own != settings_url
    token = csrf_token(other.get(own).text)  # a valid token of their own session
    data = {"csrf_token": token, COURSE_TIME_ZONE: "Asia/Tokyo"}
    assert other.post(settings_url, data=data, allow_redirects=False).status_code == 403
    assert stored(app)[1] == 0


def test_a_teaching_assistant_neither_sees_nor_changes_the_course_s_settings(tool, platform):
    """Who reads students' feedback is the instructors' decision: a teaching assistant is not
    offered the page (no Settings tab) and is refused it."""
    _, url = tool
    instructor = teacher(platform, url)
    assistant = enter(
        platform,
        url,
        "ta",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
        name="Tomás Rivera",
    )
    assert ">Settings<" not in assistant.text("")
    assert ">Dashboard<" in assistant.text("")  # still staff
    assert assistant.get("settings").status_code == 403
    token = assistant.csrf()
    form = {"csrf_token": token, "feedback.visibility": "tutor_and_instructors"}
    refused = assistant.post("settings", form, csrf=False)
    assert refused.status_code == 403
    assert ">Settings<" in instructor.text("")
    assert instructor.get("settings").status_code == 200
