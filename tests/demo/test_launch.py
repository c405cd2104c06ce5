"""Launching Rapport from the demo LMS through the whole OIDC flow, as a browser does."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from tests.demo.flow import LTI, auth_url, launch_as, only_form, parse_page, platform

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


def _home(browser, url, launch):
    assert launch.launch.status_code == 303, launch.launch.text
    home = browser.get(url + launch.launch.headers["Location"])
    assert home.status_code == 200
    return html.unescape(home.text)


def test_student_launch_lands_on_course_home(demo_lms, browser):
    _, url = demo_lms
    launch = launch_as(browser, url, "student-amara-okafor")
    text = _home(browser, url, launch)
    assert "Amara Okafor" in text
    assert "Foundations of Psychology" in text
    assert "You are a <strong>student</strong>" in text


@pytest.mark.parametrize(
    ("person_id", "name", "role"),
    [
        ("instructor-margaret-chen", "Margaret Chen", INSTRUCTOR),
        ("ta-tomas-rivera", "Tomás Rivera", TA),
    ],
)
def test_teaching_team_launches_as_staff(demo_lms, browser, person_id, name, role):
    _, url = demo_lms
    launch = launch_as(browser, url, person_id)
    text = _home(browser, url, launch)
    assert name in text
    assert "You are <strong>staff</strong>" in text
    assert role in launch.claims[LTI + "roles"]


def test_id_token_is_signed_by_the_demo_key_and_carries_the_lti_claims(demo_lms, browser):
    app, url = demo_lms
    launch = launch_as(browser, url, "student-liam-obrien")
    key = jwt.PyJWKSet.from_dict(requests.get(url + "/demo/jwks.json").json()).keys[0]
    claims = jwt.decode(
        launch.id_token, key, algorithms=["RS256"], audience="rapport-demo", issuer=url + "/demo"
    )
    assert jwt.get_unverified_header(launch.id_token)["kid"] == key.key_id
    sent = parse_qs(urlsplit(auth_url(launch.login)).query)
    assert claims["nonce"] == sent["nonce"][0]
    assert claims["exp"] - claims["iat"] == 300
    assert claims["name"] == "Liam O'Brien"
    assert claims["sub"] == platform(app).course.person("student-liam-obrien").sub
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "roles"][0] == LEARNER
    assert claims[LTI + "resource_link"]["id"] == "demo-link-rapport"
    assert claims[LTI + "context"]["label"] == "PSY101"
    assert claims[LTI + "tool_platform"]["product_family_code"] == "rapport-demo"
    assert claims[LTI + "launch_presentation"]["document_target"] == "iframe"
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps["context_memberships_url"] == url + "/demo/nrps/demo-course-101/memberships"
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert ags["lineitems"] == url + "/demo/ags/demo-course-101/lineitems?type_id=1"
    assert "lineitem" not in ags  # the link has no gradebook column yet


def test_the_sub_is_stable_across_launches(demo_lms, browser):
    _, url = demo_lms
    first = launch_as(browser, url, "student-priya-raman")
    second = launch_as(requests.Session(), url, "student-priya-raman")
    assert first.claims["sub"] == second.claims["sub"]


def test_privacy_limited_student_launches_without_name_claims(demo_lms, browser):
    _, url = demo_lms
    launch = launch_as(browser, url, "student-private")
    assert not {"name", "given_name", "family_name", "email"} & set(launch.claims)
    text = _home(browser, url, launch)
    assert "You are a <strong>student</strong>" in text


def test_new_window_launch_says_so_in_launch_presentation(demo_lms, browser):
    _, url = demo_lms
    launch = launch_as(browser, url, "student-sofia-rossi", new_window=True)
    assert launch.claims[LTI + "launch_presentation"]["document_target"] == "window"
    assert launch.launch.status_code == 303


def _auth_params(browser, url):
    """The auth request Rapport's login sends the browser to, as parameters."""
    form = only_form(browser.get(url + "/demo/launch/student-amara-okafor/start"))
    redirect = browser.post(form.action, data=form.fields, allow_redirects=False)
    return {k: v[0] for k, v in parse_qs(urlsplit(auth_url(redirect)).query).items()}


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"redirect_uri": "http://evil.example/lti/launch"}, 400, "redirect_uri"),
        ({"client_id": "someone-else"}, 400, "client_id"),
        ({"login_hint": "nobody"}, 400, "login_hint"),
        ({"nonce": ""}, 400, "nonce is required"),
        ({"state": ""}, 400, "state is required"),
        ({"response_type": "code"}, 400, "response_type"),
        ({"prompt": "login"}, 400, "prompt"),
        ({"scope": "profile"}, 400, "scope"),
        ({"lti_message_hint": "not json"}, 400, "lti_message_hint"),
        ({"lti_message_hint": '{"deep_linking":true}'}, 403, "student"),
        ({"lti_message_hint": '{"link_id":"gone"}'}, 404, "no link"),
    ],
)
def test_auth_endpoint_refuses_bad_requests_clearly(demo_lms, browser, change, status, reason):
    _, url = demo_lms
    params = {**_auth_params(browser, url), **change}
    for method in (browser.get, browser.post):
        kwargs = {"params": params} if method == browser.get else {"data": params}
        response = method(url + "/demo/auth", **kwargs)
        assert response.status_code == status
        assert reason in html.unescape(response.text)
        assert not parse_page(response.text).forms  # nothing is posted to the tool


def test_auth_endpoint_answers_a_post_as_well(demo_lms, browser):
    _, url = demo_lms
    params = _auth_params(browser, url)
    form = only_form(browser.post(url + "/demo/auth", data=params))
    assert form.action == url + "/lti/launch"
    assert set(form.fields) == {"id_token", "state"}
    assert form.fields["state"] == params["state"]
