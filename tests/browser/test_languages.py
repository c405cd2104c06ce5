"""Rapport in Spanish and Polish in a real browser, inside the demo LMS's frame (issue 17): the
demo launches with the locale a person's LMS would send; the page speaks it, names its language
in `<html lang>`, and learns the reader's time zone from the browser once. Screenshots go to
`screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import page_loaded
from tests.browser.test_newsfeed_pages import full_view


def open_in(chromium: Any, demo: str, person_id: str, locale: str, width: int, zone: str) -> Any:
    """The demo LMS's page for a person, launching Rapport with `locale`, in a browser whose
    own language is `locale` and whose clock is in `zone`; its answers to `/zone` are kept."""
    context = chromium.new_context(
        viewport={"width": width, "height": 900}, timezone_id=zone, locale=locale
    )
    page = context.new_page()
    page.zone_answers = []
    page.on("response", lambda r: r.url.endswith("/zone") and page.zone_answers.append(r.status))
    page.goto(f"{demo}/demo/launch/{person_id}?locale={locale}")
    return page


def tool_frame(page: Any) -> Any:
    return page.frame_locator("#tool-frame")


def zone_told(page: Any, zone: str) -> None:
    """Once the browser has told Rapport its zone, a first page that showed times in another
    zone is read again (local-time.js): wait for that page, written in `zone`."""
    for _ in range(100):
        if page.zone_answers:
            break
        page.wait_for_timeout(50)
    assert page.zone_answers == [200]
    tool = next(f for f in page.frames if "/courses/" in f.url)
    try:
        shows_times = tool.evaluate("!!document.querySelector(\"time[datetime*='T']\")")
    except PlaywrightError:  # already being read again
        shows_times = True
    if shows_times:
        tool_frame(page).locator(f"html[data-zone='{zone}']").wait_for(state="attached")


@pytest.mark.parametrize("width", [375, 1280])
def test_a_student_reads_rapport_in_spanish_in_her_own_time_zone(demo, chromium, width):
    page = open_in(chromium, demo, "student-amara-okafor", "es-ES", width, "America/Mexico_City")
    frame = tool_frame(page)
    nav = frame.get_by_role("navigation", name="Curso")
    nav.wait_for(timeout=15_000)
    # The course's zone is UTC; the browser says its own, so its pages are written in it.
    zone_told(page, "America/Mexico_City")
    page_loaded(nav)
    tool = next(f for f in page.frames if "/courses/" in f.url)
    assert tool.evaluate("document.documentElement.lang") == "es-ES"
    words = frame.locator("body").inner_text()
    assert "Saltar al contenido" in words and "Novedades" in words and "Newsfeed" not in words
    frame.get_by_role("link", name="Comentarios").filter(visible=True).first.click()
    frame.locator("html[data-zone='America/Mexico_City']").wait_for(state="attached")
    tool = next(f for f in page.frames if "/courses/" in f.url)
    assert tool.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    full_view(page, f"spanish-student-{width}")


def test_an_instructor_reads_the_dashboard_in_polish(demo, chromium):
    page = open_in(chromium, demo, "instructor-margaret-chen", "pl-PL", 1280, "Europe/Warsaw")
    frame = tool_frame(page)
    nav = frame.get_by_role("navigation", name="Kurs")
    nav.wait_for(timeout=15_000)
    zone_told(page, "Europe/Warsaw")
    page_loaded(nav)
    nav.get_by_role("link", name="Pulpit").click()
    frame.get_by_role("heading", name="Kto miał ostatnio osobisty kontakt").wait_for()
    tool = next(f for f in page.frames if "/courses/" in f.url)
    assert tool.evaluate("document.documentElement.lang") == "pl-PL"
    full_view(page, "polish-dashboard-1280")
