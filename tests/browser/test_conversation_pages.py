"""Conversations either way in a real browser at phone width, inside the demo LMS's frame: a
student writes first to their tutor from the tutor's card, the tutor finds it waiting on their
home, and staff find a student's conversations by typing part of a name (the list updates as
they type, and says what it found in a live region). Screenshots go to `screenshots/`."""

from __future__ import annotations

from tests.browser.conftest import course_page, page_loaded
from tests.browser.test_newsfeed_pages import full_view, launch_as
from tests.browser.test_tutors_page import tutor_profile, wait_for_roster

WIDTH = 375


def test_a_student_writes_first_to_their_tutor_at_phone_width(demo, page_in):
    ta_page = page_in(WIDTH, 900)
    tutor_profile(launch_as(ta_page, demo, "Tomás Rivera"))

    staff_page = page_in(WIDTH, 900)
    frame = launch_as(staff_page, demo, "Margaret Chen")
    course_page(frame, "Tutors")
    wait_for_roster(frame)
    frame.get_by_label("Tutor for Amara Okafor").select_option(label="Tomás Rivera")
    frame.get_by_role("button", name="Save tutor for Amara Okafor").click()
    frame.get_by_text("Tutor saved.").wait_for()

    student_page = page_in(WIDTH, 900)
    frame = launch_as(student_page, demo, "Amara Okafor")
    write = frame.get_by_role("link", name="Write to Tomás Rivera")
    full_view(student_page, f"conversation-student-home-{WIDTH}")
    write.click()
    frame.get_by_role("heading", name="Write to Tomás Rivera").wait_for()
    assert "Thursdays 10:00-12:00" in frame.locator("main").inner_text()
    frame.get_by_label("What it is about").fill("Essay plan")
    frame.get_by_label("Your message").fill("Could we go over my plan on Thursday?")
    frame.get_by_label("Your message").focus()
    full_view(student_page, f"conversation-student-new-{WIDTH}")
    frame.get_by_role("button", name="Send").click()
    frame.get_by_role("heading", name="Essay plan").wait_for()
    full_view(student_page, f"conversation-student-thread-{WIDTH}")

    frame = launch_as(ta_page, demo, "Tomás Rivera")
    waiting = frame.locator("section.waiting")
    waiting.wait_for()
    assert "Amara Okafor" in waiting.inner_text() and "Essay plan" in waiting.inner_text()
    full_view(ta_page, f"conversation-tutor-home-{WIDTH}")

    frame = launch_as(staff_page, demo, "Margaret Chen")
    frame.get_by_role("link", name="Feedback", exact=False).first.click()
    page_loaded(frame.get_by_role("heading", name="Feedback", exact=True))
    search = frame.get_by_label("Find a student's conversations by name or email")
    search.press_sequentially("okaf", delay=60)
    frame.locator("#search-status", has_text="“okaf”").wait_for()
    assert "Essay plan" in frame.locator("#thread-results").inner_text()
    assert search.evaluate("el => el === document.activeElement")  # typing goes on
    full_view(staff_page, f"conversation-staff-search-{WIDTH}")

    frame.get_by_role("link", name="Start a conversation").click()
    page_loaded(frame.get_by_role("heading", name="Start a conversation"))
    frame.get_by_label("Find a student by name or email").press_sequentially("amara", delay=60)
    frame.locator("#search-status", has_text="to choose from").wait_for()
    options = frame.get_by_label("Student", exact=True).locator("option").all_inner_texts()
    assert "Amara Okafor" in options and len(options) <= 3, options
