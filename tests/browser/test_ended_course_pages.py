"""An ended course in a real browser, inside the demo LMS's frame: the instructor sets an end date
that has passed, finds the download beside it on the Settings page, and a student then meets
the read-only course, at desktop and phone width without sideways scrolling. Screenshots go to
`screenshots/`."""

from __future__ import annotations

import pytest

from tests.browser.conftest import course_page
from tests.browser.test_newsfeed_pages import full_view, launch_as


@pytest.mark.parametrize("width", [1280, 375])
def test_an_ended_course_says_so_and_offers_its_download(demo, page_in, width):
    page = page_in(width, 900)
    frame = launch_as(page, demo, "Margaret Chen")
    course_page(frame, "Settings")
    frame.get_by_label("Course end date").fill("2026-01-30")
    frame.get_by_role("button", name="Save settings").click()
    frame.get_by_text("Saved: 1 change.").wait_for()
    notice = frame.get_by_role("region", name="This course ended")
    assert "students can read it but no longer write" in notice.inner_text()
    download = frame.get_by_role("region", name="Download the whole course")
    said = download.inner_text()  # dates by the one formatter, in the demo's en-GB
    assert "The end date above says the course ends on 30 Jan 2026" in said
    with page.expect_download() as started:
        download.get_by_role("button", name="Download the whole course (ZIP)").click()
    assert started.value.suggested_filename.endswith(".zip")
    tool = next(f for f in page.frames if "/settings" in f.url)
    assert tool.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    frame.locator("#download").scroll_into_view_if_needed()
    full_view(page, f"ended-course-settings-{width}")

    student = page_in(width, 900)
    frame = launch_as(student, demo, "Amara Okafor")
    notice = frame.get_by_role("region", name="This course ended")
    assert "It is read only now" in notice.inner_text()
    assert frame.get_by_role("button", name="Send reply").count() == 0
    tool = next(f for f in student.frames if "/courses/" in f.url)
    assert tool.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    full_view(student, f"ended-course-student-{width}")
