"""Deep linking: the instructor's request reaches Rapport through the OIDC flow, and the
return URL places what a correctly signed LtiDeepLinkingResponse carries — and nothing else."""

from __future__ import annotations

import html
import time
import uuid

import jwt
import pytest
import requests

from tests.demo.flow import LTI, launch_as, platform
from tests.keys import platform_key

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def _request(browser, url):
    """An instructor's deep-linking launch, accepted by Rapport; its settings claim."""
    launch = launch_as(browser, url, "instructor-margaret-chen", deep_linking="1")
    assert launch.launch.status_code == 303, launch.launch.text
    assert "/courses/" in launch.launch.headers["Location"]
    assert launch.claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert "resource_link" not in {k.rsplit("/", 1)[-1] for k in launch.claims}
    return launch.claims[DL + "deep_linking_settings"]


def _response(app, url, settings, key=None, **overrides):
    signer = app.extensions["rapport"].keyring.current()
    now = int(time.time())
    items = [
        {
            "type": "ltiResourceLink",
            "title": "Week 3 check-in",
            "text": "How is week 3 going?",
            "url": url + "/lti/launch",
            "custom": {"activity": "checkin-3"},
            "lineItem": {"scoreMaximum": 5, "label": "Week 3 check-in", "tag": "checkin"},
        },
        {"type": "html", "html": "<p>Hello</p>", "title": "A note"},
    ]
    claims = {
        "iss": "rapport-demo",
        "aud": url + "/demo",
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": "demo-deployment-1",
        DL + "data": settings["data"],
        DL + "content_items": items,
        DL + "msg": "Added a check-in to PSY101.",
        **overrides,
    }
    return jwt.encode(
        claims, key or signer.private_key, algorithm="RS256", headers={"kid": signer.kid}
    )


def test_deep_linking_request_settings(demo_lms, browser):
    _, url = demo_lms
    settings = _request(browser, url)
    assert settings["deep_link_return_url"] == url + "/demo/deep-link/return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is True
    assert settings["auto_create"] is True
    assert len(settings["data"]) >= 20


def test_signed_response_places_links_and_grade_columns(demo_lms, browser):
    app, url = demo_lms
    settings = _request(browser, url)
    token = _response(app, url, settings)
    answer = requests.post(settings["deep_link_return_url"], data={"JWT": token})
    assert answer.status_code == 200, answer.text
    page = html.unescape(answer.text)
    assert "1 item added to PSY101" in page
    assert "Added a check-in to PSY101." in page
    assert "A note" in page and "'html' was not asked for" in page

    state = platform(app)
    [placed] = state.placed_links()
    assert (placed.title, placed.custom) == ("Week 3 check-in", {"activity": "checkin-3"})
    [column] = state.store.line_items("demo-course-101", resource_link_id=placed.link_id)
    assert (column.fields.label, column.fields.score_maximum) == ("Week 3 check-in", 5)
    assert "Week 3 check-in" in requests.get(url + "/demo").text

    replay = requests.post(settings["deep_link_return_url"], data={"JWT": token})
    assert replay.status_code == 400
    assert "already used" in replay.text
    assert len(state.placed_links()) == 1

    student = launch_as(requests.Session(), url, "student-kenji-watanabe", link=placed.link_id)
    assert student.launch.status_code == 303
    assert student.claims[LTI + "resource_link"]["id"] == placed.link_id
    assert student.claims[LTI + "resource_link"]["title"] == "Week 3 check-in"
    # the link's own, and the history Canvas substitutes for Rapport (empty: not a copy)
    assert student.claims[LTI + "custom"] == {"activity": "checkin-3", "context_id_history": ""}
    assert student.claims[AGS_CLAIM]["lineitem"] == state.lineitem_url(column.number)


def _other_key():
    return platform_key()


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"key": "forged"}, "signature"),
        ({"aud": "https://lms.example.edu"}, "aud"),
        ({"iss": "someone-else"}, "iss"),
        ({"nonce": None}, "nonce"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({LTI + "message_type": "LtiResourceLinkRequest"}, "message_type"),
        ({LTI + "version": "1.1"}, "version"),
        ({LTI + "deployment_id": "another-deployment"}, "deployment_id"),
        ({DL + "data": "made-up"}, "data"),
    ],
)
def test_forged_or_wrong_responses_are_refused(demo_lms, browser, changes, why):
    app, url = demo_lms
    settings = _request(browser, url)
    key = _other_key() if changes.pop("key", None) else None
    token = _response(app, url, settings, key=key, **changes)
    answer = requests.post(settings["deep_link_return_url"], data={"JWT": token})
    assert answer.status_code == 400
    assert why in html.unescape(answer.text)
    assert platform(app).placed_links() == []


def test_return_without_a_jwt_is_400(demo_lms):
    _, url = demo_lms
    assert requests.post(url + "/demo/deep-link/return", data={}).status_code == 400
    assert requests.post(url + "/demo/deep-link/return", data={"JWT": "x.y.z"}).status_code == 400


def test_items_with_a_foreign_url_or_bad_line_item_are_reported_not_placed(demo_lms, browser):
    app, url = demo_lms
    settings = _request(browser, url)
    items = [
        {"type": "ltiResourceLink", "title": "Elsewhere", "url": "https://evil.example/x"},
        {"type": "ltiResourceLink", "title": "Bad column", "lineItem": {"scoreMaximum": -1}},
        {"type": "ltiResourceLink", "title": "Bad custom", "custom": {"n": 1}},
        {"type": "ltiResourceLink"},
    ]
    token = _response(app, url, settings, **{DL + "content_items": items})
    page = html.unescape(requests.post(settings["deep_link_return_url"], data={"JWT": token}).text)
    assert "1 item added" in page
    assert "not on the tool's host" in page
    assert "scoreMaximum must be a number greater than 0" in page
    assert "custom must map names to strings" in page
    assert [p.title for p in platform(app).placed_links()] == ["Rapport"]
