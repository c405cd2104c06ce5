"""Writing to several students at once, in a real browser inside the demo LMS: a snippet with
merge fields, a preview of the first two as they will read, then one thread each. Screenshots
at desktop and phone width go to `screenshots/`."""

from __future__ import annotations

import pytest

from tests.browser.conftest import course_page, screenshot
from tests.browser.test_newsfeed_pages import launch_as


@pytest.mark.parametrize("width", [1280, 375])
def test_an_instructor_writes_to_three_students_from_a_snippet(demo, page_in, width):
    page = page_in(width, 900)
    frame = launch_as(page, demo, "Margaret Chen")
    course_page(frame, "Snippets")
    frame.get_by_label("Name in the library").fill("Welcome")
    frame.locator("#field-body").fill(
        "Hello {first_name}, welcome to {course_title}! I'm glad you're here."
    )
    frame.get_by_role("button", name="Save").first.click()
    frame.get_by_role("link", name="Start a thread with each selected student").first.click()
    frame.get_by_role("radio", name="Students I pick below").wait_for()
    frame.get_by_label("Find a student by name or email").fill("amara")
    frame.get_by_role("button", name="Search").click()
    frame.get_by_text("1 student found").wait_for()  # the results, not the page before them
    frame.get_by_label("Amara Okafor").check()  # picked from a search...
    frame.get_by_label("Find a student by name or email").fill("")
    frame.get_by_role("button", name="Search").click()
    for name in ("Liam O'Brien", "Priya Raman"):  # ...and kept while picking from the list
        frame.get_by_label(name).check()
    assert frame.get_by_label("Amara Okafor").is_checked()
    frame.locator("h1").scroll_into_view_if_needed()
    screenshot(page, f"bulk-start-{width}-in-lms")
    frame.get_by_label("Start from a snippet").select_option(label="Welcome")
    frame.get_by_label("Thread title").fill("Welcome, {first_name}")
    frame.get_by_role("button", name="Preview").click()
    frame.get_by_role("heading", name="Check before sending").wait_for()
    text = frame.locator("main").inner_text()
    assert "Hello Amara, welcome to Foundations of Psychology!" in text
    assert "Hello Liam, welcome to Foundations of Psychology!" in text
    screenshot(page, f"bulk-preview-{width}-in-lms")
    frame.get_by_role("button", name="Start 3 threads").click()
    frame.get_by_role("link", name="Go to the feedback threads").wait_for(timeout=20_000)
    screenshot(page, f"bulk-done-{width}-in-lms")

    student = page_in(width, 900)
    frame = launch_as(student, demo, "Priya Raman")
    frame.get_by_role("link", name="Feedback 1 unread").click()
    frame.get_by_role("link", name="Welcome, Priya").click()
    frame.get_by_text("Hello Priya, welcome to Foundations of Psychology!").wait_for()
