"""Numbers people send in URLs and forms, kept within what the database can look up.

An id past a 32-bit integer (PostgreSQL's `integer`) or a page number past any course's size
is simply not found, never a failed query.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map

from lti_tool.i18n import _

MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: a positive number a database id can be (else the URL 404s)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def id_from(values: MultiDict[str, str], name: str) -> int | None:
    """The id a form or query names, or None when it names none a database could hold."""
    value = values.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def ids_from(values: MultiDict[str, str], name: str) -> list[int]:
    """The ids a form's checkboxes name, leaving out those no database could hold."""
    return [i for i in values.getlist(name, type=int) if 0 < i <= MAX_ID]


def database_id(text: str) -> int | None:
    """The id `text` spells in ASCII digits, or None unless a database could hold it (checked
    before `int()`, which refuses strings of more than 4300 digits)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def chosen_id(value: str | None) -> int | None:
    """An id a form offered as a choice: None when empty; anything but an id a database could
    hold (digits, at most MAX_ID) was not offered, and is a 400."""
    if value is None or value == "":
        return None
    chosen = database_id(value)
    if chosen is None:
        abort(400, description=_("That choice is not one Rapport offered."))
    return chosen


def page_from(values: MultiDict[str, str], name: str = "page") -> int:
    """The page number asked for: 1 when none or nonsense, and never past MAX_PAGE."""
    value = values.get(name, 1, type=int) or 1
    return min(max(1, value), MAX_PAGE)


def date_from(values: MultiDict[str, str], name: str) -> date | None:
    """The day a date field sends (YYYY-MM-DD), or None when it sends none a calendar has."""
    try:
        day = date.fromisoformat(values.get(name, "").strip())
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None
