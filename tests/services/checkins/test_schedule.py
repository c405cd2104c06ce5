"""Weeks without check-ins (issue 16: "courses can name weeks without check-ins (holidays)"):
a repeating check-in skips them and still opens as many times; a one-off keeps its date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lti_tool.services.checkins.schedule import occurrences, parse_schedule, skipped_weeks
from lti_tool.services.checkins.settings import holiday_dates, normal_holidays
from lti_tool.services.course_settings import SettingInvalid

EASTER = [date(2027, 4, 7), date(2027, 4, 16)]  # a Wednesday and a Friday: weeks of 5 and 12 Apr


def opening_days(first: str, every: str, count: str, holidays: list[date]) -> list[date]:
    schedule = parse_schedule(first, every, count, "48", "Europe/London", holidays)
    return [opens.date() for opens, _ in occurrences(schedule)]


def test_a_weekly_check_in_skips_the_weeks_off_and_opens_as_many_times():
    days = opening_days("2027-03-22T09:00", "7", "4", EASTER)
    assert days == [date(2027, 3, 22), date(2027, 3, 29), date(2027, 4, 19), date(2027, 4, 26)]
    schedule = parse_schedule("2027-03-22T09:00", "7", "4", "48", "Europe/London", EASTER)
    assert skipped_weeks(schedule) == [date(2027, 4, 5), date(2027, 4, 12)]
    assert schedule.as_json()["skipped_weeks"] == ["2027-04-05", "2027-04-12"]
    first_open = occurrences(schedule)[2][0]
    assert first_open == datetime(2027, 4, 19, 8, 0, tzinfo=UTC)  # 09:00 London, summer time


def test_a_fortnightly_check_in_skips_only_the_weeks_it_would_open_in():
    days = opening_days("2027-03-29T09:00", "14", "3", EASTER)
    assert days == [date(2027, 3, 29), date(2027, 4, 26), date(2027, 5, 10)]


def test_a_one_off_keeps_its_date_and_a_schedule_without_weeks_off_is_as_before():
    assert opening_days("2027-04-06T09:00", "0", "1", EASTER) == [date(2027, 4, 6)]
    plain = parse_schedule("2027-03-22T09:00", "7", "3", "48", "UTC")
    assert "skipped_weeks" not in plain.as_json()
    assert len(occurrences(plain)) == 3


def test_the_setting_takes_dates_in_any_order_each_once():
    assert holiday_dates("2027-04-16; 2027-04-07,2027-04-07\n") == EASTER
    assert normal_holidays(" 2027-04-16 2027-04-07 ") == "2027-04-07, 2027-04-16"
    assert normal_holidays("") == ""


@pytest.mark.parametrize("typed", ["Easter", "2027-02-30", "1999-04-05", "07/04/2027"])
def test_what_is_not_a_date_is_refused_with_how_to_write_one(typed):
    with pytest.raises(SettingInvalid, match="write each as 2027-04-05"):
        holiday_dates(f"2027-04-07, {typed}")


def test_at_most_thirty_weeks():
    many = ", ".join(f"2027-{month:02}-{day:02}" for month in range(1, 12) for day in (1, 10, 20))
    with pytest.raises(SettingInvalid, match="at most 30"):
        holiday_dates(many)
