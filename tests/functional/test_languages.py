"""Pages in the reader's language and time zone, over real launches (issue 17).

The locale comes from the launch (`launch_presentation.locale`, then the `locale` claim), else
from the browser, else DEFAULT_LOCALE; it holds for the course's later pages. Times are written
by the one formatter in the locale's format, in the zone the browser named."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import Person
from tests.conftest import state
from tests.functional.roster.test_roster import course_path, csrf_token
from tests.platform import INSTRUCTOR, LEARNER, LTI

PRESENTATION = LTI + "launch_presentation"
SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def open_course(
    platform: Any,
    url: str,
    role: str = LEARNER,
    headers: dict[str, str] | None = None,
    **claims: Any,
) -> tuple[requests.Session, str]:
    browser = requests.Session()
    browser.headers.update(headers or {})
    launched = platform.full_launch(browser, url, **{LTI + "roles": [role]}, **claims)
    assert launched.status_code == 303, launched.text
    return browser, url + course_path(launched)


def lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_launch_s_locale_wins_and_holds_for_the_course_s_pages(tool: Any, platform: Any):
    app, url = tool
    browser, course = open_course(
        platform,
        url,
        sub="ana",
        locale="pl-PL",
        **{PRESENTATION: {"locale": "es-MX"}},
        headers={"Accept-Language": "en-US"},
    )
    home = browser.get(course)
    assert lang(home.text) == "es-MX"
    assert ">Saltar al contenido<" in home.text and ">Novedades<" in home.text
    again = browser.get(course + "feedback/")
    assert lang(again.text) == "es-MX" and ">Comentarios<" in again.text
    assert "Newsfeed" not in again.text and "Skip to content" not in again.text
    with transaction(state(app).sessions) as session:
        assert session.scalars(select(Person.locale).where(Person.sub == "ana")).one() == "es-MX"


def test_the_locale_claim_then_the_browser_then_the_default(tool: Any, platform: Any):
    _, url = tool
    polish, course = open_course(platform, url, sub="p", locale="pl")
    assert lang(polish.get(course).text) == "pl"
    # Japanese is not spoken: the browser's Spanish is.
    browser, course = open_course(
        platform,
        url,
        sub="j",
        headers={"Accept-Language": "ja-JP, es;q=0.8"},
        **{PRESENTATION: {"locale": "ja-JP"}},
    )
    assert lang(browser.get(course).text) == "es"
    browser, course = open_course(platform, url, sub="n", headers={"Accept-Language": "ja"})
    assert lang(browser.get(course).text) == "en-GB"


def test_times_follow_the_zone_the_browser_names_in_the_locale_s_format(tool: Any, platform: Any):
    app, url = tool
    state(app).clock = lambda: SUMMER
    browser, course = open_course(
        platform,
        url,
        role=INSTRUCTOR,
        sub="t",
        name="Grace Hopper",
        **{PRESENTATION: {"locale": "es-ES"}},
    )
    page = browser.get(course + "settings").text
    data = {"csrf_token": csrf_token(page), "course.time_zone": "Europe/London"}
    for name in re.findall(
        r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="on" checked', page
    ):
        data[name] = "on"
    assert browser.post(course + "settings", data=data).status_code == 200
    written = browser.get(course + "settings").text
    assert '<html lang="es-ES" data-zone="Europe/London"' in written
    assert '<time datetime="2026-07-01T12:00:00Z">1 jul 2026, 13:00 BST</time>' in written
    assert "Cambios" in written and "Zona horaria" in written

    token = csrf_token(written)
    refused = browser.post(
        url + "/zone", data={"zone": "Mars/Olympus"}, headers={"X-CSRFToken": token}
    )
    assert refused.status_code == 400
    assert (
        browser.post(url + "/zone", data={"zone": "America/New_York"}).status_code == 400
    )  # no CSRF
    told = browser.post(
        url + "/zone", data={"zone": "America/New_York"}, headers={"X-CSRFToken": token}
    )
    assert told.status_code == 200 and told.json() == {"token": None}
    reread = browser.get(course + "settings").text
    assert 'data-zone="America/New_York"' in reread
    assert '<time datetime="2026-07-01T12:00:00Z">1 jul 2026, 8:00 EDT</time>' in reread


def test_polish_counts_take_polish_plural_forms(tool: Any, platform: Any):
    """1 osoba, 2 to 4 osoby, 5 and more osób: the People page counts the course's members."""
    _, url = tool
    staff, course = open_course(
        platform, url, role=INSTRUCTOR, sub="teacher", **{PRESENTATION: {"locale": "pl-PL"}}
    )
    said = []
    for members in (1, 2, 5):
        while len(said) + 1 < members:
            open_course(platform, url, sub=f"student-{len(said)}")
            said.append(members)  # one more student
        page = staff.get(course + "people").text
        assert lang(page) == "pl-PL"
        found = re.search(r"(\d+) (osoba|osoby|osób) łącznie\.", page)
        assert found, page[:2000]
        assert (int(found.group(1)), found.group(2)) == (
            members,
            {1: "osoba", 2: "osoby", 5: "osób"}[members],
        )
    assert ">Ustawienia<" in page and "Settings" not in page
