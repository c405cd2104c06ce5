"""The roster from the built-in demo LMS: its NRPS endpoint pages with `limit` and `from` as
Moodle does, and one of its students withholds every name."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.demo import demo_platform
from lti_tool.demo.faults import Fault
from lti_tool.demo.people import COURSE, LEARNER, DemoPerson
from lti_tool.jobs import jobs
from lti_tool.models import Membership
from tests.conftest import state
from tests.demo.flow import launch_as
from tests.functional.roster.test_roster import course_path

PASS_THROUGH = 50  # requests the demo counts and then serves normally


@pytest.fixture
def demo(live: Any) -> tuple[Any, str]:
    return live(demo=True)


def count_requests(app: Any) -> None:
    faults = demo_platform(app).store.faults
    for endpoint in ("nrps", "token"):
        faults.push(endpoint, Fault(status=None), times=PASS_THROUGH)


def served(app: Any, endpoint: str) -> int:
    return PASS_THROUGH - demo_platform(app).store.faults.pending(endpoint)


def test_a_thousand_member_demo_course_syncs_on_the_instructors_launch(demo):
    app, url = demo
    extra = tuple(
        DemoPerson(f"student-extra-{n:03d}", "Student", (LEARNER,), (), "Extra", f"Student {n:03d}")
        for n in range(987)
    )
    demo_platform(app).first_course = dataclasses.replace(COURSE, people=COURSE.people + extra)
    count_requests(app)
    browser = requests.Session()
    result = launch_as(browser, url, "instructor-margaret-chen")
    assert result.launch.status_code == 303
    jobs(app).run_pending()
    assert served(app, "nrps") == 10
    assert served(app, "token") == 1
    with transaction(state(app).sessions) as session:
        rows = list(session.scalars(select(Membership)))
    assert len(rows) == 1000 and all(m.active for m in rows)
    home = browser.get(url + result.launch.headers["Location"]).text
    assert "<strong>1000</strong> people in all" in home
    private = next(m.person for m in rows if m.person.sub == COURSE.person("student-private").sub)
    people = browser.get(url + course_path(result.launch) + "people", params={"page": 10}).text
    everyone = "".join(
        browser.get(url + course_path(result.launch) + "people", params={"page": n}).text
        for n in range(1, 11)
    )
    assert "Page 10 of 10" in people
    assert f"Student {private.short_code}" in everyone
    assert "Amara Okafor" in everyone
