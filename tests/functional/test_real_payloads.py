"""Launches shaped exactly like what Moodle 4.5.6 sent and what Canvas documents
(tests/fixtures/lms).

The fixtures' claims are re-signed by the test platform with a fresh nonce and times — Moodle's
tokens live 60 s — and everything else is kept as the LMS sent it.
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.conftest import register
from tests.fixtures import FIXTURES
from tests.platform import TestPlatform


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


CASES = {
    "moodle teacher": (
        "moodle-4.5/id_token_teacher_launch.claims.json",
        "moodle-4.5/login_initiation.json",
        "Staff",
        "LTI Lab Course",
        60,
    ),
    "moodle student": (
        "moodle-4.5/id_token_student_launch.claims.json",
        "moodle-4.5/login_initiation.json",
        "Student",
        "LTI Lab Course",
        60,
    ),
    "canvas student": (
        "canvas/id_token_resource_link.claims.json",
        None,
        "Student",
        "Computer Science 101",
        3600,
    ),
}


@pytest.mark.parametrize(
    ("claims_file", "login_file", "role", "title", "lifetime"), CASES.values(), ids=CASES.keys()
)
def test_real_lms_launch_shapes(live, claims_file, login_file, role, title, lifetime):
    claims = _load(claims_file)
    aud = claims["aud"]
    deployment = claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"]
    with TestPlatform(
        issuer=claims["iss"], client_id=aud, deployment_id=deployment
    ).running() as lms:
        app, url = live()
        register(app, lms)
        params = (
            _load(login_file)["params"]
            if login_file
            else {
                "iss": claims["iss"],
                "login_hint": claims["sub"],
                "client_id": aud,
                "lti_deployment_id": deployment,
            }
        )
        params = {**params, "target_link_uri": url + "/lti/launch"}
        browser = requests.Session()
        response = browser.post(url + "/lti/login", data=params, allow_redirects=False)
        assert response.status_code == 302, response.text
        auth = dict(
            p.split("=", 1) for p in response.headers["Location"].split("?", 1)[1].split("&")
        )
        assert "lti_message_hint" in auth if "lti_message_hint" in params else True
        now = int(time.time())
        body = {
            **claims,
            "iat": now,
            "exp": now + lifetime,
            "nonce": requests.utils.unquote(auth["nonce"]),
        }
        token = lms.sign(body)
        launched = lms.launch(browser, url, token, requests.utils.unquote(auth["state"]))
        assert launched.status_code == 303, launched.text
        page = browser.get(url + launched.headers["Location"]).text
        assert title in page
        assert f">{role}</span>" in page
        if claims.get("name"):
            assert claims["name"] in page
