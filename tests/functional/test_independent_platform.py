"""Rapport against an LTI platform its authors did not write: PyPI's lti1p3platform, over HTTP.

Every step is what a browser does: the login initiation posted to Rapport, the redirect to the
platform's OIDC endpoint, the auto-submitted form back to Rapport, the redirect to the course.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from jwcrypto.common import JWException
from jwcrypto.jwk import JWKSet
from jwcrypto.jwt import JWT

from tests.conftest import register
from tests.independent_platform import INSTRUCTOR, LEARNER, IndependentPlatform, auto_post_form
from tests.keys import platform_key


@pytest.fixture
def lms() -> Iterator[IndependentPlatform]:
    platform = IndependentPlatform()
    platform.add_user("u-ada", "Ada Lovelace", "ada@example.edu")
    platform.add_user("u-grace", "Grace Hopper", "grace@example.edu")
    platform.add_user("u-alan", "Alan Turing", "alan@example.edu")
    platform.add_course("c-poetry", "Introduction to Poetry", "POE101")
    platform.add_course("c-logic", "Logic and Computation", "LOG201")
    platform.enrol("c-poetry", "u-ada", LEARNER)
    platform.enrol("c-poetry", "u-alan", LEARNER)
    platform.enrol("c-poetry", "u-grace", INSTRUCTOR)
    platform.enrol("c-logic", "u-grace", LEARNER)
    platform.enrol("c-logic", "u-ada", INSTRUCTOR)
    with platform.running() as running:
        yield running


@pytest.fixture
def rapport(live: Any, lms: IndependentPlatform) -> tuple[Any, str]:
    app, url = live()
    lms.connect(url)
    register(app, lms)
    return app, url


@dataclass
class Launch:
    login: requests.Response
    auth: requests.Response
    launch: requests.Response
    form: dict[str, str]
    home: requests.Response

    @property
    def course_path(self) -> str:
        return self.launch.headers["Location"]


def launch(browser: requests.Session, lms: IndependentPlatform, url: str, course: str,
           user: str) -> Launch:
    """One launch, step by step, asserting each step went as the specs say."""
    login = browser.post(url + "/lti/login", data=lms.login_params(course, user),
                         allow_redirects=False)
    assert login.status_code == 302, login.text
    assert login.headers["Location"].startswith(lms.base_url + "/auth?")
    auth = browser.get(login.headers["Location"], allow_redirects=False)
    assert auth.status_code == 200, auth.text
    action, form = auto_post_form(auth.text)
    assert action == url + "/lti/launch"
    assert set(form) == {"id_token", "state"}
    response = browser.post(action, data=form, allow_redirects=False)
    assert response.status_code == 303, response.text
    home = browser.get(url + response.headers["Location"], allow_redirects=False)
    assert home.status_code == 200, home.text
    return Launch(login, auth, response, form, home)


def text(response: requests.Response) -> str:
    return html.unescape(response.text)


def test_learner_resource_link_launch(rapport, lms, browser):
    _, url = rapport
    result = launch(browser, lms, url, "c-poetry", "u-ada")
    page = text(result.home)
    assert "Ada Lovelace" in page
    assert "Introduction to Poetry" in page
    assert "You are a <strong>student</strong> in this course." in page
    assert "People Rapport knows" not in page
    # The token really came from lti1p3platform, carrying the nonce Rapport asked for.
    claims = jwt.decode(result.form["id_token"], options={"verify_signature": False})
    assert claims["nonce"] == lms.auth_requests[-1]["nonce"]
    assert claims["iss"] == lms.issuer
    assert claims["sub"] == "u-ada"


def test_login_by_get_from_the_platform_link(rapport, lms, browser):
    """The platform's own launch link: lti1p3platform's 302 to Rapport's login, as a GET."""
    _, url = rapport
    start = browser.get(lms.base_url + "/launch/c-poetry/u-alan", allow_redirects=False)
    assert start.status_code == 302
    assert start.headers["Location"].startswith(url + "/lti/login?")
    login = browser.get(start.headers["Location"], allow_redirects=False)
    assert login.status_code == 302, login.text
    auth = browser.get(login.headers["Location"], allow_redirects=False)
    assert auth.status_code == 200, auth.text
    action, form = auto_post_form(auth.text)
    response = browser.post(action, data=form, allow_redirects=False)
    assert response.status_code == 303, response.text
    home = browser.get(url + response.headers["Location"])
    assert "Alan Turing" in text(home)
    assert "Introduction to Poetry" in text(home)


def test_instructor_launch_shows_staff_information(rapport, lms, browser):
    _, url = rapport
    launch(requests.Session(), lms, url, "c-poetry", "u-ada")
    launch(requests.Session(), lms, url, "c-poetry", "u-alan")
    page = text(launch(browser, lms, url, "c-poetry", "u-grace").home)
    assert "Grace Hopper" in page
    assert "You are <strong>staff</strong> in this course." in page
    assert "People Rapport knows in this course" in page
    assert "<strong>3</strong> people in all" in page
    assert "<strong>1</strong> staff" in page
    assert "<strong>2</strong> students" in page


