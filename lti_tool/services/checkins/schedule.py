"""When a check-in opens and closes: "every Monday 09:00 for 10 weeks, open for 3 days", read in
the course's time zone, so that 09:00 stays 09:00 on both sides of a daylight-saving change.

Occurrences are worked out on the wall clock of the zone and stored in UTC. A local time that
does not exist on a given day (clocks jump forward over it) is read with the offset from before
the jump, as `zoneinfo` does (PEP 495, fold=0).

A course names weeks without check-ins (holidays) in its settings, by a date in each week. A
repeating check-in opens in none of them (the week runs Monday to Sunday, of the opening's local
date) and still opens as many times as asked: it runs on after the last one. A one-off keeps the
date it was given. The weeks skipped are kept with the schedule, for its page to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lti_tool.i18n import _, ngettext
from lti_tool.services.refusals import Refused

MAX_OCCURRENCES = 52

MAX_OPEN_HOURS = 24 * 14
# A first opening outside these years is a typing slip (and 9999-12-31 would overflow the
# calendar once the zone and the repeats are added).
FIRST_YEARS = range(2000, 2101)


@dataclass(frozen=True)
class Schedule:
    first: datetime  # local wall-clock time of the first opening, without a zone
    every_days: int  # 0 for a one-off, 7 for weekly, 14 for fortnightly
    count: int
    open_hours: int
    time_zone: str
    holiday_weeks: frozenset[date] = frozenset()  # the Mondays of the course's weeks off

    def as_json(self) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "first": self.first.strftime("%Y-%m-%dT%H:%M"),
            "every_days": self.every_days,
            "count": self.count,
            "open_hours": self.open_hours,
            "time_zone": self.time_zone,
        }
        skipped = skipped_weeks(self)
        if skipped:
            shape["skipped_weeks"] = [week.isoformat() for week in skipped]
        return shape


def in_words(shape: Mapping[str, Any], with_zone: bool = False) -> str:
    """A schedule as a check-in stores it (`Schedule.as_json`), as staff read it: "Every 7 days,
    10 times, open 72 hours each time", and with its zone ", Europe/London time." after."""
    every = int(shape.get("every_days") or 0)
    count = int(shape.get("count") or 1)
    hours = int(shape.get("open_hours") or 0)
    if every:
        days = ngettext("%(num)d day", "%(num)d days", every)
        repeats = ngettext(
            "Every %(days)s, %(num)d time", "Every %(days)s, %(num)d times", count, days=days
        )
    else:
        repeats = _("Once")
    if with_zone:
        return ngettext(
            "%(schedule)s, open %(num)d hour each time, %(zone)s time.",
            "%(schedule)s, open %(num)d hours each time, %(zone)s time.",
            hours,
            schedule=repeats,
            zone=str(shape.get("time_zone") or "UTC"),
        )
    return ngettext(
        "%(schedule)s, open %(num)d hour each time",
        "%(schedule)s, open %(num)d hours each time",
        hours,
        schedule=repeats,
    )


def week_of(day: date) -> date:
    """The Monday of the week a day falls in: how a holiday names its week."""
    return day - timedelta(days=day.weekday())


def _openings(schedule: Schedule) -> Iterator[tuple[datetime, bool]]:
    """Each local opening in turn, and whether it falls in a week off, until `count` are not."""
    wanted = schedule.count if schedule.every_days else 1
    n = 0
    while wanted:
        local = schedule.first + timedelta(days=schedule.every_days * n)
        n += 1
        off = bool(schedule.every_days) and week_of(local.date()) in schedule.holiday_weeks
        wanted -= not off
        yield local, off


def occurrences(schedule: Schedule) -> list[tuple[datetime, datetime]]:
    """(opens, closes) in UTC for each time the check-in opens."""
    zone = ZoneInfo(schedule.time_zone)
    times = []
    for local, off in _openings(schedule):
        if off:
            continue
        opens = local.replace(tzinfo=zone).astimezone(UTC)
        closes = (local + timedelta(hours=schedule.open_hours)).replace(tzinfo=zone)
        times.append((opens, closes.astimezone(UTC)))
    return times


def skipped_weeks(schedule: Schedule) -> list[date]:
    """The weeks off the check-in would have opened in, as their Mondays."""
    return [week_of(local.date()) for local, off in _openings(schedule) if off]


def parse_schedule(
    first: str,
    every_days: str,
    count: str,
    open_hours: str,
    time_zone: str,
    holidays: Iterable[date] = (),
) -> Schedule:
    """The schedule a form sent, or Refused(400) naming each field to fix."""
    errors: dict[str, str] = {}
    start = local_time(first)
    if start is None:
        errors["first"] = _("Give the date and time it first opens, between 2000 and 2100.")
    every = _number(every_days, {0, 7, 14}, "repeat", _("Choose how often it repeats."), errors)
    times = _number(
        count,
        set(range(1, MAX_OCCURRENCES + 1)),
        "count",
        _("Give how many times, from 1 to %(most)d.", most=MAX_OCCURRENCES),
        errors,
    )
    hours = _number(
        open_hours,
        set(range(1, MAX_OPEN_HOURS + 1)),
        "open_hours",
        _("Give how many hours it stays open, from 1 to %(most)d.", most=MAX_OPEN_HOURS),
        errors,
    )
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Choose a time zone.")
    if every and hours and hours > every * 24:
        errors["open_hours"] = _("It must close before it opens again.")
    if errors or start is None:
        raise Refused(400, _("The check-in was not saved."), errors)
    weeks_off = frozenset(week_of(day) for day in holidays)
    return Schedule(start, every, times if every else 1, hours, time_zone, weeks_off)


def _number(raw: str, allowed: set[int], key: str, message: str, errors: dict[str, str]) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value not in allowed:
        errors[key] = message
        return 0
    return value


def local_time(raw: str) -> datetime | None:
    """A wall-clock time as a `datetime-local` input sends it (no zone), or None."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None or moment.year not in FIRST_YEARS:
        return None
    return moment
