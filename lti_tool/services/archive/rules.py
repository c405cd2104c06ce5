"""When a course ends, and what its end changes (issue 18, "Archive and retention").

A course ends on the date its staff set in its settings (END_DATE: the end of that day in the
course's time zone), or else when the LMS says (`Course.lms_ends_at`, stored at launch).
Students keep writing for the course's grace period (GRACE_DAYS) after the end; from then on
the course is read only for everyone but its staff, who keep reading and writing. Guests
(Mentors) write nothing anyway; the rule names them with students, as "not staff".

The views ask `can_write_in_course` once for every form a non-staff visitor sends
(`views/course.py`), so no feature has to remember it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from lti_tool.dates import zone_named
from lti_tool.i18n import lazy_gettext
from lti_tool.services.access import CourseGrant
from lti_tool.services.archive.settings import END_DATE, GRACE_DAYS
from lti_tool.services.course_settings import COURSE_TIME_ZONE, SettingValue
from lti_tool.services.refusals import Refused

# Read in the language of whoever is refused (a lazy string: str() it to show it).
READ_ONLY = lazy_gettext(
    "This course has ended and is read only now: you can still read everything in it, but no "
    "longer write, react or answer here."
)
LAST_MOMENT = time(23, 59, 59)  # a course that ends on a day ends when that day does


@dataclass(frozen=True)
class CourseEnd:
    """The course's end, where it came from, and until when students can still write."""

    ends_at: datetime
    from_settings: bool  # set by staff in the course settings (else the LMS said)
    writable_until: datetime

    def has_ended(self, now: datetime) -> bool:
        return now >= self.ends_at

    def is_read_only(self, now: datetime) -> bool:
        """Whether students (and guests) can no longer write: the grace period is over."""
        return now >= self.writable_until


def end_of_day(day: date, zone_name: object) -> datetime:
    """The last second of `day` in the zone, in UTC."""
    return datetime.combine(day, LAST_MOMENT, tzinfo=zone_named(zone_name)).astimezone(UTC)


def course_end(
    lms_ends_at: datetime | None, settings: Mapping[str, SettingValue]
) -> CourseEnd | None:
    """The course's end: its settings' date wins over the LMS's; None when neither names one."""
    zone = zone_named(settings[COURSE_TIME_ZONE])
    chosen = str(settings[END_DATE])
    if chosen:
        ends_at, from_settings = end_of_day(date.fromisoformat(chosen), zone.key), True
    elif lms_ends_at is not None:
        ends_at, from_settings = lms_ends_at.astimezone(UTC), False
    else:
        return None
    # Days as the course's calendar counts them: 14 days after a Friday 23:59 is a Friday 23:59,
    # also across a change to or from summer time.
    grace = timedelta(days=int(settings[GRACE_DAYS]))
    writable_until = (ends_at.astimezone(zone) + grace).astimezone(UTC)
    return CourseEnd(ends_at, from_settings, writable_until)


def can_write_in_course(grant: CourseGrant, end: CourseEnd | None, now: datetime) -> bool:
    """Staff always; everyone else until the course's grace period after its end is over."""
    return grant.is_staff or end is None or not end.is_read_only(now)


def refuse_unless_writable(grant: CourseGrant, end: CourseEnd | None, now: datetime) -> None:
    """403 with READ_ONLY when `can_write_in_course` says no."""
    if not can_write_in_course(grant, end, now):
        raise Refused(403, str(READ_ONLY))
