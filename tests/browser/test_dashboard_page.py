"""The relationship dashboard in a real browser, inside the demo LMS's frame (issue 7): the
instructor writes to one student, then the dashboard counts that student as contacted and puts
the others, never contacted, in "Contact next". Screenshots at desktop and phone width go to
`screenshots/`."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_newsfeed_pages import full_view, launch_as


@pytest.mark.parametrize("width", [1280, 375])
def test_the_dashboard_after_writing_to_one_student(demo, page_in, width):
    page = page_in(width, 900)
    frame = launch_as(page, demo, "Margaret Chen")
    frame.get_by_role("link", name="Feedback").click()
    frame.get_by_role("link", name="Start a conversation").click()
    frame.get_by_label("Student", exact=True).select_option(label="Amara Okafor")
    frame.get_by_label("Title").fill("How the first weeks went")
    frame.get_by_label("Message").fill("Dear Amara,\n\nHow are you finding the course?\n\nMargaret")
    frame.get_by_role("button", name="Send").click()
    frame.get_by_role("heading", name="How the first weeks went").wait_for()

    frame.get_by_role("link", name="Dashboard").click()
    frame.get_by_role("heading", name="Who has heard from a person lately").wait_for()
    main = frame.locator("main")
    summary = " ".join(main.locator("ul.stats").inner_text().split())
    found = re.search(r"(\d+)% contacted within 14 days \(1 of (\d+)\)", summary)
    assert found, summary
    assert int(found.group(1)) == round(100 / int(found.group(2)))
    assert "What counts:" in main.inner_text()

    amara = main.locator("tr", has_text="Amara Okafor")
    assert "today · Margaret Chen, feedback" in amara.inner_text()
    soon = frame.get_by_role("region", name="Contact next").locator("li")
    assert 1 <= soon.count() <= 10
    assert "Never had personal contact" in soon.first.inner_text()
    assert "Amara Okafor" not in frame.locator(".next-list").inner_text()
    full_view(page, f"dashboard-staff-{width}")

    soon.first.get_by_role("link", name=re.compile("^Write")).click()
    frame.get_by_role("heading", name="Start a conversation").wait_for()
    chosen = frame.get_by_label("Student", exact=True).locator("option:checked").inner_text()
    assert chosen not in ("Choose a student", "Amara Okafor")
