"""The activity log in a real browser, inside the demo LMS's frame: the instructor publishes
news, pins it and changes a setting, then reads all three in the log, reached from the course's
tabs, at desktop and phone width without sideways scrolling. Screenshots go to `screenshots/`."""

from __future__ import annotations

import pytest

from tests.browser.conftest import course_page
from tests.browser.test_newsfeed_pages import full_view, launch_as


@pytest.mark.parametrize("width", [1280, 375])
def test_an_instructor_reads_the_activity_log_at_any_width(demo, page_in, width):
    page = page_in(width, 900)
    frame = launch_as(page, demo, "Margaret Chen")
    frame.get_by_role("link", name="Write news").click()
    frame.get_by_label("Title").fill("Week 2 reading is up")
    frame.get_by_label("Post").fill("Chapter 3, pages 41-68.")
    frame.get_by_label("Pin to the top of the feed").check()
    frame.get_by_role("button", name="Save").click()
    frame.get_by_role("heading", name="Week 2 reading is up").wait_for()
    course_page(frame, "Settings")
    frame.get_by_role("checkbox", name="Reactions").uncheck()
    frame.get_by_role("button", name="Save settings").click()
    frame.get_by_text("Saved: 1 change.").wait_for()

    course_page(frame, "Activity log")
    log = frame.get_by_role("list", name="Activity log")
    log.wait_for()
    lines = log.get_by_role("listitem").all_inner_texts()
    assert "Margaret Chen changed Reactions from On to Off" in lines[0]
    assert "Margaret Chen published “Week 2 reading is up”" in lines[-1]
    tool = next(f for f in page.frames if "/audit" in f.url)
    assert tool.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    full_view(page, f"activity-log-{width}")
