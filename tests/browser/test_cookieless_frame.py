"""A browser that keeps no cookie at all inside the LMS frame (Safari's default, and any browser
blocking third-party cookies without partitioning them), in real Chromium (issue 17).

The demo LMS answers on one site and Rapport on another, over plain http: Chromium keeps no
cookie of Rapport's in the frame, so its state and session cookies never exist there. The demo
LMS page keeps
the login state for the tool (LTI platform storage, `lti.put_data` / `lti.get_data`), so the
launch proves the login it began; from then on Rapport's links and forms carry the session.
The student reads the newsfeed, replies under a post, answers a check-in and writes in their
conversation, all in the frame: no "Open Rapport in a new window".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.browser.conftest import course_page, frame_settled, page_loaded
from tests.browser.test_newsfeed_pages import full_view
from tests.demo.flow import launch_as as http_launch
from tests.functional.checkins.test_checkins import WEEKLY
from tests.newsfeed_flow import Visitor
from tests.servers import serving

WIDTH = 375


def _staff_prepare(lms: str, tool: str) -> None:
    """Margaret, in a browser that keeps cookies: news, a check-in open now, and a
    conversation with Amara."""
    browser = requests.Session()
    launched = http_launch(browser, lms, "instructor-margaret-chen").launch
    course = re.match(r"(/courses/\d+/)", launched.headers["Location"])
    assert course
    margaret = Visitor(tool, browser, course.group(1))
    news = {"title": "Week 1 reading", "body": "Chapter 1 first.", "when": "now"}
    assert margaret.post("posts/new", news).status_code == 303
    opens = datetime.now(UTC) - timedelta(hours=1)
    checkin = {**WEEKLY, "first": opens.strftime("%Y-%m-%dT%H:%M"), "time_zone": "UTC"}
    assert margaret.post("checkins/new", checkin).status_code == 303


@pytest.fixture
def cross_site_demo(make_app: Any) -> Iterator[tuple[str, str]]:
    """The demo LMS at http://127.0.0.1:PORT and Rapport at http://localhost:PORT: two sites,
    so Rapport's frame is cross-site; over plain http it cannot keep a cookie there at all
    (SameSite=None needs Secure), partitioned or not. (demo LMS URL, Rapport URL)"""
    with serving() as server:
        port = server.url.rsplit(":", 1)[1]
        lms, tool = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
        server.set_app(make_app(public_url=tool, demo=True, demo_url=lms, jobs_backend="immediate"))
        yield lms, tool


def test_a_student_whose_browser_keeps_no_cookie_in_the_frame_does_everything_there(
    cross_site_demo, page_in
):
    lms, tool_url = cross_site_demo
    _staff_prepare(lms, tool_url)
    page = page_in(WIDTH, 900)
    page.goto(lms + "/demo")
    page.get_by_role("link", name="Launch as Amara Okafor").click()
    frame = page.frame_locator("#tool-frame")
    frame.get_by_text("You are a student in this course.").wait_for(timeout=30_000)
    assert frame.get_by_text("Open Rapport in a new window").count() == 0
    # the frame is Rapport's, on the other site, and its session rides in Rapport's URLs
    tool = next(f for f in page.frames if "/courses/" in f.url)
    assert tool.url.startswith(tool_url) and "rs=" in tool.url
    assert not [c for c in page.context.cookies() if c["domain"] == "localhost"]
    frame.get_by_role("heading", name="Week 1 reading").wait_for()

    # a reply under the news
    frame.get_by_text("Reply", exact=True).click()
    frame_settled(frame.get_by_label("Your reply"))  # the frame grows to show the form
    frame.get_by_label("Your reply").fill("Thanks, reading it tonight.")
    frame.get_by_role("button", name="Send reply").click()
    frame.get_by_text("Thanks, reading it tonight.").wait_for()

    # the check-in open now
    answer = frame.get_by_role("link", name=re.compile("^Answer: Weekly check-in"))
    page_loaded(answer)  # the reply's page has loaded (and its scripts run) before the click
    answer.click()
    page_loaded(frame.get_by_role("button", name="Send my answer"))
    frame.get_by_role("radio", name=re.compile("4 of 5")).check()
    frame.get_by_role("button", name="Send my answer").click()
    frame.get_by_role("link", name=re.compile("^Change your answer: Weekly check-in")).wait_for()

    # a conversation with the course team, and a reply in it
    course_page(frame, "Newsfeed")
    write = frame.get_by_role("link", name="Write to the course team")
    page_loaded(write)
    write.click()
    page_loaded(frame.get_by_label("What it is about"))
    frame.get_by_label("What it is about").fill("Essay plan")
    frame.get_by_label("Your message").fill("Could we talk about my plan?")
    frame.get_by_role("button", name="Send").click()
    frame.get_by_role("heading", name="Essay plan").wait_for()
    frame.get_by_label("Your reply").fill("Thursday works for me.")
    frame.get_by_role("button", name="Send").click()
    frame.get_by_text("Thursday works for me.").wait_for()
    full_view(page, f"cookieless-thread-{WIDTH}")
    assert not [c for c in page.context.cookies() if c["domain"] == "localhost"]
