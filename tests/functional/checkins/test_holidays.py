"""A course's weeks without check-ins, from its settings page to the check-in's schedule.

Issue 16: "Courses can name weeks without check-ins (holidays)": an instructor names them on the
settings page, the new check-in form says they will be skipped, the check-in's occurrences skip
them and its page shows which weeks it skipped.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from lti_tool.db import transaction
from lti_tool.models import Occurrence
from tests.conftest import state
from tests.functional.checkins.test_checkins import create, occurrence_ids
from tests.functional.test_settings import form_of
from tests.newsfeed_flow import teacher

LONDON = ZoneInfo("Europe/London")


def test_named_weeks_off_are_skipped_and_shown(tool, platform):
    app, url = tool
    staff = teacher(platform, url)
    form = form_of(staff.text("settings"), **{"checkins.holidays": "2027-02-17; 2027-02-10"})
    saved = staff.post("settings", form, csrf=False)
    assert saved.status_code == 303, saved.text[:500]
    assert 'value="2027-02-10, 2027-02-17"' in staff.text("settings")

    new_form = staff.text("checkins/new")
    assert "skips the course's weeks without check-ins" in new_form
    assert "10 Feb 2027" in new_form and "17 Feb 2027" in new_form

    checkin = create(staff, first="2027-01-25T09:00", count="5")  # Mondays from 25 January
    with transaction(state(app).sessions) as session:
        days = [
            session.get_one(Occurrence, o).opens_at.astimezone(LONDON).date()
            for o in occurrence_ids(app, checkin)
        ]
    assert days == [
        date(2027, 1, 25),
        date(2027, 2, 1),
        date(2027, 2, 22),
        date(2027, 3, 1),
        date(2027, 3, 8),
    ]
    page = staff.text(f"checkins/{checkin}")
    assert "No check-in in the course's weeks off" in page
    assert '<time datetime="2027-02-08">Mon, 8 Feb 2027</time>' in page
    assert '<time datetime="2027-02-15">Mon, 15 Feb 2027</time>' in page


def test_a_week_off_that_is_not_a_date_is_refused_and_nothing_changes(tool, platform):
    _, url = tool
    staff = teacher(platform, url)
    form = form_of(staff.text("settings"), **{"checkins.holidays": "2027-02-10, reading week"})
    refused = staff.post("settings", form, csrf=False)
    assert refused.status_code == 400
    assert "“reading” is not a date: write each as 2027-04-05." in refused.text
    assert "skips the course" not in staff.text("checkins/new")
