"""Deep linking against a platform Rapport's authors did not write: lti1p3platform over HTTP.

lti1p3platform signs the `LtiDeepLinkingRequest` and checks Rapport's answer itself (signature
against Rapport's JWKS fetched over HTTP, message type, item types); jwcrypto checks the claims
it leaves unchecked (`aud`, `data`).
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import Placement, ResourceLink
from tests.conftest import register, state
from tests.deep_linking_flow import DL, ITEMS, landing, open_picker, returned, submit, verify
from tests.independent_dl import DeepLinkingPlatform
from tests.independent_platform import INSTRUCTOR, LEARNER, auto_post_form


@pytest.fixture
def lms() -> Iterator[DeepLinkingPlatform]:
    platform = DeepLinkingPlatform()
    platform.add_user("u-grace", "Grace Hopper", "grace@example.edu")
    platform.add_user("u-ada", "Ada Lovelace", "ada@example.edu")
    platform.add_course("c-poetry", "Introduction to Poetry", "POE101")
    platform.add_course("c-logic", "Logic and Computation", "LOG201")
    platform.enrol("c-poetry", "u-grace", INSTRUCTOR)
    platform.enrol("c-poetry", "u-ada", LEARNER)
    platform.enrol("c-logic", "u-ada", LEARNER)
    with platform.running() as running:
        yield running


@pytest.fixture
def rapport(live: Any, lms: DeepLinkingPlatform) -> tuple[Any, str]:
    app, url = live()
    lms.connect(url)
    register(app, lms)
    return app, url


def through_oidc(browser: requests.Session, url: str, params: dict[str, str]) -> requests.Response:
    """Login initiation → the platform's auth endpoint → its auto-posted id_token → Rapport."""
    login = browser.post(url + "/lti/login", data=params, allow_redirects=False)
    assert login.status_code == 302, login.text
    auth = browser.get(login.headers["Location"], allow_redirects=False)
    assert auth.status_code == 200, auth.text
    action, form = auto_post_form(auth.text)
    return browser.post(action, data=form, allow_redirects=False)


def test_lti1p3platform_accepts_what_rapport_places_and_launches_it(rapport, lms):
    app, url = rapport
    teacher = requests.Session()
    request = through_oidc(teacher, url, lms.dl_login_params("c-poetry", "u-grace"))
    page, form = open_picker(teacher, url, request)
    assert "Add Rapport to Introduction to Poetry" in html.unescape(page.text)
    action, token = returned(submit(teacher, url, form, ["course_home"]))
    assert action == lms.return_url

    answered = teacher.post(action, data={"JWT": token})
    assert answered.status_code == 200, answered.text
    assert answered.text == "1 item(s) added"
    [item] = lms.accepted
    claims, _ = verify(url, token, lms.client_id, lms.issuer)
    assert claims[DL + "data"] == lms.data  # lti1p3platform sends an object: echoed as is
    assert claims[ITEMS] == [item]

    student = requests.Session()
    params = lms.item_login_params("c-poetry", "u-ada", item, link_id="placed-7")
    opened = through_oidc(student, url, params)
    assert opened.status_code == 303, opened.text
    home = student.get(url + opened.headers["Location"])
    assert "Ada Lovelace" in home.text and "Introduction to Poetry" in home.text
    with transaction(state(app).sessions) as session:
        link = session.scalars(
            select(ResourceLink).where(ResourceLink.resource_link_id == "placed-7")
        ).one()
        placement = session.get(Placement, link.placement_id)
        assert placement is not None and placement.token == item["custom"]["rapport_placement"]


def test_lti1p3platform_refuses_a_tampered_answer(rapport, lms):
    """The platform really checks the signature: a changed payload is refused."""
    _, url = rapport
    teacher = requests.Session()
    request = through_oidc(teacher, url, lms.dl_login_params("c-poetry", "u-grace"))
    _, form = open_picker(teacher, url, request)
    _, token = returned(submit(teacher, url, form, ["course_home"]))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[ITEMS][0]["url"] = "https://elsewhere.example/launch"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    refused = teacher.post(lms.return_url, data={"JWT": f"{header}.{forged}.{signature}"})
    assert refused.status_code == 400
    assert "Signature verification failed" in lms.refusals[0]
    assert teacher.post(lms.return_url, data={"JWT": token}).status_code == 200
    assert len(lms.accepted) == 1


def test_a_link_copied_into_another_course_opens_a_copy_there(rapport, lms):
    """An LMS copying a course copies its links (issue 18): the copy opens the kind's page of
    the course it is in, through a placement of that course, never the old course's."""
    app, url = rapport
    teacher = requests.Session()
    request = through_oidc(teacher, url, lms.dl_login_params("c-poetry", "u-grace"))
    _, form = open_picker(teacher, url, request)
    _, token = returned(submit(teacher, url, form, ["course_home"]))
    assert teacher.post(lms.return_url, data={"JWT": token}).status_code == 200
    [item] = lms.accepted
    copied = through_oidc(
        requests.Session(), url, lms.item_login_params("c-logic", "u-ada", item, "copy-1")
    )
    assert copied.status_code == 303
    with transaction(state(app).sessions) as session:
        link = session.scalars(
            select(ResourceLink).where(ResourceLink.resource_link_id == "copy-1")
        ).one()
        copy = session.get_one(Placement, link.placement_id)
        assert copy.course_id == link.course_id and copy.copied_from_id is not None
        assert session.get_one(Placement, copy.copied_from_id).course_id != link.course_id
        assert landing(copied) == (f"/courses/{link.course_id}/", None)
