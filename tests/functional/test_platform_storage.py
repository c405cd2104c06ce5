"""LTI platform storage: the login state kept by the platform when cookies do not come back."""

from __future__ import annotations

import json
import re

import requests
from sqlalchemy import func, select

from lti_tool.db import transaction
from lti_tool.models import Membership
from tests.conftest import state as state_of

STORAGE_JSON = re.compile(r'<script type="application/json" id="lti-storage">(.*?)</script>', re.S)


def _storage_config(html: str) -> dict:
    return json.loads(STORAGE_JSON.search(html).group(1))


def _storage_login(platform, url, browser):
    params = {
        "iss": platform.issuer,
        "login_hint": "x",
        "target_link_uri": url + "/lti/launch",
        "client_id": platform.client_id,
        "lti_storage_target": "post_message_forwarding",
    }
    response = browser.post(url + "/lti/login", data=params, allow_redirects=False)
    assert response.status_code == 200
    assert "lti1p3-state-" in response.headers["Set-Cookie"]  # cookies are still tried first
    return _storage_config(response.text)


def test_login_stores_a_secret_with_the_platform_before_redirecting(tool, platform, browser):
    _, url = tool
    config = _storage_login(platform, url, browser)
    assert config["mode"] == "put"
    assert config["target"] == "post_message_forwarding"
    assert config["origin"] == platform.issuer  # the origin of the platform's auth endpoint
    assert config["next"].startswith(platform.issuer + "/auth?")
    state = re.search(r"state=([^&]+)", config["next"]).group(1)
    assert config["key"] == "rapport-" + state
    assert len(config["value"]) >= 32 and config["value"] not in config["next"]


def test_launch_without_cookie_checks_platform_storage(tool, platform, browser):
    app, url = tool
    config = _storage_login(platform, url, browser)
    state = re.search(r"state=([^&]+)", config["next"]).group(1)
    nonce = re.search(r"nonce=([^&]+)", config["next"]).group(1)
    token = platform.sign(platform.claims(nonce))
    cookieless = requests.Session()  # the browser dropped the state cookie

    check = cookieless.post(
        url + "/lti/launch", data={"id_token": token, "state": state}, allow_redirects=False
    )
    assert check.status_code == 200
    asked = _storage_config(check.text)
    assert asked == {
        "mode": "get",
        "target": "post_message_forwarding",
        "origin": platform.issuer,
        "key": config["key"],
    }
    assert 'name="lti_storage_proof"' in check.text

    wrong = cookieless.post(
        url + "/lti/launch",
        allow_redirects=False,
        data={"id_token": token, "state": state, "lti_storage_proof": "guess"},
    )
    assert wrong.status_code == 401 and "Open Rapport in a new window" in wrong.text
    assert config["value"] not in wrong.text

    right = cookieless.post(
        url + "/lti/launch",
        allow_redirects=False,
        data={"id_token": token, "state": state, "lti_storage_proof": config["value"]},
    )
    # The launch is accepted and recorded, and goes on in the frame: this frame keeps no
    # cookie, so Rapport's own links carry the session (`frame_session`, issue 17).
    assert right.status_code == 303
    home = right.headers["Location"]
    assert "rs=" in home and config["value"] not in home
    with transaction(state_of(app).sessions) as session:
        assert session.scalar(select(func.count()).select_from(Membership)) == 1
    page = cookieless.get(url + home, headers={"Cookie": ""})
    assert page.status_code == 200 and "Welcome, Ada Lovelace." in page.text
    cookieless.cookies.clear()
    # its links carry it on; the course without it is closed to a cookieless browser
    assert re.search(r'href="/courses/\d+/checkins/\?rs=', page.text)
    assert cookieless.get(url + home.split("?")[0]).status_code == 403
    # pasted into another browser, the link opens nothing
    other = requests.get(url + home, headers={"User-Agent": "another browser"})
    assert other.status_code == 403

    again = cookieless.post(
        url + "/lti/launch",
        allow_redirects=False,
        data={"id_token": token, "state": state, "lti_storage_proof": config["value"]},
    )
    assert again.status_code == 403  # the nonce is used up


def test_without_storage_target_no_secret_is_kept(tool, platform, browser):
    _, url = tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce))
    response = requests.post(
        url + "/lti/launch",
        allow_redirects=False,
        data={"id_token": token, "state": login.state, "lti_storage_proof": "anything"},
    )
    assert response.status_code == 401
