"""Deep linking with requests shaped exactly like Moodle 4.5's and Canvas's (tests/fixtures/lms).

The fixtures' claims are re-signed by the test platform with a fresh nonce and times, and the
link the LMS makes from Rapport's content item is launched with the student launch each LMS
sends, carrying the custom parameters the item asked for.
"""

from __future__ import annotations

import html
import time
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import GradableActivity
from lti_tool.services import placements
from tests.conftest import register, state
from tests.deep_linking_flow import (
    AGS,
    DL,
    ITEMS,
    LTI,
    SETTINGS,
    fixture,
    landing,
    open_picker,
    returned,
    submit,
    verify,
)
from tests.platform import INSTRUCTOR, TestPlatform

CASES = {
    "moodle": {
        "request": "moodle-4.5/id_token_deep_linking_request.claims.json",
        "login": "moodle-4.5/login_initiation_deep_linking.json",
        "student": "moodle-4.5/id_token_student_launch.claims.json",
        "lifetime": 60,
    },
    "canvas": {
        "request": "canvas/id_token_deep_linking.claims.json",
        "login": None,
        "student": "canvas/id_token_resource_link.claims.json",
        "lifetime": 3600,
    },
}


def _login_params(case: dict[str, Any], claims: dict[str, Any]) -> dict[str, str]:
    if case["login"]:
        params = dict(fixture(case["login"])["params"])
        params.pop("target_link_uri")
        return params
    return {"login_hint": claims["sub"]}


def _launch(lms, browser, url, case, claims, **changes) -> requests.Response:
    login = lms.login(browser, url, **_login_params(case, claims))
    assert login.response.status_code == 302, login.response.text
    now = int(time.time())
    body = {**claims, "iat": now, "exp": now + case["lifetime"], "nonce": login.nonce, **changes}
    return lms.launch(browser, url, lms.sign(body), login.state)


@pytest.mark.parametrize("lms_name", CASES)
def test_real_deep_linking_request_places_a_graded_activity(live, lms_name, feedback_kind):
    case = CASES[lms_name]
    request = fixture(case["request"])
    dl_settings = request[SETTINGS]
    with TestPlatform(
        issuer=request["iss"],
        client_id=request["aud"],
        deployment_id=request[LTI + "deployment_id"],
    ).running() as lms:
        app, url = live()
        register(app, lms)
        browser = requests.Session()
        # Canvas's fixture is a student's request; the teacher's differs only in roles.
        launch = _launch(lms, browser, url, case, request, **{LTI + "roles": [INSTRUCTOR]})
        page, form = open_picker(browser, url, launch)
        box = "checkbox" if dl_settings["accept_multiple"] else "radio"
        assert form.names(box).count("kind") == len(placements.placeable_kinds())
        note = "straight away" if dl_settings["auto_create"] else "before it is added"
        assert note in page.text
        answer = submit(
            browser,
            url,
            form,
            ["practice_feedback"],
            **{
                "title-practice_feedback": "Lab report feedback",
                "graded-practice_feedback": "yes",
                "points-practice_feedback": "12.5",
            },
        )
        action, token = returned(answer)
        assert action == dl_settings["deep_link_return_url"]
        claims, _ = verify(url, token, request["aud"], request["iss"])
        assert claims[LTI + "deployment_id"] == request[LTI + "deployment_id"]
        assert DL + "data" not in claims  # neither LMS sent any (Canvas keeps it in the URL)
        [item] = claims[ITEMS]
        assert item["lineItem"]["scoreMaximum"] == 12.5
        assert item["lineItem"]["label"] == "Lab report feedback"
        assert item["url"] == url + "/lti/launch"

        student = fixture(case["student"])
        column = student[AGS].get("lineitem") or student[AGS]["lineitems"] + "/2"
        student_browser = requests.Session()
        opened = _launch(
            lms,
            student_browser,
            url,
            case,
            student,
            **{
                LTI + "custom": {**student[LTI + "custom"], **item["custom"]},
                LTI + "resource_link": {"id": "placed-1", "title": "Lab report feedback"},
                AGS: {**student[AGS], "lineitem": column},
            },
        )
        assert opened.status_code == 303, opened.text
        assert landing(opened)[1] is not None
        home = student_browser.get(url + opened.headers["Location"])
        assert home.status_code == 200
        assert request[LTI + "context"]["title"] in home.text
        with transaction(state(app).sessions) as session:
            activity = session.scalars(select(GradableActivity)).one()
            assert (activity.lineitem_url, activity.score_maximum) == (column, 12.5)


@pytest.mark.parametrize("lms_name", CASES)
def test_real_student_deep_linking_request_is_refused(live, lms_name):
    case = CASES[lms_name]
    request = fixture(case["request"])
    with TestPlatform(
        issuer=request["iss"],
        client_id=request["aud"],
        deployment_id=request[LTI + "deployment_id"],
    ).running() as lms:
        app, url = live()
        register(app, lms)
        learner = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
        refused = _launch(lms, requests.Session(), url, case, request, **{LTI + "roles": [learner]})
        assert refused.status_code == 403
        assert "Only staff can add Rapport" in html.unescape(refused.text)
