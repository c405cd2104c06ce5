"""The one formatter of dates, times and spans (issue 17), for pages, mail and services alike.

Every moment is written in a zone the reader is told (the reader's own once their browser
named it, else the course's), in the format of the reader's locale from CLDR (Babel): "5 Dec
2026, 09:09 CET" for en-GB, "Dec 5, 2026, 9:09 AM EST" for en-US, "5 dic 2026, 9:09 CET" for
Spanish. The zone is named by the abbreviation people use where the zone has one (GMT, BST,
CET, EST), else by its offset ("GMT+03:00"). Spans and "3 days ago" are CLDR's words too.
Outside a request (a job) the locale is the one `i18n.speaking` names, else English.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
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
    day = cldr.format_date(local, "medium", locale=locale)
    clock = cldr.format_time(local, "short", tzinfo=zone, locale=locale)
    pattern = str(locale.datetime_formats.get("medium", "{1}, {0}"))
    return f"{pattern.replace('{1}', day).replace('{0}', clock)} {zone_label(local, locale)}"


def format_date(moment: datetime, zone: ZoneInfo) -> str:
    """The day of `moment` in the zone: "5 Dec 2026"."""
    return cldr.format_date(moment.astimezone(zone), "medium", locale=_locale())


def format_day(day: date) -> str:
    """A calendar day with its weekday: "Mon, 11 Jan 2027"."""
    return cldr.format_skeleton("yMMMEd", day, locale=_locale())


def format_days_ago(days: int) -> str:
    """How long ago, in whole days: "today", else CLDR's words ("3 days ago", "hace 3 días")."""
    if days <= 0:
        return _("today")
    return cldr.format_timedelta(
        timedelta(days=-days),
        granularity="day",
        threshold=10**6,
        add_direction=True,
        locale=_locale(),
    )


def format_span(span: timedelta) -> str:
    """A length of time, in its largest whole unit from hours up: "5 hours", "3 days"."""
    return cldr.format_timedelta(span, granularity="hour", threshold=1, locale=_locale())