def test_role_comes_from_each_course_and_grants_stay_in_their_course(rapport, lms, browser):
    _, url = rapport
    # Ada: learner in Poetry, instructor in Logic; one browser, both courses.
    poetry = launch(browser, lms, url, "c-poetry", "u-ada")
    logic = launch(browser, lms, url, "c-logic", "u-ada")
    assert poetry.course_path != logic.course_path
    assert "People Rapport knows" not in text(poetry.home)
    assert "Logic and Computation" in text(logic.home)
    assert "You are <strong>staff</strong> in this course." in text(logic.home)
    assert "People Rapport knows in this course" in text(logic.home)
    # Each course keeps its own role in the same browser, whatever was launched last.
    again = text(browser.get(url + poetry.course_path))
    assert "Introduction to Poetry" in again
    assert "People Rapport knows" not in again
    assert "You are a <strong>student</strong> in this course." in again

    # The same person in another browser, launched into Poetry only: Logic stays closed.
    other = requests.Session()
    launch(other, lms, url, "c-poetry", "u-ada")
    refused = other.get(url + logic.course_path)
    assert refused.status_code == 403
    assert "Logic and Computation" not in refused.text

    # Editing the course id in the URL opens nothing this browser never launched into.
    alan = requests.Session()
    launch(alan, lms, url, "c-poetry", "u-alan")
    assert alan.get(url + logic.course_path).status_code == 403
    unknown_id = max(int(p.strip("/").split("/")[-1]) for p in (poetry.course_path,
                                                                   logic.course_path)) + 1
    assert browser.get(f"{url}/courses/{unknown_id}/").status_code == 403


def test_tool_jwks_verifies_with_an_independent_jwt_library(rapport):
    app, url = rapport
    key = app.extensions["rapport"].keyring.current()
    token = jwt.encode({"iss": "rapport", "aud": "lti1p3platform", "sub": "check"},
                       key.private_key, algorithm="RS256", headers={"kid": key.kid})

    document = requests.get(url + "/lti/jwks.json", timeout=10)
    assert document.status_code == 200
    assert document.headers["Content-Type"].startswith("application/json")
    keys = document.json()["keys"]
    private_members = {"d", "p", "q", "dp", "dq", "qi", "oth"}
    assert all(not private_members & set(k) for k in keys)
    assert all(k.get("kty") == "RSA" and k.get("alg") == "RS256" for k in keys)
    keyset = JWKSet.from_json(document.text)

    verified = JWT(jwt=token, key=keyset, algs=["RS256"])
    assert json.loads(verified.claims)["sub"] == "check"

    # The same kid with a different key must not verify: the check can fail.
    impostor = platform_key()
    forged = jwt.encode({"sub": "check"}, impostor, algorithm="RS256", headers={"kid": key.kid})
    with pytest.raises(JWException):
        JWT(jwt=forged, key=keyset, algs=["RS256"])
    well_known = requests.get(url + "/.well-known/jwks.json", timeout=10)
    assert well_known.json() == document.json()


# Both nonce tests failed at 03f5884 on the default store (no REDIS_URL): cachelib's
# FileSystemCache.delete() answers True for a missing key, so any nonce was "used up" again.
def test_replayed_launch_in_the_same_browser_is_refused(rapport, lms, browser):
    _, url = rapport
    first = launch(browser, lms, url, "c-poetry", "u-ada")
    replay = browser.post(url + "/lti/launch", data=first.form, allow_redirects=False)
    assert 400 <= replay.status_code < 500, replay.text
    assert "Location" not in replay.headers
    assert "could not open this launch" in text(replay)


def test_replayed_launch_from_another_browser_is_refused(rapport, lms, browser):
    _, url = rapport
    first = launch(browser, lms, url, "c-poetry", "u-ada")
    stranger = requests.Session()
    replay = stranger.post(url + "/lti/launch", data=first.form, allow_redirects=False)
    assert 400 <= replay.status_code < 500, replay.text
    assert "Location" not in replay.headers
    assert stranger.get(url + first.course_path).status_code == 403


def test_nonce_rapport_never_issued_is_refused(rapport, lms, browser):
    """The browser rewrites the nonce in the auth request; the platform signs what it is sent."""
    _, url = rapport
    login = browser.post(url + "/lti/login", data=lms.login_params("c-poetry", "u-ada"),
                         allow_redirects=False)
    location = login.headers["Location"]
    nonce = lms_param(location, "nonce")
    auth = browser.get(location.replace(nonce, "made-up-by-the-browser"), allow_redirects=False)
    assert auth.status_code == 200, auth.text
    action, form = auto_post_form(auth.text)
    assert jwt.decode(form["id_token"], options={"verify_signature": False})["nonce"] == (
        "made-up-by-the-browser")
    refused = browser.post(action, data=form, allow_redirects=False)
    assert 400 <= refused.status_code < 500, refused.text
    assert "Location" not in refused.headers


def lms_param(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query)[name][0]


@pytest.mark.parametrize("known", ["other client", "other issuer"])
def test_platform_rapport_does_not_know_is_refused_by_name(live, known, browser):
    platform = IndependentPlatform(client_id="unknown-client-42")
    platform.add_user("u-ada", "Ada Lovelace")
    platform.add_course("c-poetry", "Introduction to Poetry")
    platform.enrol("c-poetry", "u-ada", LEARNER)
    with platform.running():
        app, url = live()
        platform.connect(url)
        changes = ({"client_id": "the-client-rapport-knows"} if known == "other client"
                   else {"issuer": "https://another-lms.example.edu"})
        register(app, platform, **changes)
        refused = browser.post(url + "/lti/login", data=platform.login_params("c-poetry", "u-ada"),
                               allow_redirects=False)
        assert 400 <= refused.status_code < 500, refused.text
        assert "Location" not in refused.headers
        page = text(refused)
        assert f"No platform is registered with issuer {platform.issuer}" in page
        assert "client unknown-client-42" in page
        assert platform.auth_requests == []
