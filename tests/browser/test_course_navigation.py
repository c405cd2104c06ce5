"""The course's navigation at a phone's 375 px and a desktop's 1280 px, in the demo LMS frame.

Issue 16: "every destination reachable without a hidden sideways scroll (a "More" menu), the
current page visible, and the Grades page and refusal pages keep the navigation". At 375 px
the pages beyond the row open under "More", by keyboard too (Enter opens, Escape closes and
returns focus); at 1280 px every page (13 for an instructor) is in the row and there is no menu.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import launched_frame, screenshot
from tests.functional.test_course_navigation import INSTRUCTOR_MORE


def _no_sideways_scroll(frame: Any) -> None:
    wide = frame.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('.course-nav ul')]
                 .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.tagName)"""
    )
    assert wide == []


def _visible_links(frame: Any) -> list[str]:
    nav = frame.get_by_role("navigation", name="Course")
    return [" ".join(t.split()) for t in nav.get_by_role("link").all_inner_texts()]


def test_at_375_px_every_page_is_in_the_row_or_under_more_by_keyboard(demo, page_in):
    page = page_in(375, 800)
    frame = launched_frame(page, demo, "Margaret Chen")
    _no_sideways_scroll(frame)
    nav = frame.get_by_role("navigation", name="Course")
    row = _visible_links(frame)
    assert row == ["Newsfeed", "Dashboard", "Feedback", "Check-ins"]
    more = nav.locator("summary")
    assert more.is_visible()
    more.focus()
    page.keyboard.press("Enter")
    menu = nav.locator(".more-menu ul")
    menu.wait_for(state="visible")
    opened = _visible_links(frame)
    assert opened[len(row) :] == INSTRUCTOR_MORE
    _no_sideways_scroll(frame)
    outline = more.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"  # the focused "More" shows its focus
    screenshot(page, "course-nav-more-open-375")
    page.keyboard.press("Tab")
    assert frame.evaluate("() => document.activeElement.textContent.trim()") == "Introductions"
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    assert frame.evaluate("() => document.activeElement.tagName") == "SUMMARY"

    more.click()
    nav.get_by_role("link", name="Grades").click()
    tool = page.frame_locator("#tool-frame")
    current = tool.locator(".course-nav [aria-current=page]", has_text="Grades")
    current.wait_for(timeout=15_000)
    frame = page.frame(url=lambda u: "/grades" in u)
    assert frame is not None
    assert current.inner_text() == "Grades" and current.is_visible()  # in the row, not hidden
    _no_sideways_scroll(frame)
    screenshot(page, "course-nav-grades-375")


@pytest.mark.parametrize("width", [375, 1280])
def test_a_refusal_keeps_the_navigation(demo, page_in, width):
    page = page_in(width, 800)
    frame = launched_frame(page, demo, "Amara Okafor")
    course = frame.url.split("/courses/")[1].split("/")[0]
    response = frame.goto(f"{demo}/courses/{course}/dashboard")  # staff only: refused
    assert response is not None and response.status == 403
    frame.locator("main h1").wait_for()
    everything = ["Newsfeed", "Introductions", "Feedback", "Check-ins", "Email"]
    in_row = everything if width > 375 else ["Newsfeed", "Feedback", "Check-ins"]  # and More
    assert _visible_links(frame) == in_row
    _no_sideways_scroll(frame)
    screenshot(page, f"course-nav-refusal-{width}")


def test_at_1280_px_every_page_is_in_the_row_and_there_is_no_menu(demo, page_in):
    page = page_in(1280, 900)
    frame = launched_frame(page, demo, "Margaret Chen")
    assert len(_visible_links(frame)) == 13
    assert not frame.locator(".course-nav summary").is_visible()
    _no_sideways_scroll(frame)
    screenshot(page, "course-nav-1280")
