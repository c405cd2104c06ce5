"""The deep-linking picker in a real browser, inside the demo LMS's frame, by keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.services.placements import placeable_kinds
from tests.browser.conftest import screenshot


def _picker(page: Any) -> Any:
    frame = page.frame_locator("#tool-frame")
    frame.get_by_role("heading", name="Add Rapport to Foundations of Psychology").wait_for(
        timeout=15_000
    )
    return frame


def _tab_to(page: Any, frame: Any, selector: str, presses: int = 30) -> None:
    """Press Tab until the element matching `selector` has the keyboard focus."""
    target = frame.locator(selector)
    for _ in range(presses):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("width", [1280, 375])
def test_teacher_places_a_graded_activity_with_the_keyboard(demo, page_in, width):
    page = page_in(width, 1000)
    page.goto(demo + "/demo/launch/instructor-margaret-chen?deep_linking=1")
    frame = _picker(page)
    screenshot(page, f"deep-linking-picker-{width}")
    assert frame.get_by_label("Feedback activity").is_visible()
    assert frame.get_by_label("Title in your course").count() == len(placeable_kinds())
    for name in ("Course newsfeed", "Feedback activity", "Check-in"):
        box = frame.get_by_role("checkbox", name=name).bounding_box()
        assert box is not None and box["x"] + box["width"] <= width

    frame.locator("body").click(position={"x": 1, "y": 1})
    _tab_to(page, frame, "#kind-feedback")
    page.keyboard.press("Space")
    _tab_to(page, frame, "#title-feedback")
    page.keyboard.press("Control+A")
    page.keyboard.type("Essay 1 feedback")
    _tab_to(page, frame, "input[name=graded-feedback][value=no]")
    page.keyboard.press("ArrowRight")  # radio group: the arrow picks "Yes"
    _tab_to(page, frame, "#points-feedback")
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.keyboard.press("Enter")

    frame.get_by_role("heading", name="1 item added to PSY101").wait_for(timeout=15_000)
    body = frame.locator("body").inner_text()
    assert "Essay 1 feedback" in body
    assert "Graded: a gradebook column “Essay 1 feedback”, out of 20." in body
    screenshot(page, f"deep-linking-returned-{width}")
