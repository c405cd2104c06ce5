"""Deep Linking 2.0 over HTTP: a teacher's request, the picker, the signed answer, the placed link.

The platform is the test platform (PyJWT, written from the specs); the answer is checked with
jwcrypto against the JWKS Rapport serves, as a platform would.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import Course, GradableActivity, Placement, Registration, ResourceLink
from lti_tool.services import placements
from lti_tool.services.placements import PlaceableKind
from tests.conftest import state
from tests.deep_linking_flow import (
    AGS,
    DL,
    ITEMS,
    LTI,
    dl_launch,
    landing,
    link_launch,
    open_picker,
    parse,
    returned,
    settings,
    submit,
    verify,
)
from tests.platform import DROP, LEARNER

RETURN_URL = "https://lms.example.edu/deep-link/return?course=1"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"


@pytest.fixture
def graded_kind(monkeypatch: pytest.MonkeyPatch) -> PlaceableKind:
    """A gradable kind as a later feature registers one; its view takes the placement id."""
    kind = PlaceableKind(
        kind="practice_feedback",
        title="Practice feedback",
        description="A practice activity with feedback from a named teacher.",
        gradable=True,
        view_endpoint="course.home",  # url_for adds placement_id as a query parameter
        opens_placement=True,
        default_points=20,
    )
    monkeypatch.setitem(placements._KINDS, kind.kind, kind)
    return kind


def rows(app: Any, model: type) -> list[Any]:
    with transaction(state(app).sessions) as session:
        found = list(session.scalars(select(model).order_by(model.id)))
        session.expunge_all()
        return found


def place(browser, url, platform, dl_settings=None, kinds=None, **fields):
    launch = dl_launch(browser, url, platform, dl_settings)
    _, form = open_picker(browser, url, launch)
    return submit(browser, url, form, kinds or ["course_home"], **fields)


def test_teacher_places_course_home_and_a_launch_of_it_opens_it(tool, platform, browser):
    app, url = tool
    launch = dl_launch(browser, url, platform)
    page, form = open_picker(browser, url, launch)
    assert "Add Rapport to Introduction to Poetry" in html.unescape(page.text)
    # accept_multiple: several may be chosen, one box per kind Rapport offers
    assert form.names("checkbox") == ["kind"] * len(placements.placeable_kinds())
    assert "csrf_token" in form.names("hidden")
    action, token = returned(submit(browser, url, form, ["course_home"]))
    assert action == RETURN_URL

    claims, kid = verify(url, token, platform.client_id, platform.issuer)
    assert kid == state(app).keyring.current().kid
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == platform.deployment_id
    assert claims[DL + "data"] == "opaque-csrf-ish-value-42"
    assert claims["exp"] > claims["iat"] and len(claims["nonce"]) >= 16
    assert "azp" not in claims
    [item] = claims[ITEMS]
    [placement] = rows(app, Placement)
    assert item == {
        "type": "ltiResourceLink",
        "title": "Course newsfeed",
        "text": placements.kind_named("course_home").description,
        "url": url + "/lti/launch",
        "custom": {"rapport_placement": placement.token, "rapport_kind": "course_home"},
        "iframe": {"height": 800},
    }
    assert (placement.kind, placement.graded) == ("course_home", False)

    student = link_launch(requests.Session(), url, platform, item["custom"], sub="s-1")
    assert student.status_code == 303
    assert landing(student) == (f"/courses/{placement.course_id}/", None)
    [link] = rows(app, ResourceLink)
    assert (link.resource_link_id, link.placement_id) == ("placed-link-1", placement.id)


def test_graded_item_carries_its_line_item_and_its_launch_binds_the_column(
    tool, platform, browser, graded_kind
):
    app, url = tool
    launch = dl_launch(browser, url, platform)
    page, form = open_picker(browser, url, launch)
    assert "Graded in your LMS gradebook?" in page.text
    answer = submit(
        browser,
        url,
        form,
        ["practice_feedback"],
        **{
            "title-practice_feedback": "Essay 1 feedback",
            "graded-practice_feedback": "yes",
            "points-practice_feedback": "25",
        },
    )
    _, token = returned(answer)
    claims, _ = verify(url, token, platform.client_id, platform.issuer)
    [item] = claims[ITEMS]
    [placement] = rows(app, Placement)
    assert item["title"] == "Essay 1 feedback"
    assert item["lineItem"] == {
        "scoreMaximum": 25,
        "label": "Essay 1 feedback",
        "resourceId": f"placement:{placement.id}",
        "tag": "practice_feedback",
    }
    [activity] = rows(app, GradableActivity)
    assert (activity.key, activity.label, activity.score_maximum, activity.lineitem_url) == (
        f"placement:{placement.id}",
        "Essay 1 feedback",
        25,
        None,
    )

    column = "https://lms.example.edu/api/lti/courses/1/line_items/77"
    ags = {"scope": [], "lineitems": column.rsplit("/", 1)[0], "lineitem": column}
    opened = link_launch(requests.Session(), url, platform, item["custom"], **{AGS: ags})
    assert landing(opened) == (f"/courses/{placement.course_id}/", str(placement.id))
    [activity] = rows(app, GradableActivity)
    assert (activity.lineitem_url, activity.resource_link_id) == (column, "placed-link-1")


def test_several_items_when_the_platform_accepts_several(tool, platform, browser, graded_kind):
    app, url = tool
    answer = place(browser, url, platform, kinds=["course_home", "practice_feedback"])
    claims, _ = verify(url, returned(answer)[1], platform.client_id, platform.issuer)
    assert [i["custom"]["rapport_kind"] for i in claims[ITEMS]] == [
        "course_home",
        "practice_feedback",
    ]
    assert "lineItem" not in claims[ITEMS][1]  # graded "no" is the default
    assert len({p.token for p in rows(app, Placement)}) == 2


def test_accept_multiple_false_allows_one_item(tool, platform, browser, graded_kind):
    app, url = tool
    launch = dl_launch(browser, url, platform, settings(accept_multiple=False))
    _, form = open_picker(browser, url, launch)
    assert form.names("radio").count("kind") == len(
        placements.placeable_kinds()
    ) and "checkbox" not in {c.type for c in form.controls}
    two = submit(browser, url, form, ["course_home", "practice_feedback"])
    assert two.status_code == 422
    assert "one activity at a time" in html.unescape(two.text)
    assert rows(app, Placement) == []
    claims, _ = verify(
        url,
        returned(submit(browser, url, form, ["practice_feedback"]))[1],
        platform.client_id,
        platform.issuer,
    )
    assert len(claims[ITEMS]) == 1


def test_accept_lineitem_false_omits_the_line_item(tool, platform, browser, graded_kind):
    app, url = tool
    launch = dl_launch(browser, url, platform, settings(accept_lineitem=False))
    page, form = open_picker(browser, url, launch)
    assert "Graded in your LMS gradebook?" not in page.text
    assert "added ungraded" in page.text
    forced = submit(
        browser,
        url,
        form,
        ["practice_feedback"],
        **{"graded-practice_feedback": "yes", "points-practice_feedback": "10"},
    )
    assert forced.status_code == 422
    assert "does not take gradebook columns" in html.unescape(forced.text)
    answer = submit(browser, url, form, ["practice_feedback"])
    claims, _ = verify(url, returned(answer)[1], platform.client_id, platform.issuer)
    [item] = claims[ITEMS]
    assert "lineItem" not in item
    assert rows(app, GradableActivity) == []


@pytest.mark.parametrize(
    ("points", "shown"),
    [
        ("0", "greater than 0"),
        ("-3", "greater than 0"),
        ("lots", "greater than 0"),
        ("20000", "at most 10000"),
    ],
)
def test_points_must_be_sensible(tool, platform, browser, graded_kind, points, shown):
    app, url = tool
    answer = place(
        browser,
        url,
        platform,
        kinds=["practice_feedback"],
        **{"graded-practice_feedback": "yes", "points-practice_feedback": points},
    )
    assert answer.status_code == 422
    assert shown in html.unescape(answer.text)
    assert 'aria-invalid="true"' in answer.text
    assert rows(app, Placement) == []


def test_data_is_left_out_when_the_request_had_none(tool, platform, browser):
    _, url = tool
    answer = place(browser, url, platform, settings(data=DROP))
    claims, _ = verify(url, returned(answer)[1], platform.client_id, platform.issuer)
    assert DL + "data" not in claims


def test_structured_data_is_echoed_exactly(tool, platform, browser):
    _, url = tool
    data = {"course": 1, "nested": ["a", {"b": None}]}
    answer = place(browser, url, platform, settings(data=data))
    claims, _ = verify(url, returned(answer)[1], platform.client_id, platform.issuer)
    assert claims[DL + "data"] == data


def test_only_the_window_target_when_the_platform_offers_only_windows(tool, platform, browser):
    _, url = tool
    answer = place(
        browser, url, platform, settings(accept_presentation_document_targets=["window"])
    )
    claims, _ = verify(url, returned(answer)[1], platform.client_id, platform.issuer)
    [item] = claims[ITEMS]
    assert item["window"] == {"targetName": "rapport"}
    assert "iframe" not in item


def test_platform_that_does_not_accept_links_gets_an_explanation(tool, platform, browser):
    app, url = tool
    launch = dl_launch(browser, url, platform, settings(accept_types=["file", "html"]))
    page = browser.get(url + launch.headers["Location"])
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "cannot take Rapport's activities" in text and "file, html" in text
    [cancel] = parse(page.text).forms
    assert cancel.action.endswith("/cancel")
    answer = browser.post(url + cancel.action, data=dict(cancel.values()))
    claims, _ = verify(url, returned(answer)[1], platform.client_id, platform.issuer)
    assert claims[ITEMS] == []
    assert "only add LTI links" in claims[DL + "errormsg"]
    assert rows(app, Placement) == []


def test_cancel_returns_nothing_and_uses_the_request_up(tool, platform, browser):
    app, url = tool
    launch = dl_launch(browser, url, platform)
    page, form = open_picker(browser, url, launch)
    [cancel] = [f for f in parse(page.text).forms if f.action.endswith("/cancel")]
    answer = browser.post(url + cancel.action, data=dict(cancel.values()))
    claims, _ = verify(url, returned(answer)[1], platform.client_id, platform.issuer)
    assert claims[ITEMS] == []
    assert claims[DL + "msg"] == "Nothing was added from Rapport."
    again = submit(browser, url, form, ["course_home"])
    assert again.status_code == 404
    assert "already answered" in again.text
    assert rows(app, Placement) == []


def test_a_request_is_answered_once(tool, platform, browser):
    app, url = tool
    launch = dl_launch(browser, url, platform)
    _, form = open_picker(browser, url, launch)
    returned(submit(browser, url, form, ["course_home"]))
    again = submit(browser, url, form, ["course_home"])
    assert again.status_code == 404
    assert "expired or was already answered" in again.text
    assert browser.get(url + launch.headers["Location"]).status_code == 404
    assert len(rows(app, Placement)) == 1


def test_picker_refuses_a_post_without_the_csrf_token(tool, platform, browser):
    app, url = tool
    launch = dl_launch(browser, url, platform)
    _, form = open_picker(browser, url, launch)
    forged = browser.post(url + form.action, data={"kind": "course_home"})
    assert forged.status_code == 400
    assert rows(app, Placement) == []


@pytest.mark.parametrize("role", [LEARNER, MENTOR], ids=["student", "mentor"])
def test_a_non_staff_deep_linking_launch_gets_a_clear_403(tool, platform, browser, role):
    app, url = tool
    refused = dl_launch(browser, url, platform, **{LTI + "roles": [role]})
    assert refused.status_code == 403
    assert "Only staff can add Rapport to this course" in refused.text
    assert rows(app, Placement) == []


@pytest.mark.parametrize(
    "return_url",
    [
        "javascript:alert(document.domain)//",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//lms.example.edu/no-scheme",
        "https:///no-host",
    ],
)
def test_a_return_url_that_is_not_http_is_refused_at_launch(tool, platform, browser, return_url):
    """Rapport's return page posts the response to this URL: only a web address may be it."""
    _, url = tool
    refused = dl_launch(
        browser,
        url,
        platform,
        settings(deep_link_return_url=return_url),
        sub="teacher-js",
    )
    assert refused.status_code == 400
    assert "not an http(s) address" in refused.text
    assert "javascript:" not in refused.text.lower()


