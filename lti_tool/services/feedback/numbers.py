"""Numbers feedback's messages write (a grade, a length): as the reader's locale writes them."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask_babel import get_locale


def number(value: float) -> str:
    """ "10,000" and "7.5" in English, "10 000" and "7,5" in Polish; outside a request, English."""
    return format_decimal(value, locale=get_locale() or "en")
