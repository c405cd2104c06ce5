"""No input produces a 500: every route, hit with missing, malformed and hostile input."""

from __future__ import annotations

import re

import pytest

JUNK = [
    {},
    {"id_token": "x", "state": "y"},
    {"iss": "'\"><script>alert(1)</script>", "login_hint": "\x00", "target_link_uri": "::"},
    {"JWT": "a.b.c", "openid_configuration": "not a url", "registration_token": "z" * 5000},
    {"grant_type": "client_credentials", "client_assertion": "e30.e30.", "scope": "x" * 3000},
    {"limit": "-1", "person": "../../etc/passwd", "link": "%00", "deep_linking": "yes"},
]


def _concrete(rule: str) -> list[str]:
    """A route with its variables filled in with hostile and ordinary values."""
    paths = []
    for value in ("1", "999999", "abc", "%2e%2e", "0"):
        paths.append(re.sub(r"<(?:[^:<>]+:)?[^<>]+>", value, rule))
    return paths


@pytest.mark.parametrize("demo", [False, True], ids=["tool", "tool+demo"])
def test_no_route_answers_5xx(make_app, demo):
    app = make_app(demo=demo, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    rules = sorted({r.rule for r in app.url_map.iter_rules() if not r.rule.startswith("/static")})
    failures = []
    for rule in rules:
        for path in _concrete(rule):
            for data in JUNK:
                for method in ("GET", "POST"):
                    response = (
                        client.get(path, query_string=data)
                        if method == "GET"
                        else client.post(path, data=data)
                    )
                    if response.status_code >= 500:
                        failures.append((method, path, data, response.status_code))
    assert failures == []


HUGE = ("2147483648", "9223372036854775808", "-1", "1e3", "00")
PARAMS = {
    "page": "99999999999999999999",
    "student": "9223372036854775808",
    "grade": "1e400",
    "tutor_id": "2147483648",
    "student_id": "-5",
    "placement_id": "1e9",
    "show": "\x01",
}


@pytest.mark.parametrize("role", ["staff", "student"])
def test_no_course_route_answers_5xx_to_ids_no_database_holds(tool, platform, role):
    """Signed in to a real course, every course route with ids past any database integer."""
    from tests.newsfeed_flow import enter, teacher

    app, url = tool
    visitor = teacher(platform, url) if role == "staff" else enter(platform, url, "amara")
    course = visitor.course.strip("/").split("/")[1]
    token = visitor.csrf()
    rules = sorted(
        r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/courses/<int:course_id>")
    )
    failures = []
    for rule in rules:
        for value in HUGE:
            path = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", value, rule.replace("<int:course_id>", course))
            for method in ("GET", "POST"):
                data = {**PARAMS, "csrf_token": token}
                response = (
                    visitor.http.get(url + path, params=PARAMS, allow_redirects=False)
                    if method == "GET"
                    else visitor.http.post(url + path, data=data, allow_redirects=False)
                )
                if response.status_code >= 500:
                    failures.append((method, path, response.status_code))
    assert failures == []
