"""Rate limits on sign-in and registration (lti_tool.limits): a lecture hall behind one address
gets in, a burst past 50 logins a second from one address is turned away with a clear 429."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import register
from tests.newsfeed_flow import teacher


def _logins(url: str, platform, count: int) -> tuple[list[requests.Response], float]:
    params = {
        "iss": platform.issuer,
        "login_hint": "hint",
        "target_link_uri": url + "/lti/launch",
        "client_id": platform.client_id,
    }

    def one(_: int) -> requests.Response:
        return requests.post(url + "/lti/login", data=params, allow_redirects=False, timeout=30)

    started = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(one, range(count)))
    return answers, time.monotonic() - started


def test_a_lecture_hall_signs_in_and_a_flood_is_turned_away(tool, platform):
    _, url = tool
    hall, _ = _logins(url, platform, 40)  # forty students behind one campus address, at once
    assert [a.status_code for a in hall] == [302] * 40
    time.sleep(1.1)  # the hall's second has passed
    flood, took = _logins(url, platform, 150)
    admitted = [a for a in flood if a.status_code == 302]
    refused = [a for a in flood if a.status_code == 429]
    assert len(admitted) + len(refused) == 150
    assert refused
    assert len(admitted) <= 50 * math.ceil(took)
    page = refused[0]
    assert "Too many requests came from your network" in page.text
    assert 1 <= int(page.headers["Retry-After"]) <= 60  # seconds until the window has room
    assert "X-RateLimit-Remaining" not in hall[0].headers  # no window read for what passes


def test_dynamic_registration_allows_ten_a_minute_per_address(live, platform):
    app, url = live()
    register(app, platform)
    answers = [requests.get(url + "/lti/register", timeout=10).status_code for _ in range(12)]
    assert 429 not in answers[:10]
    assert answers[10:] == [429, 429]


def test_one_person_sending_forms_faster_than_anyone_types_is_slowed_alone(tool, platform):
    _, url = tool
    staff = teacher(platform, url)
    colleague = teacher(platform, url, sub="colleague", name="Tomás Rivera")
    token = staff.csrf()
    form = {"csrf_token": token, "newsfeed.replies": "on", "newsfeed.reactions": "on"}

    def send(_: int) -> int:
        return staff.post("settings", form, csrf=False).status_code

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(60)))
    assert answers.count(429) >= 1
    assert set(answers) <= {303, 429}
    slowed = staff.post("settings", form, csrf=False)
    if slowed.status_code == 429:
        assert "You sent a lot in a moment" in slowed.text
    # A colleague in the same course, on the same address, is not slowed by it.
    assert colleague.post("settings", {**form, "csrf_token": colleague.csrf()}).status_code == 303
