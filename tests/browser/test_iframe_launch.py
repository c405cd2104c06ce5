"""A student inside an LMS iframe on another site: the real OIDC flow in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.servers import serve, serving


def _outer_site(frame_url: str) -> Any:
    """A page on another site (127.0.0.1) that frames Rapport (localhost), as an LMS does."""
    html = f"""<!doctype html><html lang="en"><head><title>Example University LMS</title></head>
<body style="margin:0;font-family:sans-serif">
<header style="background:#2d3b45;color:#fff;padding:12px">Example University · PSY101</header>
<iframe title="Rapport" src="{frame_url}" style="width:100%;height:820px;border:0"
        allow="clipboard-write"></iframe></body></html>"""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html.encode()]

    return app


@pytest.fixture
def https_demo(make_app, tls_context):
    with serving(tls_context) as server:
        port = server.url.rsplit(":", 1)[1]
        app = make_app(public_url=f"https://localhost:{port}", demo=True)
        server.set_app(app)
        yield app, f"https://localhost:{port}"


@pytest.fixture
def http_demo(make_app):
    with serving() as server:
        port = server.url.rsplit(":", 1)[1]
        app = make_app(public_url=f"http://localhost:{port}", demo=True)
        server.set_app(app)
        yield app, f"http://localhost:{port}"


def _demo_person(app: Any, role_label: str) -> str:
    from lti_tool.demo.people import COURSE

    return next(p.person_id for p in COURSE.people if p.role_label == role_label)


def test_launch_in_a_cross_site_iframe_over_https(https_demo, page_in):
    app, url = https_demo
    student = _demo_person(app, "Student")
    frame_url = f"{url}/demo/launch/{student}/start?target=iframe"
    with serve(_outer_site(frame_url)) as outer:
        page = page_in(1280, 900)
        page.goto(outer + "/")
        tool = page.frame_locator("iframe")
        tool.get_by_text("You are a student in this course.").wait_for(timeout=20_000)
        assert "Welcome, Amara Okafor" in tool.locator("body").inner_text()
        screenshot(page, "iframe-https-student")


def test_blocked_cookies_in_a_cross_site_iframe_offer_a_new_window(http_demo, page_in):
    """Over plain http cookies cannot be cross-site: the browser drops them, as Safari would."""
    app, url = http_demo
    student = _demo_person(app, "Student")
    frame_url = f"{url}/demo/launch/{student}/start?target=iframe"
    with serve(_outer_site(frame_url)) as outer:
        page = page_in(1280, 900)
        page.goto(outer + "/")
        tool = page.frame_locator("iframe")
        # The state cookie is dropped, so the launch ends on the fallback page.
        button = tool.get_by_role("button", name="Open Rapport in a new window")
        button.wait_for(timeout=20_000)
        screenshot(page, "iframe-cookies-blocked")
        with page.expect_popup() as popup_info:
            button.click()
        popup = popup_info.value
        popup.wait_for_url("**/courses/**", timeout=15_000)
        assert "You are a student in this course." in popup.inner_text("main")


def test_a_form_with_its_csrf_token_works_in_a_cross_site_https_iframe(https_demo, page_in):
    """The deep-linking picker posts with its CSRF token from inside the cross-site frame: the
    token lives in the partitioned session cookie, which this frame keeps."""
    app, url = https_demo
    instructor = _demo_person(app, "Instructor")
    frame_url = f"{url}/demo/launch/{instructor}/start?deep_linking=1&target=iframe"
    with serve(_outer_site(frame_url)) as outer:
        page = page_in(1280, 900)
        page.goto(outer + "/")
        tool = page.frame_locator("iframe")
        tool.get_by_role("checkbox", name="Course newsfeed").check(timeout=20_000)
        tool.get_by_role("button", name="Add to course").click()
        tool.get_by_role("heading", name="1 item added to PSY101").wait_for(timeout=20_000)
