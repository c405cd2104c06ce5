"""The newsfeed in a real browser, inside the demo LMS's frame: an instructor introduces
herself and posts news, a student says hello and reacts, the instructor sees who has seen it.
Screenshots at desktop and phone width go to `screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    SCREENSHOTS,
    TAKING_SCREENSHOTS,
    course_nav,
    course_page,
    navigating,
    page_loaded,
    screenshot,
)


def full_view(page: Any, name: str) -> None:
    """Screenshot the frame's page on its own, whole, as well as inside the LMS (when
    RAPPORT_SCREENSHOTS=1)."""
    if not TAKING_SCREENSHOTS:
        return
    screenshot(page, f"{name}-in-lms")
    tool = next(f for f in page.frames if "/courses/" in f.url)
    alone = page.context.new_page()
    alone.set_viewport_size(page.viewport_size)
    alone.goto(tool.url)
    screenshot(alone, name)
    height = alone.evaluate("document.documentElement.scrollHeight")
    width = alone.viewport_size["width"]
    for part, top in enumerate(range(0, height, 1200), start=1):  # readable slices of a long page
        clip = {"x": 0, "y": top, "width": width, "height": min(1200, height - top)}
        alone.screenshot(
            path=str(SCREENSHOTS / f"{name}-part{part}.png"), full_page=True, clip=clip
        )
    alone.close()


def launch_as(page: Any, demo: str, name: str) -> Any:
    page.goto(demo + "/demo")
    page.get_by_role("link", name=f"Launch as {name}").click()
    frame = page.frame_locator("#tool-frame")
    course_nav(frame).wait_for(timeout=15_000)
    return frame


def instructor_writes(frame: Any) -> None:
    course_page(frame, "My profile")
    frame.get_by_label("Pronouns").fill("she/her")
    frame.get_by_label("Role title").fill("Module leader")
    frame.get_by_label("About you").fill("I research how memory changes as we learn.")
    frame.get_by_label("How and when to reach you").fill(
        "Message me here — I answer within two working days. Office hour: Tuesdays 14:00."
    )
    frame.get_by_role("button", name="Save profile").click()
    frame.get_by_text("Profile saved.").wait_for()

    frame.get_by_role("link", name="Newsfeed").click()
    frame.get_by_role("link", name="Introduce yourself").click()
    frame.get_by_label("Your introduction").fill(
        "Hello! I'm Margaret, and I lead **Foundations of Psychology**.\n\n"
        "I've taught here for twelve years. Outside work I grow far too many tomatoes."
    )
    with navigating(frame):
        frame.get_by_role("button", name="Save").click()

    frame.get_by_role("link", name="Write news").click()
    frame.get_by_label("Title").fill("Start here: how this course works")
    frame.get_by_label("Post").fill(
        "Each week has a short reading, a lecture and a check-in.\n\n"
        "- Readings are on the course page\n- Lectures are on Mondays\n\n"
        "Questions? [Ask in the forum](https://example.edu/forum)."
    )
    frame.get_by_label("Pin to the top of the feed").check()
    with navigating(frame):
        frame.get_by_role("button", name="Save").click()

    frame.get_by_role("link", name="Write news").click()
    frame.get_by_label("Title").fill("Week 2 reading is up")
    frame.get_by_label("Post").fill("Chapter 3, pages 41-68. Focus on *working memory*.")
    with navigating(frame):
        frame.get_by_role("button", name="Save").click()

    frame.get_by_role("link", name="Write news").click()
    frame.get_by_label("Title").fill("Exam briefing")
    frame.get_by_label("Post").fill("Everything you need to know about the exam.")
    frame.get_by_label("Schedule for a date and time").check()
    frame.get_by_label("Appear on").fill("2030-02-01T09:00")
    with navigating(frame):
        frame.get_by_role("button", name="Save").click()
    frame.get_by_text("Drafts and scheduled posts").wait_for()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_feed_as_instructor_and_as_student(demo, page_in, width):
    staff_page = page_in(width, 900)
    frame = launch_as(staff_page, demo, "Margaret Chen")
    instructor_writes(frame)
    full_view(staff_page, f"newsfeed-staff-{width}")

    student_page = page_in(width, 900)
    frame = launch_as(student_page, demo, "Amara Okafor")
    body = frame.locator("main").inner_text()
    assert "Meet your course team" in body and "Module leader" in body
    assert "Exam briefing" not in body  # scheduled for 2030
    titles = frame.locator(".post-title").all_inner_texts()
    assert titles[:3] == [
        "Introducing Margaret Chen",
        "Start here: how this course works",
        "Week 2 reading is up",
    ]
    frame.get_by_label("Say hello").fill("Hello from Lagos! Looking forward to it.")
    frame.get_by_role("button", name="Say hello").click()
    frame.get_by_text("Hello from Lagos!").wait_for()
    frame.locator("#post-2 button[name=reaction][value=like]").click()
    frame.locator('#post-2 button[aria-pressed="true"]').wait_for()
    full_view(student_page, f"newsfeed-student-{width}")

    frame = launch_as(staff_page, demo, "Margaret Chen")
    frame.get_by_role("link", name="Seen by 1 of").first.click()
    frame.get_by_text("Not seen yet").wait_for()
    assert "Amara Okafor" in frame.locator("#seen").locator("..").inner_text()
    full_view(staff_page, f"newsfeed-seen-{width}")
    course_page(frame, "My profile")
    full_view(staff_page, f"newsfeed-profile-{width}")


@pytest.mark.parametrize("width", [1280, 375])
def test_staff_switch_replies_off_on_the_settings_page(demo, page_in, width):
    page = page_in(width, 900)
    frame = launch_as(page, demo, "Margaret Chen")
    course_page(frame, "Settings")
    frame.get_by_label("Replies").uncheck()
    frame.get_by_role("button", name="Save settings").click()
    frame.get_by_text("Saved: 1 change.").wait_for()
    assert "Replies: On → Off" in frame.locator("main").inner_text()
    full_view(page, f"settings-{width}")


@pytest.mark.parametrize("width", [1280, 375])
def test_a_refused_post_says_what_to_fix_and_keeps_what_was_typed(demo, page_in, width):
    page = page_in(width, 900)
    frame = launch_as(page, demo, "Margaret Chen")
    frame.get_by_role("link", name="Write news").click()
    frame.get_by_label("Post").fill("Seminar moved to room 2.04.")
    frame.get_by_label("Schedule for a date and time").check()
    frame.get_by_label("Appear on").fill("2020-03-02T10:00")
    with navigating(frame):
        frame.get_by_role("button", name="Save").click()
    summary = frame.locator("#form-errors")
    page_loaded(summary)  # its script moves focus there once the page has loaded
    assert "Give the post a title." in summary.inner_text()
    assert "That time has passed" in summary.inner_text()
    assert frame.get_by_label("Post").input_value() == "Seminar moved to room 2.04."
    tool = next(f for f in page.frames if "/courses/" in f.url)
    assert tool.evaluate("document.activeElement.id") == "form-errors"
    screenshot(page, f"newsfeed-form-errors-{width}")
