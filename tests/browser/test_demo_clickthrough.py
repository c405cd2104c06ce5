"""Clicking through /demo as a person would: the demo LMS, then Rapport in its frame."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import course_nav, screenshot


def _tool_frame(page: Any) -> Any:
    frame = page.frame_locator("#tool-frame")
    course_nav(frame).wait_for(timeout=15_000)
    return frame


@pytest.mark.parametrize("width", [1280, 375])
def test_instructor_and_student_click_through_the_demo(demo, page_in, width):
    page = page_in(width, 900)
    page.goto(demo + "/demo")
    assert page.locator("h1").first.inner_text().startswith("Foundations of Psychology")
    screenshot(page, f"demo-index-{width}")

    page.get_by_role("link", name="Launch as Margaret Chen").click()
    frame = _tool_frame(page)
    body = frame.locator("body").inner_text()
    assert "You are staff in this course." in body
    assert "People Rapport knows in this course" in body
    screenshot(page, f"demo-instructor-{width}")

    page.goto(demo + "/demo")
    page.get_by_role("link", name="Launch as Amara Okafor").click()
    frame = _tool_frame(page)
    body = frame.locator("body").inner_text()
    assert "You are a student in this course." in body
    assert "People Rapport knows" not in body
    screenshot(page, f"demo-student-{width}")


def test_keyboard_reaches_the_launch_buttons(demo, page_in):
    page = page_in(1280, 900)
    page.goto(demo + "/demo")
    focused = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert any(text.startswith("Launch as") for text in focused)
