"""The roster over NRPS 2.0: a bearer token with the NRPS scope, pages linked by rel="next"."""

from __future__ import annotations

import requests

from tests.demo.flow import AGS, NRPS_SCOPE, access_token, bearer, platform

CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def _next_link(response):
    link = response.links.get("next")
    return link["url"] if link else None


def test_paging_with_limit_follows_next_links_through_every_member(demo_lms):
    app, url = demo_lms
    token = access_token(app, url, NRPS_SCOPE)
    page_url = url + "/demo/nrps/demo-course-101/memberships?limit=3"
    members, pages = [], 0
    while page_url:
        response = requests.get(page_url, headers=bearer(token, Accept=CONTAINER))
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == CONTAINER
        body = response.json()
        assert body["context"] == {"id": "demo-course-101", "label": "PSY101",
                                   "title": "Foundations of Psychology"}
        assert len(body["members"]) <= 3
        members += body["members"]
        pages += 1
        page_url = _next_link(response)
    assert pages == 5  # 13 people, 3 a page: no Link header on the last page
    course = platform(app).course
    assert [m["user_id"] for m in members] == [p.sub for p in course.people]
    assert all(m["status"] == "Active" for m in members)
    amara = next(m for m in members if m.get("given_name") == "Amara")
    assert amara["name"] == "Amara Okafor"
    assert amara["email"] == "amara.okafor@students.example.edu"
    assert amara["roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    private = next(m for m in members if m["user_id"] == course.person("student-private").sub)
    assert set(private) == {"status", "user_id", "roles"}


def test_one_page_without_limit_has_no_next_link(demo_lms):
    app, url = demo_lms
    token = access_token(app, url, NRPS_SCOPE)
    response = requests.get(url + "/demo/nrps/demo-course-101/memberships",
                            headers=bearer(token))
    assert len(response.json()["members"]) == 13
    assert "Link" not in response.headers


def test_role_filter_accepts_short_names_and_uris(demo_lms):
    app, url = demo_lms
    token = access_token(app, url, NRPS_SCOPE)
    base = url + "/demo/nrps/demo-course-101/memberships"
    learners = requests.get(base, params={"role": "Learner"}, headers=bearer(token)).json()
    assert len(learners["members"]) == 11
    ta_uri = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    tas = requests.get(base, params={"role": ta_uri}, headers=bearer(token)).json()
    assert [m["name"] for m in tas["members"]] == ["Tomás Rivera"]


def test_roster_needs_a_token_with_the_nrps_scope(demo_lms):
    app, url = demo_lms
    base = url + "/demo/nrps/demo-course-101/memberships"
    missing = requests.get(base)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = requests.get(base, headers=bearer("made-up"))
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_token"
    wrong_scope = requests.get(base, headers=bearer(access_token(app, url, AGS + "score")))
    assert wrong_scope.status_code == 403
    assert wrong_scope.json()["error"] == "insufficient_scope"


def test_expired_tokens_are_refused(demo_lms):
    app, url = demo_lms
    token = access_token(app, url, NRPS_SCOPE)
    platform(app).store.expire_tokens()
    response = requests.get(url + "/demo/nrps/demo-course-101/memberships", headers=bearer(token))
    assert response.status_code == 401


def test_bad_paging_and_unknown_courses_are_clear_errors(demo_lms):
    app, url = demo_lms
    token = access_token(app, url, NRPS_SCOPE)
    base = url + "/demo/nrps/demo-course-101/memberships"
    for params in ({"limit": "0"}, {"limit": "lots"}, {"limit": "5", "from": "-1"}):
        response = requests.get(base, params=params, headers=bearer(token))
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"
    other = requests.get(url + "/demo/nrps/another-course/memberships", headers=bearer(token))
    assert other.status_code == 404
    assert other.json()["error"] == "not_found"
