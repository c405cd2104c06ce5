"""Times on pages, through the one formatter (`lti_tool/dates.py`), in the reader's zone.

The reader's zone is the one their browser named (`local-time.js` tells it once, to
`views/language.py`, which keeps it in the session), else the course's. Each time is a `<time
datetime>` element whose text names its zone, so a reader is never left guessing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, g, session
from markupsafe import Markup, escape

from lti_tool.dates import (
    format_date,
    format_day,
    format_days_ago,
    format_span,
    format_time,
    zone_named,
)

ZONE_KEY = "zone"


def course_zone() -> ZoneInfo:
    """The zone of the course this request is about (set by the view), else UTC."""
    return zone_named(g.get("course_time_zone"))


def reader_zone() -> ZoneInfo:
    """The zone the reader's browser named, else the course's."""
    named = session.get(ZONE_KEY)
    return zone_named(named) if named else course_zone()


def time_element(moment: datetime | None, style: str = "datetime") -> Markup:
    """`<time>` for a moment in the reader's zone; `style` "date" shows its day only."""
    if moment is None:
        return Markup("")
    if moment.tzinfo is None:  # the database's UTC, without its zone
        moment = moment.replace(tzinfo=UTC)
    iso = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    zone = reader_zone()
    text = format_date(moment, zone) if style == "date" else format_time(moment, zone)
    # Joined from escaped parts: Markup.format costs ten times as much, a hundred times a page.
    return Markup(f'<time datetime="{iso}">{escape(text)}</time>')  # noqa: S704


def day_element(day: date | None) -> Markup:
    """`<time>` for a calendar day (no zone to convert): "Mon, 11 Jan 2027"."""
    if day is None:
        return Markup("")
    return Markup(f'<time datetime="{day.isoformat()}">{escape(format_day(day))}</time>')  # noqa: S704


def register(app: Flask) -> None:
    app.add_template_filter(time_element, "when")
    app.add_template_filter(day_element, "day")
    app.add_template_filter(format_days_ago, "days_ago")
    app.add_template_filter(
        lambda span: format_span(span) if isinstance(span, timedelta) else "—", "span"
    )
    app.add_template_global(reader_zone)
