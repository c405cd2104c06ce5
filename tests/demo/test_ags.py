"""Grades over AGS 2.0: line items, scores (409 on a stale timestamp, as Moodle), results, and
the gradebook page showing what arrived."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lti_tool.demo import Fault
from tests.demo.flow import AGS, access_token, bearer, launch_as, platform

LINE_ITEM = "application/vnd.ims.lis.v2.lineitem+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
ALL = (AGS + "lineitem", AGS + "lineitem.readonly", AGS + "score", AGS + "result.readonly")


def _lineitems_url(url):
    return url + "/demo/ags/demo-course-101/lineitems?type_id=1"


def _with_path(item_url, suffix):
    path, _, query = item_url.partition("?")
    return f"{path}{suffix}?{query}"


def _create(url, token, **fields):
    body = {"label": "Week 1 check-in", "scoreMaximum": 5, "tag": "checkin", **fields}
    response = requests.post(_lineitems_url(url), json=body,
                             headers=bearer(token, **{"Content-Type": LINE_ITEM}))
    assert response.status_code == 201, response.text
    return response.json()


def _score(item_url, token, user_id, when, given=4.0, **extra):
    body = {"userId": user_id, "scoreGiven": given, "scoreMaximum": 5.0,
            "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            "timestamp": when.isoformat(), **extra}
    return requests.post(_with_path(item_url, "/scores"), json=body,
                         headers=bearer(token, **{"Content-Type": SCORE}))


@pytest.fixture
def grades(demo_lms):
    app, url = demo_lms
    return app, url, access_token(app, url, *ALL)


def test_line_item_scores_results_and_gradebook(grades):
    app, url, token = grades
    course = platform(app).course
    amara, liam = course.person("student-amara-okafor"), course.person("student-liam-obrien")
    item = _create(url, token, resourceLinkId="demo-link-rapport")
    assert item["id"].startswith(url + "/demo/ags/demo-course-101/lineitems/")
    assert item["id"].endswith("/lineitem?type_id=1")
    assert item["resourceLinkId"] == "demo-link-rapport"
    now = datetime.now(UTC)
    first = _score(item["id"], token, amara.sub, now, given=3, comment="Good start, Amara!")
    assert first.status_code == 204, first.text
    assert _score(item["id"], token, amara.sub, now + timedelta(seconds=1), given=4,
                  comment="Thanks for the update").status_code == 204
    stale = _score(item["id"], token, amara.sub, now, given=1)
    assert stale.status_code == 409
    same = _score(item["id"], token, amara.sub, now + timedelta(seconds=1), given=1)
    assert same.status_code == 409
    assert _score(item["id"], token, liam.sub, now, given=None, scoreMaximum=None,
                  activityProgress="Submitted", gradingProgress="Pending").status_code == 204

    results = requests.get(_with_path(item["id"], "/results"), headers=bearer(token))
    assert results.status_code == 200
    assert results.headers["Content-Type"] == "application/vnd.ims.lis.v2.resultcontainer+json"
    by_user = {r["userId"]: r for r in results.json()}
    assert by_user[amara.sub]["resultScore"] == 4
    assert by_user[amara.sub]["resultMaximum"] == 5
    assert by_user[amara.sub]["comment"] == "Thanks for the update"
    assert by_user[amara.sub]["scoreOf"] == item["id"]
    assert "resultScore" not in by_user[liam.sub]

    page = html.unescape(requests.get(url + "/demo/gradebook").text)
    assert "Week 1 check-in" in page
    assert "4 / 5" in page
    assert "Thanks for the update" in page
    assert "Good start" not in page  # only the latest score is kept
    assert "Submitted, Pending" in page
    assert 'class="table-wrap"' in page


def test_the_link_launch_carries_its_line_item(grades, browser):
    _, url, token = grades
    item = _create(url, token, resourceLinkId="demo-link-rapport")
    launch = launch_as(browser, url, "student-noah-williams")
    ags = launch.claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert ags["lineitem"] == item["id"]


def test_line_items_list_filter_update_and_delete(grades):
    _, url, token = grades
    first = _create(url, token, resourceLinkId="demo-link-rapport", tag="checkin")
    _create(url, token, label="Feedback", tag="feedback", resourceId="fb-1")
    listing = requests.get(_lineitems_url(url), headers=bearer(token))
    assert listing.headers["Content-Type"] == "application/vnd.ims.lis.v2.lineitemcontainer+json"
    assert [i["label"] for i in listing.json()] == ["Week 1 check-in", "Feedback"]
    for params, labels in (({"tag": "feedback"}, ["Feedback"]), ({"resource_id": "fb-1"},
                           ["Feedback"]), ({"resource_link_id": "demo-link-rapport"},
                                          ["Week 1 check-in"])):
        found = requests.get(_lineitems_url(url), params=params, headers=bearer(token))
        assert [i["label"] for i in found.json()] == labels
    paged = requests.get(_lineitems_url(url), params={"limit": 1}, headers=bearer(token))
    assert len(paged.json()) == 1
    assert "type_id=1" in paged.links["next"]["url"]
    changed = requests.put(first["id"], json={"label": "Week 1", "scoreMaximum": 10},
                           headers=bearer(token, **{"Content-Type": LINE_ITEM}))
    assert changed.status_code == 200, changed.text
    assert changed.json()["scoreMaximum"] == 10
    assert changed.json()["resourceLinkId"] == "demo-link-rapport"
    assert requests.get(first["id"], headers=bearer(token)).json()["label"] == "Week 1"
    assert requests.delete(first["id"], headers=bearer(token)).status_code == 204
    assert requests.get(first["id"], headers=bearer(token)).status_code == 404


@pytest.mark.parametrize(("body", "why"), [
    ({"scoreMaximum": 5}, "label"),
    ({"label": "X", "scoreMaximum": 0}, "scoreMaximum"),
    ({"label": "X", "scoreMaximum": True}, "scoreMaximum"),
    ({"label": "X", "scoreMaximum": 5, "resourceLinkId": "nowhere"}, "resourceLinkId"),
    ({"label": "X", "scoreMaximum": 5, "endDateTime": "next week"}, "endDateTime"),
    (["not", "an", "object"], "JSON object"),
])
def test_invalid_line_items_are_400(grades, body, why):
    _, url, token = grades
    response = requests.post(_lineitems_url(url), json=body,
                             headers=bearer(token, **{"Content-Type": LINE_ITEM}))
    assert response.status_code == 400
    assert why in response.json()["error_description"]


@pytest.mark.parametrize(("change", "why"), [
    ({"userId": "someone"}, "userId"),
    ({"timestamp": "yesterday"}, "timestamp"),
    ({"timestamp": "2025-01-01T10:00:00"}, "UTC offset"),
    ({"activityProgress": "Done"}, "activityProgress"),
    ({"gradingProgress": "Graded"}, "gradingProgress"),
    ({"scoreMaximum": None}, "scoreMaximum is required"),
    ({"scoreGiven": -1}, "scoreGiven"),
    ({"scoreGiven": "4"}, "scoreGiven"),
])
def test_invalid_scores_are_400(grades, change, why):
    app, url, token = grades
    item = _create(url, token)
    amara = platform(app).course.person("student-amara-okafor")
    response = _score(item["id"], token, amara.sub, datetime.now(UTC), **change)
    assert response.status_code == 400
    assert why in response.json()["error_description"]


def test_scores_need_the_score_media_type_and_the_query_string(grades):
    app, url, token = grades
    item = _create(url, token)
    amara = platform(app).course.person("student-amara-okafor")
    body = {"userId": amara.sub, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": datetime.now(UTC).isoformat()}
    as_json = requests.post(_with_path(item["id"], "/scores"), json=body, headers=bearer(token))
    assert as_json.status_code == 415
    lost_query = requests.post(item["id"].partition("?")[0] + "/scores", json=body,
                               headers=bearer(token, **{"Content-Type": SCORE}))
    assert lost_query.status_code == 400
    assert "type_id" in lost_query.json()["error_description"]
    appended_after_query = requests.post(item["id"] + "/scores", json=body,
                                         headers=bearer(token, **{"Content-Type": SCORE}))
    assert appended_after_query.status_code in (400, 405)


@pytest.mark.parametrize(("scope", "request_"), [
    ("lineitem.readonly", lambda url, item, token: requests.post(
        _lineitems_url(url), json={"label": "X", "scoreMaximum": 1},
        headers=bearer(token, **{"Content-Type": LINE_ITEM}))),
    ("score", lambda url, item, token: requests.get(_lineitems_url(url), headers=bearer(token))),
    ("lineitem", lambda url, item, token: requests.get(_with_path(item["id"], "/results"),
                                                       headers=bearer(token))),
    ("result.readonly", lambda url, item, token: requests.delete(item["id"],
                                                                 headers=bearer(token))),
    ("lineitem", lambda url, item, token: _score(item["id"], token, "x", datetime.now(UTC))),
])
def test_each_endpoint_checks_its_scope(grades, scope, request_):
    app, url, token = grades
    item = _create(url, token)
    narrow = access_token(app, url, AGS + scope)
    response = request_(url, item, narrow)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert requests.get(_lineitems_url(url)).status_code == 401


def test_queued_faults_answer_before_anything_else(grades):
    app, url, token = grades
    item = _create(url, token)
    amara = platform(app).course.person("student-amara-okafor")
    faults = platform(app).store.faults
    faults.push("scores", Fault(status=429, retry_after=7))
    faults.push("scores", Fault(status=503), times=2)
    now = datetime.now(UTC)
    throttled = _score(item["id"], token, amara.sub, now)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    assert [_score(item["id"], token, amara.sub, now).status_code for _ in range(2)] == [503, 503]
    assert _score(item["id"], token, amara.sub, now).status_code == 204
    assert faults.pending("scores") == 0
    assert platform(app).store.counter("score_posts") == 1
    with pytest.raises(ValueError, match="unknown demo endpoint"):
        faults.push("grades")
