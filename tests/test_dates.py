"""The one formatter of dates, times and spans (lti_tool/dates.py): CLDR's formats per locale,
the zone named as people name it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from babel import Locale
from babel import dates as cldr
from flask import Flask
from flask_babel import force_locale

from lti_tool.dates import (
    format_date,
    format_day,
    format_days_ago,
    format_span,
    format_time,
    zone_label,
    zone_named,
)

WINTER = datetime(2026, 12, 5, 8, 9, tzinfo=UTC)
SUMMER = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "zone", "moment", "written"),
    [
        ("en_GB", "Europe/London", WINTER, "5 Dec 2026, 08:09 GMT"),
        ("en_GB", "Europe/London", SUMMER, "1 Jul 2027, 13:00 BST"),
        ("en_GB", "Europe/Berlin", WINTER, "5 Dec 2026, 09:09 CET"),
        ("en", "America/New_York", WINTER, "Dec 5, 2026, 3:09\u202fAM EST"),
        ("es", "Europe/Madrid", WINTER, "5 dic 2026, 9:09 CET"),
        ("pl", "Europe/Warsaw", SUMMER, "1 lip 2027, 14:00 CEST"),
        # A zone with no abbreviation people use is named by its offset.
        ("es", "America/Argentina/Buenos_Aires", WINTER, "5 dic 2026, 5:09 GMT-03:00"),
    ],
)
def test_a_moment_is_written_in_the_locale_s_format_with_its_zone_named(
    app: Flask, locale: str, zone: str, moment: datetime, written: str
) -> None:
    with app.test_request_context(), force_locale(locale):
        assert format_time(moment, zone_named(zone)) == written


def test_days_spans_and_how_long_ago_are_cldr_words(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("en_GB"):
            assert format_date(WINTER, zone_named("Pacific/Auckland")) == "5 Dec 2026"
            assert format_day(date(2027, 1, 11)) == "Mon, 11 Jan 2027"
            assert [format_days_ago(d) for d in (0, 1, 45)] == ["today", "1 day ago", "45 days ago"]
            assert format_span(timedelta(hours=5)) == "5 hours"
            assert format_span(timedelta(days=3, hours=2)) == "3 days"
        with force_locale("es"):
            assert format_day(date(2027, 1, 11)) == "lun, 11 ene 2027"
            assert format_days_ago(3) == "hace 3 días"
        with force_locale("pl"):  # three plural forms
            assert [format_days_ago(d) for d in (1, 2, 5, 22)] == [
                "1 dzień temu",
                "2 dni temu",
                "5 dni temu",
                "22 dni temu",
            ]
            assert [format_span(timedelta(hours=h)) for h in (1, 3, 5)] == [
                "1 godzina",
                "3 godziny",
                "5 godzin",
            ]


def test_an_unknown_zone_falls_back_and_zone_labels_need_no_letters_from_the_zone(
    app: Flask,
) -> None:
    assert str(zone_named("Mars/Olympus")) == "UTC"
    assert str(zone_named(None, fallback="Europe/London")) == "Europe/London"
    with app.test_request_context(), force_locale("en_GB"):
        local = WINTER.astimezone(zone_named("Asia/Kolkata"))
        assert zone_label(local) == "IST"
        assert zone_label(WINTER.astimezone(zone_named("Asia/Dubai"))) == "GMT+04:00"


# Spans around every boundary where CLDR's words change unit or number (half an hour, an
# hour, a day, a week, a month, a year, and the halves between numbers), with a second either
# side, and a little under a second more.
_BOUNDARIES = [0, 1, 1799, 1800, 1801, 3599, 3600, 5399, 5400, 5401, 86399, 86400, 129600]
_SPANS = sorted(
    {
        max(0, n * unit + step)
        for unit in (3600, 86400, 604800, 2592000, 31536000)
        for n in (0.5, 1, 1.5, 2, 2.5, 3.5, 6, 12.5, 40)
        for step in (-1, 0, 1)
    }
    | set(_BOUNDARIES)
)


@pytest.mark.parametrize("locale", ["en_GB", "es", "pl"])
def test_spans_and_days_ago_say_what_cldr_says_of_them(app: Flask, locale: str) -> None:
    """format_span and format_days_ago keep CLDR's words by number and unit, once per locale:
    they must say exactly what Babel's format_timedelta says of the same span."""
    from flask_babel import get_locale

    with app.test_request_context(), force_locale(locale):
        for seconds in _SPANS:
            span = timedelta(seconds=int(seconds), microseconds=999_999)
            expected = cldr.format_timedelta(
                span, granularity="hour", threshold=1, locale=get_locale()
            )
            assert format_span(span) == expected, seconds
            assert format_span(-span) == format_span(span), seconds
        for days in range(1, 800):
            expected = cldr.format_timedelta(
                timedelta(days=-days),
                granularity="day",
                threshold=10**6,
                add_direction=True,
                locale=get_locale(),
            )
            assert format_days_ago(days) == expected, days


@pytest.mark.parametrize("locale", ["en_GB", "en", "es", "pl"])
def test_moments_say_what_cldr_says_of_them(app: Flask, locale: str) -> None:
    """Days and clocks are made once per value and locale (dates._day, dates._clock): every
    moment must still read exactly as Babel writes it whole, in four zones, through both
    changes of the clocks in a year, a day in every month and every minute of two days."""
    moments = [WINTER + timedelta(minutes=minute) for minute in range(0, 2 * 24 * 60, 7)]
    moments += [SUMMER + timedelta(days=day, hours=day % 24) for day in range(0, 365, 11)]
    moments += [
        datetime(2027, 3, 28, 0, 30, tzinfo=UTC) + timedelta(minutes=m) for m in range(0, 180, 5)
    ]
    moments += [
        datetime(2027, 10, 31, 0, 30, tzinfo=UTC) + timedelta(minutes=m) for m in range(0, 180, 5)
    ]
    zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "America/Argentina/Buenos_Aires"]
    with app.test_request_context(), force_locale(locale):
        cldr_locale = Locale.parse(locale)
        for name in zones:
            zone = zone_named(name)
            for moment in moments:
                local = moment.astimezone(zone)
                day = cldr.format_date(local, "medium", locale=cldr_locale)
                clock = cldr.format_time(local, "short", tzinfo=zone, locale=cldr_locale)
                pattern = str(cldr_locale.datetime_formats["medium"])
                whole = pattern.replace("{1}", day).replace("{0}", clock)
                assert format_time(moment, zone) == f"{whole} {zone_label(local)}", moment
                assert format_date(moment, zone) == day
