"""What an operator reads while Rapport runs (issue 14): one JSON line per request under a
request id, one per launch with its outcome or refusal code, one per score delivered or
refused, the counters behind them at `/metrics` — and never a token, a name, an email address
or a `sub` in any of it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from prometheus_client import REGISTRY

from lti_tool.observability.request_log import HEADER
from tests.deep_linking_flow import dl_launch
from tests.functional.grades import test_grades as grades
from tests.independent_services import Fault
from tests.log_lines import json_log
from tests.newsfeed_flow import enter, teacher
from tests.platform import TestPlatform

# The independent LMS with AGS, and Rapport registered with it (tests/functional/grades).
lms = grades.lms
rapport = grades.rapport


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- requests -------------------------------------------------------------------------------------


def test_every_request_is_one_line_with_its_id_route_status_and_duration(app):
    client = app.test_client()
    with json_log() as log:
        home = client.get("/courses/4812/")  # no launch: refused, logged by rule, not by path
        health = client.get("/healthz?who=ada@example.edu")
        missing = client.get("/no/such/page/ada")
    lines = log.events("request")
    assert len(lines) == 3
    assert [line["request_id"] for line in lines] == [
        r.headers[HEADER] for r in (home, health, missing)
    ]
    assert len({line["request_id"] for line in lines}) == 3
    assert [(line["method"], line["route"], line["status"]) for line in lines] == [
        ("GET", "/courses/<int:course_id>/", home.status_code),
        ("GET", "/healthz", 200),
        ("GET", "unmatched", 404),
    ]
    assert home.status_code == 403
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    assert all(line["level"] == "info" and line["logger"] == "rapport.requests" for line in lines)
    written = log.text
    for line in lines:  # random hex ids may hold "ada" or "4812" by chance
        written = written.replace(line["request_id"], "")
    for private in ("4812", "ada@", "/ada", "who="):
        assert private not in written


def test_a_request_id_from_the_proxy_is_kept_and_a_malformed_one_replaced(app):
    client = app.test_client()
    with json_log() as log:
        kept = client.get("/healthz", headers={HEADER: "lb-7f3a.91:2"})
        replaced = client.get("/healthz", headers={HEADER: 'bad id"{"x":1}<b>'})
    assert kept.headers[HEADER] == "lb-7f3a.91:2"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers[HEADER])
    assert [line["request_id"] for line in log.events("request")] == [
        "lb-7f3a.91:2",
        replaced.headers[HEADER],
    ]


def test_request_latency_is_counted_by_rule_method_and_status(app):
    labels = {"route": "/healthz", "method": "GET", "status": "200"}
    before = count("rapport_request_duration_seconds_count", **labels)
    app.test_client().get("/healthz")
    assert count("rapport_request_duration_seconds_count", **labels) == before + 1


# -- launches -------------------------------------------------------------------------------------


def test_a_launch_logs_where_it_led_and_a_refusal_its_reason(tool, platform):
    _app, url = tool
    course = {"outcome": "course", "reason": ""}
    replay = {"outcome": "refused", "reason": "nonce_not_bound"}
    before = count("rapport_launches_total", **course), count("rapport_launches_total", **replay)
    with json_log() as log:
        staff = teacher(platform, url)
        http = requests.Session()
        login = platform.login(http, url)
        forged = platform.sign(platform.claims("a nonce Rapport never issued", sub="amara"))
        refused = platform.launch(http, url, forged, login.state)
    assert refused.status_code == 403
    reached, refusal = log.events("launch")
    course_id = int(staff.course.strip("/").split("/")[1])
    assert reached["outcome"] == "course" and reached["course_id"] == course_id
    assert reached["role"] == "staff" and reached["issuer"] == platform.issuer
    assert "person_id" not in reached
    assert refusal["outcome"] == "refused" and refusal["level"] == "warning"
    assert (refusal["reason"], refusal["step"], refusal["status"]) == (
        "nonce_not_bound",
        "launch",
        403,
    )
    launch_request = [line for line in log.events("request") if line["route"] == "/lti/launch"][-1]
    assert refusal["request_id"] == launch_request["request_id"]
    after = count("rapport_launches_total", **course), count("rapport_launches_total", **replay)
    assert after == (before[0] + 1, before[1] + 1)


def test_a_deep_linking_launch_is_its_own_outcome(tool, platform):
    _app, url = tool
    labels = {"outcome": "deep_linking", "reason": ""}
    before = count("rapport_launches_total", **labels)
    with json_log() as log:
        assert dl_launch(requests.Session(), url, platform).status_code == 303
    [line] = log.events("launch")
    assert (line["outcome"], line["role"]) == ("deep_linking", "staff")
    assert count("rapport_launches_total", **labels) == before + 1


def test_a_refused_login_counts_under_its_reason(tool, platform):
    _app, url = tool
    unknown = {"outcome": "refused", "reason": "unknown_platform"}
    before = count("rapport_launches_total", **unknown)
    with json_log() as log:
        stranger = TestPlatform("https://stranger.example.org", "client-x", "dep-x")
        assert stranger.login(requests.Session(), url).response.status_code == 400
    [refusal] = log.events("launch")
    assert (refusal["reason"], refusal["step"]) == ("unknown_platform", "login")
    assert count("rapport_launches_total", **unknown) == before + 1


# -- grades ---------------------------------------------------------------------------------------


def test_a_delivered_and_a_refused_score_are_logged_and_counted(rapport, lms, browser):
    app, url = rapport
    course_id = grades.launch(browser, lms, url, "u-grace")
    sent = grades.grade(app, course_id, "u-student1", 4)
    lms.faults.push("scores", None)
    lms.faults.push("scores", Fault(403, body='{"error": "The gradebook column is locked"}'))
    refused = grades.grade(app, course_id, "u-student2", 2)
    before = {o: count("rapport_grade_deliveries_total", outcome=o) for o in ("sent", "refused")}
    with json_log() as log:  # one send at a time: the faults meet the scores in the order given
        assert grades.worker_for(app, concurrency=1).deliver_due() == 2
    lines = {line["delivery_id"]: line for line in log.events("grade_delivery")}
    activity = grades.deliveries(app)[sent].activity_id
    assert lines[sent] | {"time": "", "message": ""} == {
        "time": "",
        "level": "info",
        "logger": "rapport.grades",
        "message": "",
        "event": "grade_delivery",
        "delivery_id": sent,
        "activity_id": activity,
        "outcome": "sent",
        "http_status": 200,
        "attempts": 1,
    }
    assert (lines[refused]["outcome"], lines[refused]["http_status"]) == ("refused", 403)
    assert lines[refused]["level"] == "warning"
    after = {o: count("rapport_grade_deliveries_total", outcome=o) for o in ("sent", "refused")}
    assert after == {"sent": before["sent"] + 1, "refused": before["refused"] + 1}


def test_no_token_name_email_or_sub_in_a_launch_and_grade_run(rapport, lms, browser):
    """Everything Rapport logs, down to DEBUG, over a staff launch, a refused launch, a score
    delivered and one refused. The id_tokens and access tokens are collected as the platform
    issued them."""
    app, url = rapport
    id_tokens: list[str] = []
    original = browser.post

    def post(address: str, data: Any = None, **kwargs: Any) -> requests.Response:
        if isinstance(data, dict) and "id_token" in data:
            id_tokens.append(data["id_token"])
        return original(address, data=data, **kwargs)

    browser.post = post  # type: ignore[method-assign]
    with json_log(level=1) as log:
        course_id = grades.launch(browser, lms, url, "u-grace")
        replayed = original(url + "/lti/launch", data={"id_token": id_tokens[0], "state": "x"})
        assert replayed.status_code >= 400
        grades.grade(app, course_id, "u-student1", 4)
        lms.faults.push("scores", None)
        lms.faults.push("scores", Fault(422, body='{"error": "The gradebook column is locked"}'))
        grades.grade(app, course_id, "u-student2", 2)
        assert grades.worker_for(app).deliver_due() == 2
        app.test_client().get("/metrics")
    written = log.from_app()
    assert log.events("launch") and log.events("grade_delivery") and log.events("request")
    secrets = [*id_tokens, *lms.tokens.issued]
    assert id_tokens and lms.tokens.issued
    people = ["Grace Hopper", "Grace", "Hopper", "grace@example.edu", "u-grace", "u-student"]
    for value in [*secrets, *people]:
        assert value not in written, value
    for secret in secrets:  # nor a recognisable part of one
        assert secret[-24:] not in written


# -- /metrics -------------------------------------------------------------------------------------


def test_metrics_are_served_inside_the_network_without_a_token(app):
    client = app.test_client()
    inside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.7"})
    assert inside.status_code == 200
    assert inside.content_type.startswith("text/plain; version=0.0.4")
    assert "rapport_launches_total" in inside.text
    assert "rapport_request_duration_seconds_bucket" in inside.text
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "8.8.4.4"})
    assert outside.status_code == 403 and "METRICS_TOKEN" in outside.text
    # A proxy on the same machine forwards a visitor from the internet: still outside.
    proxied = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": "1.2.3.4"},
    )
    assert proxied.status_code == 403
    # A visitor from outside who names a private address to a Rapport without a proxy.
    forged = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "1.2.3.4"},
        headers={"X-Forwarded-For": "10.0.0.1"},
    )
    assert forged.status_code == 403


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong", 401),
        ("Basic c2NyYXBlOnM=", 401),
        ("Bearer s3cret-scrape", 200),
    ],
)
def test_with_a_token_metrics_need_it_from_anywhere(make_app, authorization, status):
    app = make_app(metrics_token="s3cret-scrape")
    headers = {"Authorization": authorization} if authorization else {}
    answer = app.test_client().get(
        "/metrics", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert answer.status_code == status
    if status == 401:
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "rapport_" not in answer.text


def test_metrics_carry_no_ids_or_names(tool, platform):
    _app, url = tool
    staff = teacher(platform, url, name="Margaret Chen")
    enter(platform, url, "amara", name="Amara Okafor")
    staff.get("")
    page = requests.get(url + "/metrics", timeout=10).text
    assert "rapport_launches_total" in page
    course_id = staff.course.strip("/").split("/")[1]
    for private in ("Margaret", "Amara", "amara", "teacher", f"/courses/{course_id}/"):
        assert private not in page, private
