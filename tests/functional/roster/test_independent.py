"""The roster from a platform Rapport's authors did not write: lti1p3platform's NRPS, over HTTP.

A thousand members in ten pages (lti1p3platform links them with `page`), names withheld for
some, one who leaves and one the platform marks Inactive — all through a real staff launch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import Membership
from tests.conftest import register, state
from tests.functional.roster.test_roster import age_roster, csrf_token
from tests.independent_nrps import IndependentNrps, add_nrps
from tests.independent_platform import INSTRUCTOR, LEARNER, IndependentPlatform, auto_post_form
from tests.independent_services import TokenEndpoint, add_token_endpoint


@pytest.fixture
def lms() -> Iterator[tuple[IndependentPlatform, TokenEndpoint, IndependentNrps]]:
    platform = IndependentPlatform()
    tokens = add_token_endpoint(platform)
    nrps = add_nrps(platform, tokens)
    platform.add_user("u-grace", "Grace Hopper", "grace@example.edu")
    platform.add_course("c-big", "A Big Course", "BIG100")
    platform.enrol("c-big", "u-grace", INSTRUCTOR)
    for n in range(999):
        platform.add_user(f"u-{n:03d}", f"Student {n:03d} Example", f"s{n}@example.edu")
        platform.enrol("c-big", f"u-{n:03d}", LEARNER)
    with platform.running() as running:
        yield running, tokens, nrps


def staff_launch(browser: requests.Session, platform: IndependentPlatform, url: str) -> str:
    login = browser.post(
        url + "/lti/login", data=platform.login_params("c-big", "u-grace"), allow_redirects=False
    )
    auth = browser.get(login.headers["Location"], allow_redirects=False)
    action, form = auto_post_form(auth.text)
    response = browser.post(action, data=form, allow_redirects=False)
    assert response.status_code == 303, response.text
    return url + response.headers["Location"]


def roster(app: Any) -> dict[str, Membership]:
    with transaction(state(app).sessions) as session:
        return {m.person.sub: m for m in session.scalars(select(Membership))}


def test_a_thousand_members_from_lti1p3platform(live, lms, browser):
    platform, tokens, nrps = lms
    app, url = live()
    platform.connect(url)
    register(app, platform)
    nrps.private = {"u-007"}
    home_url = staff_launch(browser, platform, url)
    jobs(app).run_pending()
    assert len(nrps.requests) == 10
    assert all("limit=100" in r for r in nrps.requests)
    assert tokens.requests == 1
    home = browser.get(home_url).text
    assert "<strong>1000</strong> people in all" in home
    assert "The last refresh failed" not in home
    rows = roster(app)
    assert rows["u-042"].person.name == "Student 042 Example"
    withheld = rows["u-007"].person
    assert withheld.name is None and withheld.name_as("Student") == f"Student {withheld.short_code}"
    # One student leaves, one is marked Inactive; the staff member refreshes.
    del platform.courses["c-big"].members["u-500"]
    nrps.status["u-501"] = "Inactive"
    age_roster(app, 2 / 60)
    found = re.search(r'action="([^"]+/roster/refresh)"', browser.get(home_url).text)
    assert found
    done = browser.post(
        url + found.group(1), data={"csrf_token": csrf_token(home)}, allow_redirects=False
    )
    assert "roster=started" in done.headers["Location"]
    jobs(app).run_pending()
    rows = roster(app)
    assert (rows["u-500"].active, rows["u-501"].active, rows["u-502"].active) == (
        False,
        False,
        True,
    )
    assert rows["u-501"].roster_status == "Inactive"
    assert len(rows) == 1000  # nobody deleted
    assert tokens.requests == 1
