"""Every place the newsfeed shows what people wrote, fed every payload of the XSS corpus and
judged as the whole page Flask serves: news titles and bodies, introductions, replies, staff
profiles, and the names the LMS sends."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any

import requests

from lti_tool.services.newsfeed.feed import PAGE_SIZE
from lti_tool.services.profiles import MAX_PRONOUNS, MAX_ROLE_TITLE
from tests.conftest import without_rate_limits
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock
from tests.xss_corpus import XSS_CORPUS, assert_inert

EVIL_NAMES = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


@dataclass
class Writer:
    """A person's browser, sending forms with its own session's CSRF token."""

    visitor: Visitor
    token: str = ""

    def __post_init__(self) -> None:
        self.token = self.visitor.csrf()

    def send(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        return self.visitor.post(path, {**(data or {}), "csrf_token": self.token}, csrf=False)

    def saved(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        response = self.send(path, data)
        assert response.status_code == 303, (path, response.status_code, response.text[:300])
        return response

    def text(self, path: str = "") -> str:
        return self.visitor.text(path)


def post_id(response: requests.Response) -> int:
    found = re.search(r"(?:post-|posts/)(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def executable(html: str) -> str | None:
    """What `assert_inert` found in the page, or None."""
    try:
        assert_inert(html)
    except AssertionError as found:
        return str(found).split("\n", 1)[0]
    return None


def test_no_payload_runs_anywhere_people_read_what_others_wrote(tool: Any, platform: Any) -> None:
    """Every case is written everywhere and every page judged before the test fails, so one
    failure lists every case and place that went wrong."""
    app, url = tool
    without_rate_limits(app)
    use_clock(app, Clock())
    staff = Writer(teacher(platform, url))
    student = Writer(enter(platform, url, "amara", name="Amara Okafor"))
    findings: list[str] = []
    news_ids: list[int] = []

    def saved(case: str, what: str, response: requests.Response) -> requests.Response | None:
        if response.status_code == 303:
            return response
        findings.append(f"{case!r}: saving {what} answered {response.status_code}")
        return None

    def judge(case: str, where: str, html: str, shows: str) -> None:
        assert shows in html, f"{where} does not show {shows!r} for {case!r}"
        found = executable(html)
        if found:
            findings.append(f"{case!r} on {where}: {found}")

    for case, source in XSS_CORPUS:
        if "\0" in source:  # no database stores NUL: refused with a reason, nothing written
            refused = staff.send("posts/new", {"title": "NUL", "body": source, "when": "now"})
            assert refused.status_code == 400 and "NUL character" in refused.text, case
            continue
        profile = {
            "pronouns": source[:MAX_PRONOUNS],
            "role_title": source[:MAX_ROLE_TITLE],
            "bio": source,
            "contact": source,
        }
        if saved(case, "the staff profile", staff.send("profile", profile)):
            judge(case, "the profile page", staff.text("profile"), 'name="pronouns"')
        intro = saved(case, "a staff introduction", staff.send("introduction", {"body": source}))
        news = saved(
            case,
            "news",
            staff.send("posts/new", {"title": source, "body": source, "when": "now"}),
        )
        if intro is None or news is None:
            continue
        intro_id, news_id = post_id(intro), post_id(news)
        news_ids.append(news_id)
        for post in (news_id, intro_id):
            reply = student.send(f"posts/{post}/replies", {"body": source})
            saved(case, f"a reply under post {post}", reply)
        saved(case, "a student introduction", student.send("introduction", {"body": source}))

        shown = f'id="post-{news_id}"'
        judge(case, "the news page", student.text(f"posts/{news_id}"), shown)
        judge(case, "the news page for staff", staff.text(f"posts/{news_id}"), shown)
        judge(case, "the news edit form", staff.text(f"posts/{news_id}/edit"), 'name="title"')
        judge(case, "the introduction page", student.text(f"posts/{intro_id}"), "About me")
        judge(case, "the introductions page", student.text("introductions"), "Hello from Amara")

    # The feed, once, every page of it: each news with its replies, and the introduction card.
    feed = ""
    for page in range(1, math.ceil(len(news_ids) / PAGE_SIZE) + 1):
        shown = student.text(f"?page={page}")
        judge("all cases", f"the feed, page {page}", shown, 'class="post-title"')
        feed += shown
    assert all(f'id="post-{news_id}"' in feed for news_id in news_ids)
    judge("the last case", "the feed's introduction card", student.text(), "Introducing ")
    judge("all cases", "the feed for staff", staff.text(), "Seen by")

    for news_id in news_ids:
        staff.saved(f"posts/{news_id}/delete")
    deleted = staff.text("posts/deleted")
    assert all(f'id="post-{news_id}"' in deleted for news_id in news_ids)
    judge("all cases", "the deleted posts", deleted, "Restore")

    assert not findings, "\n".join(findings)


def test_names_from_the_lms_are_shown_as_text(tool: Any, platform: Any) -> None:
    app, url = tool
    without_rate_limits(app)
    use_clock(app, Clock())
    staff = Writer(teacher(platform, url))
    evil_teacher = Writer(teacher(platform, url, sub="evil-teacher", name=EVIL_NAMES[0]))
    evil_teacher.saved("introduction", {"body": "Hello, I teach here."})
    news = post_id(staff.saved("posts/new", {"title": "Welcome", "body": "Hi.", "when": "now"}))
    students = [
        Writer(enter(platform, url, f"evil-{n}", name=name)) for n, name in enumerate(EVIL_NAMES)
    ]
    for name, student in zip(EVIL_NAMES, students, strict=True):
        student.saved("introduction", {"body": "Hi, everyone."})
        student.saved(f"posts/{news}/replies", {"body": "Hello!"})
        home = student.text()
        assert f"Welcome, {name}." in html.unescape(home)
        assert_inert(home)
    assert f"Welcome, {EVIL_NAMES[0]}." in html.unescape(evil_teacher.text())
    assert_inert(evil_teacher.text())
    assert "Introducing " in staff.text()
    assert_inert(staff.text())
    for page in (students[0].text("introductions"), staff.text("introductions")):
        # Each heading, once in its h2 and once in its reactions' name ("Reactions to …").
        assert page.count(">Hello from ") == 2 and "Introducing " in page
        assert_inert(page)
    post_page = staff.text(f"posts/{news}")
    assert post_page.count('<li class="reply') == 2
    assert_inert(post_page)
    enter(platform, url, "quiet", name=EVIL_NAMES[1] + " (never opened it)")
    seen = staff.text(f"posts/{news}/seen")
    assert "Not seen yet (1)" in seen and "Seen (2)" in seen
    assert all(name in html.unescape(seen) for name in EVIL_NAMES)
    assert_inert(seen)


def test_https_pictures_show_http_ones_do_not_and_links_leave_the_frame_safely(
    tool: Any, platform: Any
) -> None:
    app, url = tool
    without_rate_limits(app)
    use_clock(app, Clock())
    staff = Writer(teacher(platform, url))
    body = (
        "![a diagram](https://example.com/diagram.png)\n\n"
        "![an old photo](http://example.com/photo.png)\n\n"
        "Read [the notes](https://example.com/notes)."
    )
    news = post_id(staff.saved("posts/new", {"title": "Week 1", "body": body, "when": "now"}))
    student = enter(platform, url, "amara")
    for page in (student.text(), student.text(f"posts/{news}")):
        assert '<img src="https://example.com/diagram.png" alt="a diagram">' in page
        assert "http://example.com/photo.png" not in page
        assert "an old photo" in page  # its alt text, in place of the picture
        link = re.search(r'<a [^>]*href="https://example.com/notes"[^>]*>', page)
        assert link, "the link is missing"
        assert 'rel="noopener noreferrer nofollow"' in link.group(0)
        assert 'target="_blank"' in link.group(0)
