"""The session carried by Rapport's links and forms where the frame keeps no cookie
(`lti_tool/frame_session.py`, issue 17), over real launches: a browser that never sends a
cookie goes through a platform-storage launch, then reads, searches and posts in the frame."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from lti_tool.frame_session import TOKEN_PARAM
from tests.functional.test_platform_storage import _storage_login
from tests.platform import INSTRUCTOR, LTI, TestPlatform

UA = {"User-Agent": "Safari in an iframe"}


class Cookieless(requests.Session):
    """A browser inside the LMS frame that keeps no cookie of Rapport's."""

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.cookies.clear()
        kwargs.setdefault("allow_redirects", False)
        kwargs["headers"] = {**UA, **(kwargs.get("headers") or {})}
        return super().request(*args, **kwargs)


def _launch(platform: TestPlatform, url: str, **claims: object) -> tuple[Cookieless, str]:
    """A launch proved by platform storage; the browser and the page it landed on."""
    config = _storage_login(platform, url, requests.Session())
    state = re.search(r"state=([^&]+)", config["next"]).group(1)
    nonce = re.search(r"nonce=([^&]+)", config["next"]).group(1)
    token = platform.sign(platform.claims(nonce, **claims))
    browser = Cookieless()
    proved = {"id_token": token, "state": state, "lti_storage_proof": config["value"]}
    launched = browser.post(url + "/lti/launch", data=proved)
    assert launched.status_code == 303, launched.text[:300]
    return browser, url + launched.headers["Location"]


def _token(link: str) -> str:
    return parse_qs(urlsplit(html.unescape(link)).query)[TOKEN_PARAM][0]


def _link(page: str, pattern: str) -> str:
    """The path of the first link on a page whose path matches `pattern`."""
    found = re.search(rf'href="({pattern}\?[^"]*)"', page)
    assert found, pattern
    return html.unescape(found.group(1))


def test_a_cookieless_frame_reads_searches_and_posts_with_its_session_in_the_urls(tool, platform):
    _, url = tool
    teacher, home = _launch(platform, url, **{LTI + "roles": [INSTRUCTOR]})
    page = teacher.get(home).text
    assert "You are <strong>staff</strong>" in page
    # a form posts with its CSRF token and the session in its action; the redirect that
    # answers it carries the session on
    action = _link(page, r"/courses/\d+/posts/new")  # the form posts to its own page
    writing = teacher.get(url + action).text
    assert '<form method="post" class="card post-form"' in writing
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', writing).group(1)
    news = {"title": "Week 1", "body": "Read chapter 1.", "when": "now"}
    posted = teacher.post(url + action, data={**news, "csrf_token": csrf})
    assert posted.status_code == 303, posted.text[:300]
    assert TOKEN_PARAM + "=" in posted.headers["Location"]
    assert "Week 1" in teacher.get(url + posted.headers["Location"]).text
    # without its CSRF token, the same form is refused
    assert teacher.post(url + action, data={**news, "title": "Forged"}).status_code == 400
    # a GET form (finding a student's conversations) carries the session as a hidden field
    feedback = teacher.get(url + _link(page, r"/courses/\d+/feedback/")).text
    assert f'type="hidden" name="{TOKEN_PARAM}"' in feedback


@pytest.mark.parametrize("spoil", ["tampered", "another browser", "no token"])
def test_a_spoilt_token_opens_nothing(tool, platform, spoil):
    _, url = tool
    browser, home = _launch(platform, url)
    token = _token(home)
    path = home.split("?")[0]
    if spoil == "tampered":
        cut = token.rindex(".") + 1  # the signature's first character
        forged = token[:cut] + ("A" if token[cut] != "A" else "B") + token[cut + 1 :]
        answer = browser.get(path, params={TOKEN_PARAM: forged})
    elif spoil == "another browser":
        answer = browser.get(home, headers={"User-Agent": "someone else's browser"})
    else:
        answer = browser.get(path)
    assert answer.status_code == 403
    assert browser.get(home).status_code == 200  # the token itself still works


def test_a_browser_with_its_cookie_ignores_a_token(tool, platform):
    """Cookies stay the path where they work: a token in a URL changes nothing for a browser
    that sends its session cookie (another person's token cannot swap sessions)."""
    _, url = tool
    _, home = _launch(platform, url, sub="someone-else")
    browser = requests.Session()
    login = platform.login(browser, url)
    id_token = platform.sign(platform.claims(login.nonce, sub="me", name="Me Myself"))
    mine = platform.launch(browser, url, id_token, login.state)
    assert mine.status_code == 303
    with_token = browser.get(url + mine.headers["Location"], params={TOKEN_PARAM: _token(home)})
    assert "Welcome, Me Myself." in with_token.text
