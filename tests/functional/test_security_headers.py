"""Security headers (lti_tool/views/headers.py): no sniffing, no referrer leaving the site, and
nothing personal kept in a cache."""

from __future__ import annotations

import requests

from tests.newsfeed_flow import enter, teacher


def test_personal_pages_and_csvs_are_never_cached_nor_sniffed(tool, platform):
    _, url = tool
    staff = teacher(platform, url)
    student = enter(platform, url, "amara")
    answers = [
        staff.get(""),
        staff.get("dashboard"),
        staff.get("dashboard.csv"),
        staff.get("people"),
        student.get(""),
        student.get("feedback/"),
        student.get("dashboard"),  # a refusal is personal too
    ]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store", answer.url
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url
        assert answer.headers["Referrer-Policy"] == "same-origin", answer.url
    assert answers[2].headers["Content-Type"].startswith("text/csv")


def test_public_documents_keep_their_own_caching(tool):
    _, url = tool
    jwks = requests.get(url + "/lti/jwks.json", timeout=10)
    assert jwks.headers["Cache-Control"] == "public, max-age=300"
    assert jwks.headers["X-Content-Type-Options"] == "nosniff"
