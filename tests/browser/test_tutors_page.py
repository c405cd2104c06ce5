"""Personal tutors in a real browser, inside the demo LMS's frame: the teaching assistant
fills in a profile, the instructor shares the roster out between the two of them and moves one
student by hand, and the student finds "Your tutor" on the course home. Screenshots at desktop
and phone width go to `screenshots/`."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import course_page
from tests.browser.test_newsfeed_pages import full_view, launch_as


def wait_for_roster(frame: Any) -> None:
    """The staff launch syncs the roster in the background; reload until it has arrived."""
    deadline = time.monotonic() + 20
    while "Amara Okafor" not in frame.locator("main").inner_text():
        assert time.monotonic() < deadline, "the roster never arrived"
        time.sleep(0.3)
        course_page(frame, "Tutors")


def tutor_profile(frame: Any) -> None:
    """Tomás presents himself as a personal tutor, saying how and when to reach him."""
    course_page(frame, "My profile")
    frame.get_by_label("Pronouns").fill("he/him")
    frame.get_by_label("Role title").fill("Personal tutor")
    frame.get_by_label("How and when to reach you").fill(
        "Message me here; I answer within a day. Drop-in: Thursdays 10:00-12:00."
    )
    frame.get_by_role("button", name="Save profile").click()
    frame.get_by_text("Profile saved.").wait_for()


@pytest.mark.parametrize("width", [1280, 375])
def test_staff_share_out_tutees_and_a_student_meets_their_tutor(demo, page_in, width):
    ta_page = page_in(width, 900)
    frame = launch_as(ta_page, demo, "Tomás Rivera")
    tutor_profile(frame)

    staff_page = page_in(width, 900)
    frame = launch_as(staff_page, demo, "Margaret Chen")
    course_page(frame, "Tutors")
    wait_for_roster(frame)
    full_view(staff_page, f"tutors-empty-{width}")
    frame.get_by_role("button", name="Share out students").click()
    frame.get_by_text("students have a new tutor.").wait_for()

    frame.get_by_label("Tutor for Amara Okafor").select_option(label="Tomás Rivera")
    frame.get_by_role("button", name="Save tutor for Amara Okafor").click()
    frame.get_by_text("Tutor saved.").wait_for()
    assert frame.get_by_label("Tutor for Amara Okafor").input_value() != ""
    full_view(staff_page, f"tutors-staff-{width}")

    frame.get_by_role("link", name="My tutees").click()
    frame.locator("caption", has_text="My tutees").wait_for(state="attached")
    names = frame.locator(".tutor-student").all_inner_texts()
    assert names and "Amara Okafor" not in names
    frame.locator("a[href*=history]").first.click()
    frame.get_by_text("Chosen by").wait_for()
    full_view(staff_page, f"tutors-history-{width}")

    student_page = page_in(width, 900)
    frame = launch_as(student_page, demo, "Amara Okafor")
    card = frame.locator(".tutor-card")
    card.wait_for()
    text = card.inner_text()
    assert "Your tutor: Tomás Rivera" in text
    assert "Personal tutor · he/him" in text and "Thursdays" in text
    full_view(student_page, f"tutors-student-home-{width}")
