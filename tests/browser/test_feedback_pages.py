"""A feedback conversation in a real browser, inside the demo LMS's frame: the instructor writes
to a student, the student sees the unread count, reads and answers. Screenshots at desktop and
phone width go to `screenshots/`."""

from __future__ import annotations

import pytest

from tests.browser.test_newsfeed_pages import full_view, launch_as


@pytest.mark.parametrize("width", [1280, 375])
def test_a_conversation_as_instructor_and_as_student(demo, page_in, width):
    staff_page = page_in(width, 900)
    frame = launch_as(staff_page, demo, "Margaret Chen")
    frame.get_by_role("link", name="Feedback").click()
    frame.get_by_role("link", name="Start a conversation").click()
    frame.get_by_label("Student", exact=True).select_option(label="Amara Okafor")
    frame.get_by_label("Title").fill("Your essay plan")
    frame.get_by_label("Message").fill(
        "Dear Amara,\n\nYour plan is **clear and well argued**. Two things to strengthen:\n\n"
        "1. Say early which theory you will test.\n2. Cite the 2019 replication.\n\n"
        "Margaret"
    )
    frame.get_by_role("button", name="Send").click()
    frame.get_by_role("heading", name="Your essay plan").wait_for()

    student_page = page_in(width, 900)
    frame = launch_as(student_page, demo, "Amara Okafor")
    # The count is part of the link's name: "Feedback 1 unread".
    frame.get_by_role("link", name="Feedback 1 unread").click()
    frame.get_by_role("heading", name="Feedback", exact=True).wait_for()
    full_view(student_page, f"feedback-list-student-{width}")
    frame.get_by_role("link", name="Your essay plan").click()
    frame.get_by_label("Your reply").fill("Thank you! I'll test working-memory theory.")
    frame.get_by_role("button", name="Send").click()
    frame.get_by_text("I'll test working-memory theory").wait_for()
    assert "unread" not in frame.locator("nav.course-nav").inner_text()
    full_view(student_page, f"feedback-thread-student-{width}")

    frame = launch_as(staff_page, demo, "Margaret Chen")
    frame.get_by_role("link", name="Feedback").click()
    frame.get_by_role("heading", name="Feedback", exact=True).wait_for()
    assert "Awaiting your reply" in frame.locator("main").inner_text()
    full_view(staff_page, f"feedback-list-staff-{width}")
    frame.get_by_role("link", name="Your essay plan").click()
    frame.get_by_text("I'll test working-memory theory").wait_for()
    full_view(staff_page, f"feedback-thread-staff-{width}")
