"""The one formatter of dates, times and spans (issue 17), for pages, mail and services alike.

Every moment is written in a zone the reader is told (the reader's own once their browser
named it, else the course's), in the format of the reader's locale from CLDR (Babel): "5 Dec
2026, 09:09 CET" for en-GB, "Dec 5, 2026, 9:09 AM EST" for en-US, "5 dic 2026, 9:09 CET" for
Spanish. The zone is named by the abbreviation people use where the zone has one (GMT, BST,
CET, EST), else by its offset ("GMT+03:00"). Spans and "3 days ago" are CLDR's words too.
Outside a request (a job) the locale is the one `i18n.speaking` names, else English.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as cldr
from flask_babel import get_locale

from lti_tool.i18n import _


def zone_named(name: object, fallback: str = "UTC") -> ZoneInfo:
    """The zone called `name`, or the fallback for anything that is not a known zone."""
    if isinstance(name, str) and name and len(name) < 64:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(fallback)


def _locale() -> Locale:
    return get_locale() or Locale("en")


def zone_label(local: datetime, locale: Locale | None = None) -> str:
    """The zone of an aware moment as people name it: "CET", "BST", else "GMT+03:00"."""
    abbreviation = local.tzname() or ""
    if abbreviation.isalpha():
        return abbreviation
    return cldr.get_timezone_gmt(local, "long", locale=locale or _locale())


def format_time(moment: datetime, zone: ZoneInfo) -> str:
    """Day, time and zone: "5 Dec 2026, 09:09 CET" (in the locale's own order and words)."""
    locale = _locale()
    local = moment.astimezone(zone)
    written = _day_and_clock(local.date(), local.hour, local.minute, locale)
    return f"{written} {zone_label(local, locale)}"


# A page of posts and replies writes dozens of moments (Babel took 15 us for each), most of
# them on a few days: the day and the clock are each CLDR's, made once per value and locale.
@lru_cache(maxsize=4096)
def _day(day: date, locale: Locale) -> str:
    return cldr.format_date(day, "medium", locale=locale)


@lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, locale: Locale) -> str:
    return cldr.format_time(time(hour, minute), "short", locale=locale)


@lru_cache(maxsize=64)
def _day_and_clock_pattern(locale: Locale) -> str:
    return str(locale.datetime_formats.get("medium", "{1}, {0}"))


def _day_and_clock(day: date, hour: int, minute: int, locale: Locale) -> str:
    pattern = _day_and_clock_pattern(locale)
    return pattern.replace("{1}", _day(day, locale)).replace("{0}", _clock(hour, minute, locale))


def format_date(moment: datetime, zone: ZoneInfo) -> str:
    """The day of `moment` in the zone: "5 Dec 2026"."""
    return _day(moment.astimezone(zone).date(), _locale())


def format_day(day: date) -> str:
    """A calendar day with its weekday: "Mon, 11 Jan 2027"."""
    return cldr.format_skeleton("yMMMEd", day, locale=_locale())


def format_days_ago(days: int) -> str:
    """How long ago, in whole days: "today", else CLDR's words ("3 days ago", "hace 3 días")."""
    if days <= 0:
        return _("today")
    return _in_words(days, "day", True, _locale())


def format_span(span: timedelta) -> str:
    """A length of time, in its largest whole unit from hours up: "5 hours", "3 days"."""
    # The unit and number Babel's format_timedelta picks for a threshold of 1 and hours at
    # least; the words are then _in_words'.
    seconds = abs(span.total_seconds())
    for unit, per_unit in cldr.TIMEDELTA_UNITS:
        if seconds >= per_unit or unit == "hour":
            return _in_words(
                max(1, round(seconds / per_unit)) if seconds else 0, unit, False, _locale()
            )
    raise AssertionError("hours come before the end of TIMEDELTA_UNITS")


# A page of fifty students writes two of these a row, from a handful of distinct ones: each
# is made by CLDR once per number, unit and locale (it took 7 us a call, a tenth of a row).
@lru_cache(maxsize=4096)
def _in_words(number: int, unit: str, ago: bool, locale: Locale) -> str:
    """CLDR's words for `number` `unit`s ("3 days"), or that long ago ("3 days ago")."""
    seconds = number * _UNIT_SECONDS[unit]
    return cldr.format_timedelta(
        -seconds if ago else seconds,
        granularity=cast(Any, unit),  # with no threshold reached, exactly this unit
        threshold=math.inf,
        add_direction=ago,
        locale=locale,
    )


_UNIT_SECONDS = dict(cldr.TIMEDELTA_UNITS)
