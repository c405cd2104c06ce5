"""A check-in placed in the LMS with Deep Linking opens that check-in, not the list.

Issue 16: "A placed check-in opens that check-in". Over the real flow: the teacher's
deep-linking request, the picker (which now asks which check-in the link opens), the signed
answer, then resource-link launches of the link the platform made from the content item.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import CheckIn
from tests import deep_linking_flow as dl
from tests.conftest import state
from tests.functional.checkins.test_checkins import create, occurrence_ids
from tests.newsfeed_flow import Clock, Visitor, use_clock
from tests.platform import INSTRUCTOR


def placed_item(browser: requests.Session, url: str, platform: Any, target: str) -> dict[str, Any]:
    """Place one check-in through the picker; the content item the LMS receives."""
    _, form = dl.open_picker(browser, url, dl.dl_launch(browser, url, platform))
    _, token = dl.returned(dl.submit(browser, url, form, ["checkin"], **{"target-checkin": target}))
    claims, _ = dl.verify(url, token, platform.client_id, platform.issuer)
    [item] = claims[dl.ITEMS]
    return item


def follow(browser: requests.Session, url: str, launch: requests.Response) -> str:
    """Where the placed link's launch ends for this browser: the path after the landing."""
    path, _ = dl.landing(launch)
    opened = browser.get(url + path, allow_redirects=False)
    assert opened.status_code == 303, opened.text[:300]
    return opened.headers["Location"].split("?")[0].removeprefix(url)


def test_a_placed_check_in_opens_it_for_staff_and_students(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff_browser = requests.Session()
    first_launch = dl.dl_launch(staff_browser, url, platform)
    course = re.search(r"/courses/(\d+)/", first_launch.headers["Location"]).group(1)  # type: ignore[union-attr]
    staff = Visitor(url, staff_browser, f"/courses/{course}/")
    weekly = create(staff, title="Weekly check-in")
    create(staff, title="Mid-term check-in", first="2027-03-01T09:00")
    occurrence = occurrence_ids(app, weekly)[0]

    page, form = dl.open_picker(staff_browser, url, dl.dl_launch(staff_browser, url, platform))
    [select_] = [c for c in form.controls if c.name == "target-checkin"]
    assert select_.tag == "select" and select_.value == ""  # the list, unless a check-in is chosen
    assert "Mid-term check-in" in page.text and "Weekly check-in" in page.text
    item = placed_item(staff_browser, url, platform, str(weekly))
    with transaction(state(app).sessions) as session:
        bound = session.scalars(select(CheckIn).where(CheckIn.placement_id.is_not(None))).all()
        assert [c.id for c in bound] == [weekly]

    student = requests.Session()
    launch = dl.link_launch(student, url, platform, item["custom"], sub="s-1")
    answer_page = f"/courses/{course}/checkins/occurrences/{occurrence}/answer"
    assert follow(student, url, launch) == answer_page
    assert "How confident do you feel" in student.get(url + answer_page).text

    teacher = requests.Session()
    launch = dl.link_launch(
        teacher, url, platform, item["custom"], sub="t-2", **{dl.LTI + "roles": [INSTRUCTOR]}
    )
    assert follow(teacher, url, launch) == f"/courses/{course}/checkins/{weekly}"

    clock.advance(hours=72)  # closed until next week: the student's list of check-ins
    launch = dl.link_launch(student, url, platform, item["custom"], sub="s-1")
    assert follow(student, url, launch) == f"/courses/{course}/checkins/"


def test_a_check_in_placed_as_the_list_and_another_course_s_check_in(tool, platform):
    app, url = tool
    staff_browser = requests.Session()
    first_launch = dl.dl_launch(staff_browser, url, platform)
    course = re.search(r"/courses/(\d+)/", first_launch.headers["Location"]).group(1)  # type: ignore[union-attr]
    weekly = create(Visitor(url, staff_browser, f"/courses/{course}/"))
    listed = placed_item(staff_browser, url, platform, "")
    student = requests.Session()
    launch = dl.link_launch(student, url, platform, listed["custom"], sub="s-1")
    assert follow(student, url, launch) == f"/courses/{course}/checkins/"
    with transaction(state(app).sessions) as session:
        assert session.get_one(CheckIn, weekly).placement_id is None

    _, form = dl.open_picker(staff_browser, url, dl.dl_launch(staff_browser, url, platform))
    refused = dl.submit(
        staff_browser, url, form, ["checkin"], **{"target-checkin": str(weekly + 99)}
    )
    assert refused.status_code == 422
    assert "Choose which check-in" in refused.text
