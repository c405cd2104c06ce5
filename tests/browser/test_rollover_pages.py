"""Bringing a set-up over in a real browser, at phone width inside the demo LMS's frame: the
instructor introduces herself, the demo LMS copies the course for a new term, and in the copy
the course home offers the old set-up; she chooses the new term's first week with the keyboard
and brings it over. Screenshots go to `screenshots/`."""

from __future__ import annotations

import pytest

from tests.browser.conftest import page_loaded
from tests.browser.test_newsfeed_pages import full_view, launch_as


@pytest.mark.parametrize("width", [375, 1280])
def test_an_instructor_brings_last_terms_set_up_into_the_copy(demo, page_in, width):
    page = page_in(width, 900)
    frame = launch_as(page, demo, "Margaret Chen")
    frame.get_by_role("link", name="Introduce yourself").click()
    frame.get_by_label("Your introduction").fill("Hello! I'm Margaret, and I lead PSY101.")
    frame.get_by_role("button", name="Save").click()
    frame.get_by_role("heading", name="Foundations of Psychology", exact=True).wait_for()

    page.goto(demo + "/demo")
    page.get_by_role("button", name="Copy this course for a new term").click()
    page.get_by_text("this is the copy of Foundations of Psychology").wait_for()
    frame = launch_as(page, demo, "Margaret Chen")
    offer = frame.get_by_role("region", name="Bring over the set-up of Foundations of Psychology?")
    offer.wait_for()
    full_view(page, f"rollover-offer-{width}")

    offer.get_by_role("link", name="Choose what to bring over").click()
    page_loaded(frame.get_by_role("heading", name="Bring over a course's set-up"))
    source = frame.get_by_role("radio", name="Foundations of Psychology")
    assert source.is_checked()
    frame.get_by_label("A date in this course's first week").fill("2027-09-08")
    frame.get_by_label("A date in this course's first week").focus()
    full_view(page, f"rollover-choose-{width}")
    page.keyboard.press("Enter")  # the form submits from its field, as forms do
    frame.get_by_role("status").get_by_text("came over from").wait_for()
    assert "1 introduction" in frame.get_by_role("status").inner_text()
    full_view(page, f"rollover-done-{width}")

    frame.get_by_role("link", name="Review them on the course home").click()
    drafts = frame.get_by_role("region", name="Drafts and scheduled posts (only staff see these)")
    drafts.wait_for()
    assert "PSY101" in drafts.inner_text()
    assert frame.get_by_role("region", name="Bring over the set-up").count() == 0
