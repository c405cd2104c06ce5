"""Times as people read them: in the viewer's own time zone.

The server writes each time in the course's time zone with the zone named, inside a
`<time datetime>` element; `local-time.js` rewrites it in the browser's own zone. Without
script the reader still sees an unambiguous time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g
from markupsafe import Markup, escape


def zone_named(name: object, fallback: str = "UTC") -> ZoneInfo:
    """The zone called `name`, or the fallback for anything that is not a known zone."""
    if isinstance(name, str) and name and len(name) < 64:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(fallback)


def course_zone() -> ZoneInfo:
    """The zone of the course this request is about (set by the view), else UTC."""
    return zone_named(g.get("course_time_zone"))


def format_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def format_date(moment: datetime, zone: ZoneInfo) -> str:
    """The day of `moment` in the zone, as `format_time` writes it without the time."""
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y}"


def time_element(moment: datetime | None, style: str = "datetime") -> Markup:
    """`<time>` for a moment, shown in the course's zone until the browser localises it;
    `style` "date" shows its day only."""
    if moment is None:
        return Markup("")
    iso = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    zone = course_zone()
    text = format_date(moment, zone) if style == "date" else format_time(moment, zone)
    # Joined from escaped parts: Markup.format costs ten times as much, a hundred times a page.
    return Markup(f'<time datetime="{iso}" data-local="{escape(style)}">{escape(text)}</time>')  # noqa: S704


def day_element(day: date | None) -> Markup:
    """`<time>` for a calendar day (no zone to convert): "Mon 11 Jan 2027"."""
    if day is None:
        return Markup("")
    text = f"{day:%a} {day.day} {day:%b %Y}"
    return Markup(f'<time datetime="{day.isoformat()}">{escape(text)}</time>')  # noqa: S704


def register(app: Flask) -> None:
    app.add_template_filter(time_element, "when")
    app.add_template_filter(day_element, "day")
