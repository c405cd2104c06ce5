"""The demo LMS's token endpoint checks the tool's client assertion as a platform must
(LTI Security Framework §4.1, RFC 7523 §3) and answers as RFC 6749 §5.1/§5.2 say."""

from __future__ import annotations

import time

import pytest
import requests

from tests.demo.flow import (
    AGS,
    JWT_BEARER,
    NRPS_SCOPE,
    client_assertion,
    platform,
    request_token,
)
from tests.keys import platform_key


def test_a_correctly_signed_assertion_gets_a_bearer_token(demo_lms):
    app, url = demo_lms
    response = request_token(url, client_assertion(app, url),
                             f"{AGS}score {AGS}lineitem {NRPS_SCOPE}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {AGS + "score", AGS + "lineitem", NRPS_SCOPE}
    assert len(body["access_token"]) >= 32
    assert response.headers["Cache-Control"] == "no-store"
    assert platform(app).store.counter("token_requests") == 1
    assert platform(app).store.counter("tokens_issued") == 1


def test_an_audience_list_containing_the_token_url_is_accepted(demo_lms):
    app, url = demo_lms
    assertion = client_assertion(app, url, aud=["https://elsewhere.example", url + "/demo/token"])
    assert request_token(url, assertion).status_code == 200


def test_only_supported_scopes_are_granted(demo_lms):
    app, url = demo_lms
    response = request_token(url, client_assertion(app, url),
                             f"{AGS}score https://example.com/scope/everything")
    assert response.json()["scope"] == AGS + "score"


def _forged_key_assertion(app, url):
    other = platform_key()
    return client_assertion(app, url, key=other)  # the tool's kid, someone else's key


@pytest.mark.parametrize(("make", "status", "error", "why"), [
    (_forged_key_assertion, 401, "invalid_client", "signature"),
    (lambda app, url: client_assertion(app, url, aud="https://lms.example.edu/token"),
     401, "invalid_client", "aud"),
    (lambda app, url: client_assertion(app, url, iss="someone-else"), 401, "invalid_client", "iss"),
    (lambda app, url: client_assertion(app, url, sub="someone-else"), 401, "invalid_client", "sub"),
    (lambda app, url: client_assertion(app, url, exp=int(time.time()) - 600),
     401, "invalid_client", "expired"),
    (lambda app, url: client_assertion(app, url, kid="no-such-key"), 401, "invalid_client",
     "not in the tool's JWKS"),
    (lambda app, url: "not-a-jwt", 401, "invalid_client", "not a JSON Web Token"),
])
def test_bad_client_assertions_are_refused(demo_lms, make, status, error, why):
    app, url = demo_lms
    response = request_token(url, make(app, url))
    assert response.status_code == status
    assert response.json()["error"] == error
    assert why in response.json()["error_description"]
    assert platform(app).store.counter("tokens_issued") == 0


def test_a_reused_assertion_is_refused(demo_lms):
    app, url = demo_lms
    assertion = client_assertion(app, url)
    assert request_token(url, assertion).status_code == 200
    replay = request_token(url, assertion)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"
    assert "already used" in replay.json()["error_description"]


def test_assertion_without_jti_is_refused(demo_lms):
    app, url = demo_lms
    response = request_token(url, client_assertion(app, url, jti=None))
    assert response.status_code == 401
    assert "jti" in response.json()["error_description"]


@pytest.mark.parametrize(("data", "error"), [
    ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
    ({"grant_type": ""}, "invalid_request"),
    ({"client_assertion_type": "urn:example:other"}, "invalid_client"),
    ({"client_assertion": ""}, "invalid_request"),
    ({"scope": ""}, "invalid_scope"),
    ({"scope": "https://example.com/scope/everything"}, "invalid_scope"),
])
def test_malformed_token_requests_get_the_oauth_error(demo_lms, data, error):
    app, url = demo_lms
    form = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion(app, url), "scope": AGS + "score", **data}
    response = requests.post(url + "/demo/token", data=form)
    assert response.status_code in (400, 401)
    assert response.json()["error"] == error
