"""Security headers (lti_tool/views/headers.py): no sniffing, no referrer leaving the site, and
nothing personal kept in a cache."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from tests.newsfeed_flow import enter, teacher
from tests.platform import LTI


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


def _policy(response: requests.Response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in header.split("; ")}


def test_pages_allow_only_their_own_scripts_and_their_platforms_frames(tool, platform):
    """The LMS frames Rapport from the origins it names in launches (Canvas: the school's own
    domain, not its issuer's); nobody else may frame it or receive its forms."""
    _, url = tool
    school = "https://school.example.edu"
    staff = teacher(
        platform,
        url,
        **{LTI + "launch_presentation": {"return_url": school + "/courses/7/external_tools"}},
    )
    first, second = staff.get(""), staff.get("")
    policy = _policy(first)
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    assert nonce != re.search(r"'nonce-([^']+)'", _policy(second)["script-src"]).group(1)
    for directive in ("frame-ancestors", "form-action"):
        sources = policy[directive].split()
        assert sources[0] == "'self'"
        assert school in sources  # learned from the launch
        assert "https://lms.example.edu" in sources  # the registration's own endpoints
        assert "*" not in sources and "https://evil.example.com" not in sources
    for script in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", first.text):
        assert f'nonce="{nonce}"' in script or "application/json" in script


def test_every_inline_script_in_the_templates_carries_the_nonce():
    """A template that adds `<script>` without `nonce="{{ csp_nonce() }}"` would be blocked by
    the policy in every browser: fail here instead."""
    folder = Path(__file__).resolve().parents[2] / "templates"
    missing = [
        f"{path.relative_to(folder)}: {tag}"
        for path in folder.rglob("*.html")
        for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", path.read_text())
        if "csp_nonce()" not in tag and "application/json" not in tag
    ]
    assert missing == []


def test_the_demo_lms_may_be_framed_by_any_page(live):
    _, url = live(demo=True)
    assert _policy(requests.get(url + "/demo", timeout=10))["frame-ancestors"] == "*"
