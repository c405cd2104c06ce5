"""The front page tells an LMS administrator the URLs to configure."""

from __future__ import annotations


def test_front_page_lists_configuration_urls(make_app):
    app = make_app(public_url="https://rapport.example.edu")
    page = app.test_client().get("/").get_data(as_text=True)
    for path in (
        "/lti/login",
        "/lti/launch",
        "/lti/jwks.json",
        "/lti/register",
        "/lti/canvas.json",
    ):
        assert f"https://rapport.example.edu{path}" in page
    assert "demo LMS" not in page
