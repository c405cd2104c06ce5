"""A returning member's launch (services/launches.py): when it tells nothing their rows do not
already hold and their last launch was recorded within LAST_LAUNCH_GRAIN, it reads one row and
writes nothing; whatever it tells anew is written as on any launch, and the rows, not the
process's memory of recent launches, decide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select, update

from lti_tool.db import transaction, utcnow
from lti_tool.models import Course, Membership, Person, ResourceLink
from lti_tool.models.course import CourseRole
from lti_tool.services.launches import LAST_LAUNCH_GRAIN, RecentLaunches
from tests.conftest import state
from tests.functional.test_launch_queries import counted
from tests.platform import INSTRUCTOR, LTI, TestPlatform

SUB = "amara"


def launch(platform: TestPlatform, url: str, **claims: Any) -> requests.Response:
    """A launch of Amara's (or as `claims` say) in a new browser, landing on the course home."""
    browser = requests.Session()
    launched = platform.full_launch(browser, url, **{"sub": SUB, "name": "Amara Okafor", **claims})
    assert launched.status_code == 303, launched.text
    assert browser.get(url + launched.headers["Location"]).status_code == 200
    return launched


def launch_statements(app: Flask, platform: TestPlatform, url: str, **claims: Any) -> list[str]:
    """The SQL statements of a launch POST (its login and course home are not counted)."""
    browser = requests.Session()
    login = platform.login(browser, url)
    token = platform.sign(
        platform.claims(login.nonce, **{"sub": SUB, "name": "Amara Okafor", **claims})
    )
    launched, statements = counted(app, lambda: platform.launch(browser, url, token, login.state))
    assert launched.status_code == 303, launched.text
    return statements


def rows(app: Flask, sub: str = SUB) -> tuple[Person, Membership, Course]:
    with transaction(state(app).sessions) as session:
        person = session.scalars(select(Person).where(Person.sub == sub)).one()
        membership = session.scalars(
            select(Membership).where(Membership.person_id == person.id)
        ).one()
        return person, membership, session.get_one(Course, membership.course_id)


def set_membership(app: Flask, **values: Any) -> None:
    with transaction(state(app).sessions) as session:
        session.execute(update(Membership).values(**values))


@pytest.mark.parametrize("staff", [False, True], ids=["student", "staff"])
def test_a_returning_launch_telling_nothing_new_reads_one_row_and_writes_nothing(
    tool, platform, staff
):
    app, url = tool
    roles = {LTI + "roles": [INSTRUCTOR]} if staff else {}
    first = launch_statements(app, platform, url, **roles)
    assert len(first) == 4 and all(s.lstrip().upper().startswith("INSERT") for s in first)
    person, membership, course = rows(app)

    again = launch_statements(app, platform, url, **roles)
    assert len(again) == 1 and again[0].lstrip().upper().startswith("SELECT"), again
    person_now, membership_now, course_now = rows(app)
    assert person_now.updated_at == person.updated_at
    assert course_now.updated_at == course.updated_at
    assert membership_now.last_launch_at == membership.last_launch_at
    launch(platform, url, **roles)  # and the course home it lands on is the member's


def test_what_a_returning_launch_tells_anew_is_written(tool, platform):
    app, url = tool
    launch(platform, url)
    launch(platform, url, name="Amara N. Okafor", email="amara@uni.example")
    person = rows(app)[0]
    assert (person.name, person.email) == ("Amara N. Okafor", "amara@uni.example")

    launch(platform, url, **{LTI + "roles": [INSTRUCTOR]})
    assert rows(app)[1].role is CourseRole.STAFF
    launch(platform, url)
    assert rows(app)[1].role is CourseRole.STUDENT

    context = {"id": "course-1", "title": "Poetry, the sequel", "label": "POE101"}
    launch(platform, url, **{LTI + "context": context})
    assert rows(app)[2].title == "Poetry, the sequel"

    link = {"id": "link-2", "title": "Rapport, week 2"}
    launch(platform, url, **{LTI + "resource_link": link})
    with transaction(state(app).sessions) as session:
        titles = session.scalars(select(ResourceLink.title).order_by(ResourceLink.id)).all()
    assert titles == ["Rapport", "Rapport, week 2"]


def test_a_launch_after_the_grain_records_its_time_again(tool, platform):
    app, url = tool
    launch(platform, url)
    earlier = utcnow() - LAST_LAUNCH_GRAIN - timedelta(seconds=1)
    set_membership(app, last_launch_at=earlier)  # as if the last launch were that long ago
    before = utcnow()
    statements = launch_statements(app, platform, url)
    assert len(statements) == 5  # the look, then the four writes of any launch
    assert rows(app)[1].last_launch_at >= before


def test_a_member_the_roster_made_inactive_is_active_again_on_their_next_launch(tool, platform):
    app, url = tool
    launch(platform, url)
    set_membership(app, active=False)  # a roster sync that no longer listed them
    launch(platform, url)
    assert rows(app)[1].active


def test_a_process_that_has_not_seen_the_member_lately_writes_without_looking(tool, platform):
    app, url = tool
    launch(platform, url)
    state(app).recent_launches = RecentLaunches()  # another worker, or this one restarted
    statements = launch_statements(app, platform, url)
    assert len(statements) == 4 and all(s.lstrip().upper().startswith("INSERT") for s in statements)
    assert len(launch_statements(app, platform, url)) == 1  # and now it has


def test_recent_launches_forget_the_oldest_beyond_their_bound():
    recent = RecentLaunches(most=2)
    now = utcnow()
    for n in range(3):
        recent.note((1, f"s{n}", "course-1", None), now)
    assert not recent.expects((1, "s0", "course-1", None), now)
    assert recent.expects((1, "s2", "course-1", None), now)
    assert not recent.expects((1, "s2", "course-1", None), now + LAST_LAUNCH_GRAIN)
