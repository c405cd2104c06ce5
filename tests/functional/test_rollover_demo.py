"""A rollover walked in the demo LMS (issue 18), over real launches.

Margaret runs Foundations of Psychology in the demo: she introduces herself, posts news, keeps
a snippet, schedules a weekly check-in and places a link to it; Kenji answers it and writes to
the team. The demo LMS then copies the course for a new term, as Canvas does: links and their
custom parameters come along, and every launch of the copy names the course it came from
(`$Context.id.history`). Margaret opens the copy: Rapport offers to bring the old set-up over,
and she does, naming the new term's first week. Only the set-up comes: drafts to review, the
snippet, the check-in moved to the new term, never Kenji's answer or conversation; the copied
link opens the new course's check-in.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import requests
from sqlalchemy import func, select

from lti_tool.db import transaction
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    FeedbackThread,
    Occurrence,
    Post,
    Snippet,
)
from tests.conftest import state
from tests.deep_linking_flow import open_picker, returned, submit
from tests.demo.flow import launch_as, platform
from tests.functional.checkins.test_checkins import WEEKLY
from tests.newsfeed_flow import Clock, Visitor, use_clock

TEACHER, STUDENT = "instructor-margaret-chen", "student-kenji-watanabe"
NOW = datetime(2027, 1, 26, 10, 0, tzinfo=UTC)  # the Tuesday of the old term's first week


def _enter(url: str, person: str, **query: str) -> Visitor:
    browser = requests.Session()
    launched = launch_as(browser, url, person, **query).launch
    assert launched.status_code == 303, launched.text[:400]
    course = re.match(r"(/courses/\d+/)", launched.headers["Location"])
    assert course
    return Visitor(url, browser, course.group(1))


def _words(page: str) -> str:
    """A page's text as a person reads it: no tags, one space between words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def _course_id(visitor: Visitor) -> int:
    return int(visitor.course.strip("/").split("/")[1])


def _count(app: object, model: type, course_id: int) -> int:
    with transaction(state(app).sessions) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(model).where(model.course_id == course_id)  # type: ignore[attr-defined]
            )
            or 0
        )


def test_a_course_copied_in_the_lms_brings_over_its_set_up_and_none_of_its_students(live):
    app, url = live(demo=True)
    use_clock(app, Clock(NOW))
    demo = platform(app)

    # -- last term, in use -------------------------------------------------------------------
    margaret = _enter(url, TEACHER)
    old = _course_id(margaret)
    assert margaret.post("introduction", {"body": "I teach memory."}).status_code == 303
    news = {"title": "Reading list", "body": "Chapter 1 first.", "when": "now"}
    assert margaret.post("posts/new", news).status_code == 303
    snippet = {"action": "save", "title": "Thanks", "body": "Thank you, {first_name}."}
    assert margaret.post("snippets", snippet).status_code == 303
    created = margaret.post("checkins/new", WEEKLY)
    assert created.status_code == 303, created.text[:400]
    weekly = int(re.search(r"/checkins/(\d+)", created.headers["Location"]).group(1))
    placing = requests.Session()
    request = launch_as(placing, url, TEACHER, deep_linking="1")
    _, form = open_picker(placing, url, request.launch)
    action, token = returned(
        submit(placing, url, form, ["checkin"], **{"target-checkin": str(weekly)})
    )
    assert placing.post(action, data={"JWT": token}).status_code == 200
    [old_link] = demo.placed_links()

    kenji = _enter(url, STUDENT)
    with transaction(state(app).sessions) as session:
        week = session.scalars(
            select(Occurrence.id).where(Occurrence.checkin_id == weekly).order_by(Occurrence.number)
        ).first()
    answer = {"scale": "2", "talk": "on", "text": "Lost in week 1"}
    answered = kenji.post(f"checkins/occurrences/{week}/answer", answer)
    assert answered.status_code == 303, answered.text[:400]
    wrote = kenji.post("feedback/new", {"title": "Essay plan", "body": "Could we talk?"})
    assert wrote.status_code == 303, wrote.text[:400]

    # -- the LMS copies the course for a new term ---------------------------------------------
    lms = requests.Session()
    page = lms.get(url + "/demo").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    copied = lms.post(url + "/demo/copy-course", data={"csrf_token": csrf.group(1)})
    assert "this is the copy of Foundations of Psychology" in html.unescape(copied.text)
    assert demo.course.history == ("demo-course-101",)
    [new_link] = demo.placed_links()
    assert new_link.link_id != old_link.link_id and new_link.custom == old_link.custom

    # -- the new term: Margaret opens the copy ------------------------------------------------
    margaret = _enter(url, TEACHER)
    new = _course_id(margaret)
    assert new != old
    home = html.unescape(margaret.text())
    assert "Bring over the set-up of Foundations of Psychology?" in home
    offer = html.unescape(margaret.text("bring-over"))
    assert "this course is a copy of it, your LMS says" in offer
    assert "its first check-in opened" in offer
    refused = margaret.post("bring-over", {"source": str(old)})  # no first week: asked for it
    assert refused.status_code == 400
    assert "Give a date in the new course's first week." in html.unescape(refused.text)
    done = margaret.post("bring-over", {"source": str(old), "first_week": "2027-09-08"})
    assert done.status_code == 303
    said = _words(margaret.text("bring-over"))
    assert (
        "This course's set-up came over from Foundations of Psychology: 1 introduction, "
        "1 news post, 1 snippet, 1 check-in." in said
    )
    home = html.unescape(margaret.text())
    assert "Bring over the set-up" not in home  # offered once
    assert "Drafts and scheduled posts" in home and "Reading list" in home

    with transaction(state(app).sessions) as session:
        assert session.get_one(Course, new).context_history == ["demo-course-101"]
        [checkin] = session.scalars(select(CheckIn).where(CheckIn.course_id == new)).all()
        assert checkin.schedule["first"] == "2027-09-06T09:00"  # the same Monday 09:00
        assert checkin.copied_from_id == weekly
        drafts = session.scalars(select(Post.draft).where(Post.course_id == new)).all()
        assert drafts == [True, True]
        answers = session.scalar(
            select(func.count()).select_from(CheckInResponse)
            .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
            .where(Occurrence.checkin_id == checkin.id)
        )  # fmt: skip
        assert answers == 0
    assert _count(app, Snippet, new) == 1
    assert _count(app, FeedbackThread, new) == 0 and _count(app, FeedbackThread, old) == 1

    # -- the link the LMS copied opens the new course's check-in -------------------------------
    browser = requests.Session()
    opened = launch_as(browser, url, TEACHER, link=new_link.link_id).launch
    assert opened.headers["Location"].startswith(f"/courses/{new}/checkins/placed/")
    landed = browser.get(url + opened.headers["Location"], allow_redirects=False)
    assert landed.headers["Location"].endswith(f"/courses/{new}/checkins/{checkin.id}")