def test_the_picker_belongs_to_the_teacher_who_opened_it(tool, platform, browser):
    _, url = tool
    launch = dl_launch(browser, url, platform, sub="teacher-1")
    picker = launch.headers["Location"]
    assert requests.get(url + picker).status_code == 403  # no launch in this browser
    student = requests.Session()
    link_launch(student, url, platform, {}, sub="student-1")
    assert student.get(url + picker).status_code == 403
    colleague = requests.Session()
    dl_launch(colleague, url, platform, sub="teacher-2")
    assert colleague.get(url + picker).status_code == 404
    assert browser.get(url + picker).status_code == 200
    assert browser.get(url + picker[:-4] + "abcd").status_code == 404


def test_a_link_copied_into_another_course_opens_a_copy_made_there(tool, platform, browser):
    """An LMS copying a course copies its links, custom parameters and all (issue 18): the
    copied link finds a copy of its placement made for the new course, never the old one."""
    app, url = tool
    _, token = returned(place(browser, url, platform))
    claims, _ = verify(url, token, platform.client_id, platform.issuer)
    custom = claims[ITEMS][0]["custom"]
    other = {"id": "course-2", "title": "Logic", "label": "LOG201"}
    for _ in range(2):  # a second launch finds the same copy
        opened = link_launch(
            requests.Session(), url, platform, custom, link_id="copied-link",
            **{LTI + "context": other},
        )  # fmt: skip
    original, copy = rows(app, Placement)
    links = {link.resource_link_id: link for link in rows(app, ResourceLink)}
    assert copy.course_id == links["copied-link"].course_id != original.course_id
    assert copy.copied_from_id == original.id and copy.token != original.token
    assert (copy.kind, copy.title) == (original.kind, original.title)
    assert links["copied-link"].placement_id == copy.id
    assert landing(opened) == (f"/courses/{copy.course_id}/", None)


