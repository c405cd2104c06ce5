"""Check-ins in a real browser inside the demo LMS: an instructor creates one, a student answers
it on a phone in a few taps from the top of the course home, and the instructor triages.
Screenshots at desktop and phone width go to `screenshots/`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_newsfeed_pages import full_view, launch_as


def create_checkin(frame) -> None:
    frame.get_by_role("link", name="Check-ins").click()
    frame.get_by_role("link", name="New check-in").click()
    frame.get_by_label("Title").fill("Week 3 check-in")
    frame.get_by_label("A question answered in words (optional)").fill(
        "What is one thing we could help with?"
    )
    started = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    frame.get_by_label("First opens").fill(started)
    frame.get_by_label("Time zone").fill("UTC")
    frame.get_by_role("button", name="Create check-in").click()
    frame.get_by_role("heading", name="Week 3 check-in").wait_for()


@pytest.mark.parametrize("width", [1280, 375])
def test_a_student_answers_in_a_few_taps_and_staff_triage(demo, page_in, width):
    staff = page_in(width, 900)
    create_checkin(launch_as(staff, demo, "Margaret Chen"))

    for name, face, words, talk in [
        ("Amara Okafor", "2", "I'm behind on the reading.", True),
        ("Liam O'Brien", "4", "", False),
    ]:
        student = page_in(width, 900)
        frame = launch_as(student, demo, name)
        frame.get_by_role("heading", name="Check-in open now").wait_for()
        if name.startswith("Amara"):
            screenshot(student, f"checkin-home-student-{width}-in-lms")
        frame.get_by_role("link", name="Answer: Week 3 check-in").click()
        frame.locator(f"label.scale-option:has(input[value='{face}'])").click()
        if words:
            frame.get_by_label("What is one thing we could help with?").fill(words)
        if talk:
            frame.get_by_label("I'd like to talk to someone on the course team").check()
        if name.startswith("Amara"):
            screenshot(student, f"checkin-answer-student-{width}-in-lms")
        frame.get_by_role("button", name="Send my answer").click()
        frame.get_by_text("your answer is saved").wait_for()

    frame = launch_as(staff, demo, "Margaret Chen")
    frame.get_by_role("link", name="Check-ins").click()
    frame.get_by_role("link", name="Triage all answers").click()
    frame.get_by_role("heading", name="Triage").wait_for()
    names = frame.locator(".triage-name").all_inner_texts()
    assert names[0].startswith("Amara Okafor")
    full_view(staff, f"checkin-triage-{width}")
    frame.get_by_role("link", name="← Check-ins").click()
    frame.get_by_role("link", name="Week 3 check-in").click()
    frame.get_by_role("heading", name="Week 3 check-in").wait_for()
    full_view(staff, f"checkin-overview-{width}")


@pytest.mark.parametrize("width", [1280, 375])
def test_staff_nudge_who_has_not_answered_and_see_it_sent(demo, page_in, width):
    """The nudge is written by a job: the page says it is being sent and links to its
    progress, which ends with every message in its student's check-in conversation."""
    staff = page_in(width, 900)
    frame = launch_as(staff, demo, "Margaret Chen")
    create_checkin(frame)
    frame.get_by_role("link", name="Not answered").first.click()
    frame.get_by_role("heading", name="Not answered: Week 3 check-in #1").wait_for()
    frame.get_by_role("button", name="Send to the students ticked").click()
    notice = frame.get_by_role("status").filter(has_text="personal messages")
    notice.wait_for()
    assert notice.inner_text().startswith("Sending ")
    screenshot(staff, f"checkin-nudge-sending-{width}-in-lms")
    frame.get_by_role("link", name="See how far it has got").click()
    frame.get_by_text("messages sent.").wait_for()
    full_view(staff, f"checkin-nudge-progress-{width}")
