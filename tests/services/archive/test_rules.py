"""A course's end and what it closes, without Flask or a database: where the end comes from,
the grace after it, and who can still write when (a table of roles by moments)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.archive.rules import (
    READ_ONLY,
    can_write_in_course,
    course_end,
    refuse_unless_writable,
)
from lti_tool.services.archive.settings import DEFAULT_GRACE_DAYS, END_DATE, GRACE_DAYS
from lti_tool.services.course_settings import (
    COURSE_TIME_ZONE,
    CourseSettings,
    SettingInvalid,
    setting_spec,
)
from lti_tool.services.refusals import Refused

LMS_END = datetime(2027, 6, 20, 16, 0, tzinfo=UTC)


def settings(**stored: Any) -> CourseSettings:
    keys = {"end_date": END_DATE, "grace_days": GRACE_DAYS, "zone": COURSE_TIME_ZONE}
    return CourseSettings(1, {keys[name]: value for name, value in stored.items()})


def test_a_course_without_an_end_never_closes():
    assert course_end(None, settings()) is None
    student = CourseGrant(1, 2, CourseRole.STUDENT)
    assert can_write_in_course(student, None, datetime(2099, 1, 1, tzinfo=UTC))


def test_the_lms_end_counts_when_staff_set_none():
    end = course_end(LMS_END, settings())
    assert end is not None
    assert (end.ends_at, end.from_settings) == (LMS_END, False)
    assert DEFAULT_GRACE_DAYS == 14
    assert end.writable_until == LMS_END + timedelta(days=14)


def test_the_date_staff_set_wins_and_ends_with_its_day_in_the_course_s_zone():
    end = course_end(LMS_END, settings(end_date="2027-06-30", zone="Europe/London"))
    assert end is not None and end.from_settings
    # 23:59:59 British Summer Time
    assert end.ends_at == datetime(2027, 6, 30, 22, 59, 59, tzinfo=UTC)


def test_grace_days_are_the_course_s_calendar_days_across_a_clock_change():
    end = course_end(None, settings(end_date="2027-10-20", grace_days=14, zone="Europe/London"))
    assert end is not None
    assert end.ends_at == datetime(2027, 10, 20, 22, 59, 59, tzinfo=UTC)  # BST
    assert end.writable_until == datetime(2027, 11, 3, 23, 59, 59, tzinfo=UTC)  # GMT


def test_no_grace_closes_the_course_when_it_ends():
    end = course_end(LMS_END, settings(grace_days=0))
    assert end is not None and end.writable_until == end.ends_at


def test_a_stored_end_date_no_option_accepts_is_not_used():
    assert course_end(None, settings(end_date="30/06/2027")) is None


INSTRUCTOR = CourseGrant(1, 1, CourseRole.STAFF)
ASSISTANT = CourseGrant(1, 2, CourseRole.STAFF, leads=False)
STUDENT = CourseGrant(1, 3, CourseRole.STUDENT)
GUEST = CourseGrant(1, 4, CourseRole.GUEST)
BEFORE = LMS_END - timedelta(days=1)
GRACE = LMS_END + timedelta(days=13, hours=23)
AFTER = LMS_END + timedelta(days=14)


@pytest.mark.parametrize(
    ("grant", "now", "writes"),
    [
        (INSTRUCTOR, BEFORE, True),
        (INSTRUCTOR, GRACE, True),
        (INSTRUCTOR, AFTER, True),
        (ASSISTANT, AFTER, True),
        (STUDENT, BEFORE, True),
        (STUDENT, GRACE, True),
        (STUDENT, AFTER, False),
        (GUEST, GRACE, True),
        (GUEST, AFTER, False),
    ],
)
def test_who_can_write_when(grant, now, writes):
    end = course_end(LMS_END, settings())
    assert can_write_in_course(grant, end, now) is writes
    if writes:
        refuse_unless_writable(grant, end, now)
    else:
        with pytest.raises(Refused) as refused:
            refuse_unless_writable(grant, end, now)
        assert (refused.value.status, refused.value.message) == (403, READ_ONLY)


def test_the_end_date_option_takes_a_day_and_the_change_log_writes_it_as_pages_do():
    spec = setting_spec(END_DATE)
    assert spec is not None
    assert spec.parse(" 2027-06-30 ") == "2027-06-30"
    assert spec.parse("") == ""
    for typed in ("30/06/2027", "2027-02-30", "1927-06-30", "2027-06-30" * 10):
        with pytest.raises(SettingInvalid, match="Enter a date as 2027-06-30, or leave it empty"):
            spec.parse(typed)
    assert spec.accepts("2027-06-30") and spec.accepts("")
    assert not spec.accepts("2027-6-30") and not spec.accepts(20270630)
    # The one date formatter's (lti_tool/dates.py): its English outside a request; a page in
    # en-GB writes "30 Jun 2027" (tests/functional/archive).
    assert (spec.describe("2027-06-30"), spec.describe("")) == ("Jun 30, 2027", "—")
