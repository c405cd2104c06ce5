"""Who is who after launches, sessions inside the LMS iframe, and course isolation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from lti_tool.db import transaction
from lti_tool.models import Course, Membership, Person, ResourceLink
from lti_tool.models.course import CourseRole
from tests.conftest import register, state
from tests.platform import INSTRUCTOR, LEARNER, LTI
from tests.servers import free_port


def _count(app, model):
    with transaction(state(app).sessions) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_concurrent_first_launches_leave_one_row_of_each(tool, platform):
    app, url = tool
    logins = []
    for _ in range(8):
        browser = requests.Session()
        login = platform.login(browser, url)
        logins.append(
            (browser, platform.sign(platform.claims(login.nonce, sub="same-person")), login.state)
        )

    def go(args):
        browser, token, login_state = args
        return platform.launch(browser, url, token, login_state).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(go, logins))
    assert statuses == [303] * 8
    assert (
        _count(app, Person),
        _count(app, Course),
        _count(app, Membership),
        _count(app, ResourceLink),
    ) == (1, 1, 1, 1)


def test_launch_stores_what_later_work_needs(tool, platform, browser):
    app, url = tool
    ags = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitems": "https://lms.example.edu/ags/lineitems",
        "lineitem": "https://lms.example.edu/ags/lineitems/7/lineitem?type_id=1",
        "validation_context": None,
    }
    platform.full_launch(
        browser,
        url,
        **{
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": ags,
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": "https://lms.example.edu/nrps",
                "service_versions": ["2.0"],
            },
            LTI + "tool_platform": {"guid": "g", "product_family_code": "canvas"},
            LTI + "launch_presentation": {"locale": "cy-GB"},
        },
    )
    with transaction(state(app).sessions) as session:
        course = session.scalars(select(Course)).one()
        assert course.nrps_url == "https://lms.example.edu/nrps"
        assert course.ags_endpoint == {k: v for k, v in ags.items() if k != "validation_context"}
        link = session.scalars(select(ResourceLink)).one()
        assert link.lineitem_url == ags["lineitem"]
        assert session.scalars(select(Person)).one().locale == "cy-GB"
        assert (
            course.registration_id
            and session.get(type(session.scalars(select(Person)).one()), 1) is not None
        )
        from lti_tool.models import Registration

        assert session.scalars(select(Registration)).one().product_family == "canvas"


def test_staff_in_one_course_student_in_another(tool, platform, browser):
    app, url = tool
    teach = platform.full_launch(
        browser,
        url,
        sub="dual",
        **{LTI + "roles": [INSTRUCTOR], LTI + "context": {"id": "A", "title": "Course A"}},
    )
    learn = platform.full_launch(
        browser,
        url,
        sub="dual",
        **{LTI + "roles": [LEARNER], LTI + "context": {"id": "B", "title": "Course B"}},
    )
    page_a = browser.get(url + teach.headers["Location"]).text
    page_b = browser.get(url + learn.headers["Location"]).text
    assert "Course A" in page_a and ">Staff</span>" in page_a
    assert "Course B" in page_b and ">Student</span>" in page_b
    with transaction(state(app).sessions) as session:
        roles = dict(
            session.execute(select(Course.context_id, Membership.role).join(Membership)).all()
        )
    assert roles == {"A": CourseRole.STAFF, "B": CourseRole.STUDENT}


def test_a_grant_opens_only_its_own_course(tool, platform, browser):
    _, url = tool
    other = requests.Session()
    theirs = platform.full_launch(other, url, **{LTI + "context": {"id": "private"}})
    mine = platform.full_launch(browser, url, **{LTI + "context": {"id": "mine"}})
    assert browser.get(url + mine.headers["Location"]).status_code == 200
    assert browser.get(url + theirs.headers["Location"]).status_code == 403
    assert browser.get(url + "/courses/999999/").status_code == 403
    assert requests.get(url + mine.headers["Location"]).status_code == 403  # no session at all


def test_tampered_session_cookie_opens_nothing(tool, platform, browser):
    _, url = tool
    response = platform.full_launch(browser, url)
    cookie = browser.cookies.get("rapport_session")
    tampered = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
    browser.cookies.clear()
    browser.cookies.set("rapport_session", tampered)
    assert browser.get(url + response.headers["Location"]).status_code == 403


def test_http_cookies_are_lax_for_plain_http(tool, platform, browser):
    _, url = tool
    login = platform.login(browser, url)
    state_cookie = login.response.headers["Set-Cookie"]
    assert "SameSite=Lax" in state_cookie and "Secure" not in state_cookie
    response = platform.launch(
        browser, url, platform.sign(platform.claims(login.nonce)), login.state
    )
    assert "rapport_session=" in response.headers["Set-Cookie"]


def test_https_cookies_are_cross_site_and_partitioned(live, platform):
    """Behind a TLS-terminating proxy: PUBLIC_URL is https, the proxy says X-Forwarded-Proto."""
    app, url = live(public_url="https://rapport.example.edu")
    register(app, platform)
    browser = requests.Session()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "rapport.example.edu"}
    params = {
        "iss": platform.issuer,
        "login_hint": "x",
        "target_link_uri": "https://rapport.example.edu/lti/launch",
        "client_id": platform.client_id,
    }
    response = browser.post(url + "/lti/login", data=params, headers=headers, allow_redirects=False)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    for attribute in ("Secure", "SameSite=None", "Partitioned", "HttpOnly"):
        assert attribute in cookie
    assert (
        "redirect_uri=https%3A%2F%2Frapport.example.edu%2Flti%2Flaunch"
        in response.headers["Location"]
    )
    # the Flask session cookie set by the launch has the same attributes
    with app.test_request_context():
        assert app.config["SESSION_COOKIE_SAMESITE"] == "None"
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SESSION_COOKIE_PARTITIONED"] is True


def test_blocked_cookies_get_a_new_window_page(tool, platform, browser):
    _, url = tool
    login = platform.login(browser, url)
    token = platform.sign(platform.claims(login.nonce))
    browser.cookies.clear()  # what a browser blocking third-party cookies does
    response = platform.launch(browser, url, token, login.state)
    assert response.status_code == 401
    assert "Open Rapport in a new window" in response.text
    assert 'target="_blank"' in response.text
    assert 'name="lti1p3_new_window" value="1"' in response.text
    assert f'name="iss" value="{platform.issuer}"' in response.text


def test_healthz(app):
    client = app.test_client()
    up = client.get("/healthz")
    assert up.status_code == 200
    expected = {"status": "ok", "database": "up", "jobs_waiting": 0}
    if state(app).settings.redis_url:
        expected["redis"] = "up"
    assert up.json == expected
    state(app).engine.dispose()
    app.extensions["rapport"].engine = __import__(
        "lti_tool.db", fromlist=["make_engine"]
    ).make_engine("postgresql://nobody@127.0.0.1:1/none")
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json["database"] == "down"


def test_with_redis_down_sign_in_answers_503_and_health_names_redis(live, platform, browser):
    """Launch state lives in Redis when REDIS_URL is set: without it nobody can be let in,
    and the page says so instead of a bare 500."""
    app, url = live(redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    register(app, platform)
    login = platform.login(browser, url)
    assert login.response.status_code == 503
    assert "Redis is not answering" in login.response.text
    token = platform.sign(platform.claims("any-nonce"))
    launch = platform.launch(browser, url, token, "any-state")
    assert launch.status_code == 503
    health = requests.get(url + "/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json() == {
        "status": "unavailable",
        "database": "up",
        "redis": "down",
        "jobs_waiting": 0,  # the tests' queue is in memory
    }


def test_unknown_pages_and_methods_are_clear_4xx(app):
    client = app.test_client()
    assert client.get("/nope").status_code == 404
    assert client.get("/lti/launch").status_code == 405
    assert client.post("/lti/launch").status_code == 400
    assert client.get("/courses/abc/").status_code == 404
    assert client.get("/lti/login").status_code == 400
    json_error = client.post("/lti/launch", headers={"Accept": "application/json"})
    assert json_error.json["error"] == "missing_id_token"


def test_first_signed_launch_names_the_deployment_of_a_registration_without_one(live, platform):
    """Canvas's dynamic registration names no deployment; its first launch does."""
    app, url = live()
    register(app, platform, deployment_ids=[])

    def launch_in(deployment_id):
        platform.deployment_id = deployment_id
        browser = requests.Session()
        login = platform.login(browser, url)
        if login.response.status_code != 302:
            return login.response.status_code
        token = platform.sign(platform.claims(login.nonce))
        return platform.launch(browser, url, token, login.state).status_code

    assert launch_in("1:abc") == 303
    assert launch_in("2:xyz") == 403  # only the first one is adopted
    assert launch_in("1:abc") == 303


def test_service_clients_get_json_errors(app):
    client = app.test_client()
    response = client.get(
        "/nope", headers={"Accept": "application/vnd.ims.lis.v2.lineitemcontainer+json"}
    )
    assert response.status_code == 404
    assert response.json["error"] == "Not Found"