def test_a_token_of_another_platforms_course_does_not_resolve(tool, platform, browser):
    app, url = tool
    _, token = returned(place(browser, url, platform))
    claims, _ = verify(url, token, platform.client_id, platform.issuer)
    custom = claims[ITEMS][0]["custom"]
    [placement] = rows(app, Placement)
    with transaction(state(app).sessions) as session:  # the course moves to another platform
        other = Registration(
            issuer="https://other.example.edu", client_id="o",
            auth_login_url="https://other.example.edu/a", auth_token_url="https://other.example.edu/t",
        )  # fmt: skip
        session.add(other)
        session.flush()
        session.get_one(Course, placement.course_id).registration_id = other.id
    opened = link_launch(requests.Session(), url, platform, custom, link_id="copied-link")
    assert len(rows(app, Placement)) == 1
    links = {link.resource_link_id: link for link in rows(app, ResourceLink)}
    assert links["copied-link"].placement_id is None
    assert landing(opened) == (f"/courses/{links['copied-link'].course_id}/", None)


def test_a_deep_linking_request_creates_no_resource_link(tool, platform, browser):
    app, url = tool
    dl_launch(browser, url, platform, **{LTI + "resource_link": {"id": "menu-link"}})
    assert rows(app, ResourceLink) == []


def test_a_placed_kind_without_a_route_here_still_lands_on_the_course(
    tool, platform, browser, monkeypatch
):
    app, url = tool
    gone = PlaceableKind("retired", "Retired", "A feature not mounted.", False, "retired.view")
    monkeypatch.setitem(placements._KINDS, gone.kind, gone)
    _, token = returned(place(browser, url, platform, kinds=["retired"]))
    claims, _ = verify(url, token, platform.client_id, platform.issuer)
    opened = link_launch(requests.Session(), url, platform, claims[ITEMS][0]["custom"])
    [placement] = rows(app, Placement)
    assert landing(opened) == (f"/courses/{placement.course_id}/", None)
