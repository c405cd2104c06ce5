"""Triage in a real browser inside the demo LMS (issue 16): staff answer a student from the
card, the card says "Answered", the figures atop the page say what is left, the live region
says the reply was sent and focus moves to the next card, without leaving triage. At desktop
and phone width, screenshots in `screenshots/`."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_checkin_pages import create_checkin
from tests.browser.test_newsfeed_pages import full_view, launch_as


@pytest.mark.parametrize("width", [1280, 375])
def test_staff_answer_in_place_and_move_on_to_the_next_card(demo, page_in, width):
    staff = page_in(width, 900)
    create_checkin(launch_as(staff, demo, "Margaret Chen"))
    for name, face, talk in [("Amara Okafor", "2", True), ("Liam O'Brien", "4", False)]:
        student = page_in(width, 900)
        frame = launch_as(student, demo, name)
        frame.get_by_role("link", name="Answer: Week 3 check-in").click()
        frame.locator(f"label.scale-option:has(input[value='{face}'])").click()
        if talk:
            frame.get_by_label("I'd like to talk to someone on the course team").check()
        frame.get_by_role("button", name="Send my answer").click()
        frame.get_by_text("your answer is saved").wait_for()

    frame = launch_as(staff, demo, "Margaret Chen")
    frame.get_by_role("link", name="Check-ins").click()
    frame.get_by_role("link", name="Triage all answers").click()
    frame.get_by_role("heading", name="Triage").wait_for()
    cards = frame.locator("article.triage-row")
    amara, liam = cards.nth(0), cards.nth(1)
    assert amara.get_attribute("data-name") == "Amara Okafor"
    talk = frame.locator("ul.stats li").first  # what waits, atop the page
    assert " ".join(talk.inner_text().split()) == "1 asked to talk"
    heading = frame.locator("h1")
    heading.evaluate("() => { window.stayedOnTriage = true; }")  # gone if the page reloads
    amara.get_by_text("Answer Amara Okafor").click()
    amara.get_by_label("Your reply, in Amara Okafor's feedback thread").fill(
        "Thanks for telling us. Shall we meet on Monday at 10?"
    )
    screenshot(staff, f"triage-answer-writing-{width}-in-lms")
    amara.get_by_role("button", name="Send reply").click()
    frame.get_by_role("status").filter(has_text="Reply sent to Amara Okafor").wait_for()
    assert heading.evaluate("() => window.stayedOnTriage === true"), "still on the same page"
    assert amara.locator(".tag.pin").inner_text() == "Answered"
    assert " ".join(talk.inner_text().split()) == "0 asked to talk", "the figures follow"
    assert amara.get_by_role("link", name="Open the conversation with Amara Okafor").count() == 1
    focused = frame.locator(":focus").get_attribute("id")
    assert focused == liam.get_attribute("id"), "focus on the next card"
    assert "Next: Liam O'Brien." in frame.get_by_role("status").inner_text()
    full_view(staff, f"triage-answered-in-place-{width}")
