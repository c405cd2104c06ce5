"""The 1EdTech LTI 1.3 certification launch cases and Security Framework §5.1.3, over HTTP.

Tokens are built with PyJWT from the spec by tests/platform.py, never with Rapport's code.
Every case is accepted or refused as listed; none answers 5xx.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from lti_tool.extensions import cache
from tests.conftest import register
from tests.platform import DROP, INSTRUCTOR, LEARNER, LTI, PlatformKey

MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"

ACCEPTED = {
    "multiple roles": {
        LTI + "roles": [
            INSTRUCTOR,
            LEARNER,
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
        ]
    },
    "short role name": {LTI + "roles": ["Instructor"]},
    "unknown role URI": {LTI + "roles": ["http://example.org/roles#Wizard"]},
    "empty roles array": {LTI + "roles": []},
    "no name or email": {"name": DROP, "given_name": DROP, "family_name": DROP, "email": DROP},
    "names only": {"email": DROP},
    "email only": {"name": DROP, "given_name": DROP, "family_name": DROP},
    "aud as a one-element list": {"aud": ["client-1"]},
    "aud list with azp": {"aud": ["client-1"], "azp": "client-1"},
    "no context claim": {LTI + "context": DROP},
    "Canvas validation_context keys": {
        LTI + "context": {
            "id": "c9",
            "title": "T",
            "validation_context": None,
            "errors": {"errors": {}},
        },
    },
}


@pytest.mark.parametrize("overrides", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_certification_launches_accepted(tool, platform, browser, overrides):
    _, url = tool
    response = platform.full_launch(browser, url, **overrides)
    assert response.status_code == 303, response.text
    home = browser.get(url + response.headers["Location"])
    assert home.status_code == 200


def test_expected_role_for_each_role_set(tool, platform, browser):
    _, url = tool
    for roles, expected in (
        ([INSTRUCTOR, LEARNER], "Staff"),
        (["Instructor"], "Staff"),
        ([MENTOR], "Guest"),
        ([], "Guest"),
        ([LEARNER], "Student"),
    ):
        browser.cookies.clear()
        response = platform.full_launch(browser, url, **{LTI + "roles": roles})
        page = browser.get(url + response.headers["Location"]).text
        assert f'">{expected}</span>' in page, roles


def test_fallback_name_when_platform_withholds_it(tool, platform, browser):
    _, url = tool
    response = platform.full_launch(
        browser, url, sub="4f2a9c", name=DROP, given_name=DROP, family_name=DROP, email=DROP
    )
    page = browser.get(url + response.headers["Location"]).text
    assert re.search(r"Student [0-9a-f]{4}\b", page)
    again = requests.Session()
    second = platform.full_launch(
        again, url, sub="4f2a9c", name=DROP, given_name=DROP, family_name=DROP, email=DROP
    )
    assert (
        re.search(r"Student [0-9a-f]{4}\b", page).group(0)
        in again.get(url + second.headers["Location"]).text
    )  # stable across launches
    named = platform.full_launch(requests.Session(), url, sub="4f2a9c", name="Ada Byron")
    assert named.status_code == 303  # a later launch that brings the name fills it in


class Ago(int):
    """A time this many seconds before the moment the token is signed (negative: after)."""


def _resolve(overrides: dict) -> dict:
    now = int(time.time())
    return {k: now - int(v) if isinstance(v, Ago) else v for k, v in overrides.items()}


REFUSED_CLAIMS = {
    "wrong LTI version": ({LTI + "version": "1.1"}, "bad_version"),
    "missing LTI version": ({LTI + "version": DROP}, "bad_version"),
    "no message type": ({LTI + "message_type": DROP}, "missing_message_type"),
    "unknown message type": (
        {LTI + "message_type": "LtiStartProctoring"},
        "unsupported_message_type",
    ),
    "message type as a list": (
        {LTI + "message_type": ["LtiResourceLinkRequest"]},
        "unsupported_message_type",
    ),
    "message type as an object": (
        {LTI + "message_type": {"type": "LtiResourceLinkRequest"}},
        "unsupported_message_type",
    ),
    "no roles claim": ({LTI + "roles": DROP}, "missing_roles"),
    "no deployment id": ({LTI + "deployment_id": DROP}, "missing_deployment_id"),
    "unknown deployment id": ({LTI + "deployment_id": "dep-unknown"}, "unknown_deployment"),
    "NUL in the deployment id": ({LTI + "deployment_id": "dep\x00-1"}, "bad_deployment_id"),
    "lone surrogate in the deployment id": (
        {LTI + "deployment_id": "dep-\ud800"},
        "bad_deployment_id",
    ),
    "NUL in the issuer": ({"iss": "https://lms.example.edu\x00"}, "bad_iss"),
    "NUL in the audience": ({"aud": "client-1\x00"}, "bad_aud"),
    "no resource link id": ({LTI + "resource_link": {"title": "x"}}, "missing_resource_link"),
    "no resource link claim": ({LTI + "resource_link": DROP}, "missing_resource_link"),
    "no sub": ({"sub": DROP}, "missing_sub"),
    "empty sub": ({"sub": ""}, "missing_sub"),
    "expired": ({"exp": Ago(3600), "iat": Ago(3700)}, "token_expired"),
    "issued in the future": (
        {"iat": Ago(-3600), "exp": Ago(-7200)},
        "token_from_future",
    ),
    "iat too far in the past": (
        {"iat": Ago(86400), "exp": Ago(-60)},
        "token_too_old",
    ),
    "no exp": ({"exp": DROP}, "missing_claim"),
    "no iat": ({"iat": DROP}, "missing_claim"),
    "wrong aud": ({"aud": "someone-else"}, "unknown_platform"),
    "aud list with untrusted extra": (
        {"aud": ["client-1", "evil-tool"], "azp": "client-1"},
        "untrusted_audience",
    ),
    "aud list without azp": ({"aud": ["client-1", "evil-tool"]}, "missing_azp"),
    "azp not an audience": ({"azp": "evil-tool"}, "bad_azp"),
    "unknown issuer": ({"iss": "https://evil.example.com"}, "unknown_platform"),
    "no nonce": ({"nonce": DROP}, "missing_nonce"),
    "nonce never issued": ({"nonce": "made-up-nonce"}, "nonce_not_bound"),
}


@pytest.mark.parametrize(("overrides", "code"), REFUSED_CLAIMS.values(), ids=REFUSED_CLAIMS.keys())
def test_certification_launches_refused(tool, platform, browser, overrides, code):
    _, url = tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce, **_resolve(overrides)))
    response = platform.launch(
        browser, url, token, login.state, headers={"Accept": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"] == code


def test_refusal_page_explains_what_to_fix(tool, platform, browser):
    _, url = tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce, **{LTI + "deployment_id": "dep-9"}))
    response = platform.launch(browser, url, token, login.state)
    assert response.status_code == 403
    assert "Deployment dep-9 is not registered for client client-1" in response.text
    assert "rapport platform add" in response.text


@pytest.mark.parametrize(
    ("kid", "headers", "code"),
    [(None, None, "missing_kid"), ("no-such-key", None, "unknown_kid")],
    ids=["no kid", "unknown kid"],
)
def test_token_header_refused(tool, platform, browser, kid, headers, code):
    _, url = tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce), kid=kid, headers=headers)
    response = platform.launch(
        browser, url, token, login.state, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == code


def test_signature_by_an_unknown_key_refused(tool, platform, browser):
    _, url = tool
    login = platform.login(browser, url)
    impostor = PlatformKey(platform.keys[0].kid)  # same kid, different key
    token = platform.sign(platform.claims(login.nonce), key=impostor)
    response = platform.launch(
        browser, url, token, login.state, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"


def test_hs256_token_refused(tool, platform, browser):
    import jwt

    _, url = tool
    login = platform.login(browser, url)
    token = jwt.encode(
        platform.claims(login.nonce),
        "secret" * 6,
        algorithm="HS256",
        headers={"kid": platform.keys[0].kid},
    )
    response = platform.launch(
        browser, url, token, login.state, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "bad_algorithm"


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "e30.e30.sig"])
def test_malformed_tokens_are_4xx(tool, platform, browser, garbage):
    _, url = tool
    login = platform.login(browser, url)
    response = platform.launch(browser, url, garbage, login.state)
    assert 400 <= response.status_code < 500


def test_replayed_launch_refused(tool, platform, browser):
    _, url = tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce))
    assert platform.launch(browser, url, token, login.state).status_code == 303
    replay = platform.launch(
        browser, url, token, login.state, headers={"Accept": "application/json"}
    )
    assert replay.status_code == 403
    assert replay.json()["error"] == "nonce_rejected"


def test_a_state_with_another_logins_unused_nonce_is_refused(tool, platform, browser):
    """State and nonce are issued as a pair: one browser's state with the nonce of another
    browser's login (which that browser has not used yet) is not a launch."""
    _, url = tool
    their_browser = requests.Session()
    mine = platform.login(browser, url)
    theirs = platform.login(their_browser, url)
    token = platform.sign(platform.claims(theirs.nonce))
    response = platform.launch(
        browser, url, token, mine.state, headers={"Accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "nonce_not_bound"
    # Their nonce was not used up by the refused launch: their own launch still works.
    assert platform.launch(their_browser, url, token, theirs.state).status_code == 303


def test_a_login_keeps_its_nonce_for_ten_minutes_not_a_day(live, platform, browser):
    """Anonymous logins cost the tool one short-lived key each, not a day of storage."""
    app, url = live(CACHE_TYPE="SimpleCache")  # a backend whose expiry times can be read
    register(app, platform)
    login = platform.login(browser, url)
    entries = app.extensions["cache"][cache]._cache
    kept = {key: value for key, value in entries.items() if login.state in key}
    assert len(kept) == 1, kept  # the login's parameters and its nonce, in one key
    ((expires, _value),) = kept.values()
    assert 0 < expires - time.time() <= 600


def test_forged_state_refused(tool, platform, browser):
    _, url = tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce))
    response = platform.launch(
        browser, url, token, "state-forged", headers={"Accept": "application/json"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "unknown_state"


def test_state_from_another_browser_refused(tool, platform, browser):
    """The state cookie binds the launch to the browser that began the login."""
    import requests

    _, url = tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce))
    other = requests.Session()
    response = platform.launch(
        other, url, token, login.state, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "cookies_blocked"


def test_login_refusals(tool, platform, browser):
    _, url = tool
    cases = [
        ({"iss": ""}, "missing_iss"),
        ({"login_hint": ""}, "missing_login_hint"),
        ({"target_link_uri": "https://elsewhere.example.com/launch"}, "foreign_target_link_uri"),
        ({"client_id": "nobody"}, "unknown_platform"),
        ({"iss": "https://unknown.example.com"}, "unknown_platform"),
        ({"lti_deployment_id": "dep-unknown"}, "unknown_deployment"),
    ]
    for params, code in cases:
        response = browser.post(
            url + "/lti/login",
            allow_redirects=False,
            data={**_login_params(platform, url), **params},
            headers={"Accept": "application/json"},
        )
        assert 400 <= response.status_code < 500, params
        assert response.json()["error"] == code, params


def test_login_by_get_and_without_client_id(tool, platform, browser):
    _, url = tool
    params = _login_params(platform, url)
    del params["client_id"]
    response = browser.get(url + "/lti/login", params=params, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(platform.issuer + "/auth?")
    assert "client_id=client-1" in response.headers["Location"]


def _login_params(platform, url):
    return {
        "iss": platform.issuer,
        "login_hint": "x",
        "target_link_uri": url + "/lti/launch",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }
