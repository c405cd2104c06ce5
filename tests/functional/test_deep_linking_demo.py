"""Deep linking against the built-in demo LMS, which checks Rapport's answer as a platform must.

A teacher opens "Add content", picks in Rapport, and the demo LMS verifies the response JWT
against Rapport's JWKS, places the items (a gradebook column for the graded one), and launches
them as anyone on the course.
"""

from __future__ import annotations

import html

import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import GradableActivity, Placement
from tests.conftest import state
from tests.deep_linking_flow import AGS, landing, open_picker, parse, returned, submit
from tests.demo.flow import launch_as, platform

TEACHER, STUDENT = "instructor-margaret-chen", "student-kenji-watanabe"


def test_place_rapport_in_the_demo_lms_and_launch_what_was_placed(live, feedback_kind):
    app, url = live(demo=True)
    browser = requests.Session()
    request = launch_as(browser, url, TEACHER, deep_linking="1")
    _, form = open_picker(browser, url, request.launch)
    answer = submit(
        browser,
        url,
        form,
        ["course_home", "practice_feedback"],
        **{
            "title-practice_feedback": "Essay feedback",
            "graded-practice_feedback": "yes",
            "points-practice_feedback": "15",
        },
    )
    action, token = returned(answer)
    assert action == url + "/demo/deep-link/return"

    received = browser.post(action, data={"JWT": token})
    assert received.status_code == 200, received.text
    page = html.unescape(received.text)
    assert "2 items added to PSY101" in page
    assert "Rapport added “Course newsfeed”, “Essay feedback”." in page
    assert "Graded: a gradebook column “Essay feedback”, out of 15." in page
    demo = platform(app)
    home_link, graded_link = demo.placed_links()
    launchable = {dict(f.values()).get("link") for f in parse(received.text).forms}
    assert launchable == {home_link.link_id, graded_link.link_id}
    [column] = demo.store.line_items(demo.course.context_id, resource_link_id=graded_link.link_id)

    with transaction(state(app).sessions) as session:
        home, graded = session.scalars(select(Placement).order_by(Placement.id)).all()
        assert column.fields.resource_id == f"placement:{graded.id}"
        assert home_link.custom["rapport_placement"] == home.token

    student = requests.Session()
    opened = launch_as(student, url, STUDENT, link=graded_link.link_id)
    assert opened.launch.status_code == 303
    assert landing(opened.launch) == (f"/courses/{graded.course_id}/", str(graded.id))
    assert student.get(url + opened.launch.headers["Location"]).status_code == 200
    with transaction(state(app).sessions) as session:
        activity = session.scalars(select(GradableActivity)).one()
        assert activity.lineitem_url == opened.claims[AGS]["lineitem"]
        assert activity.lineitem_url == demo.lineitem_url(column.number)

    home_launch = launch_as(requests.Session(), url, STUDENT, link=home_link.link_id)
    assert landing(home_launch.launch) == (f"/courses/{home.course_id}/", None)
