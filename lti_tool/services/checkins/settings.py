"""The check-ins' defaults on the course settings page: what a new check-in starts with, and the
course's weeks without check-ins (holidays), which a new repeating check-in skips."""

from __future__ import annotations

import re
from datetime import date

from lti_tool.i18n import _, lazy_gettext, ngettext
from lti_tool.services.checkins.schedule import FIRST_YEARS
from lti_tool.services.course_settings import SettingInvalid, SettingSpec, register_setting

FEATURE = lazy_gettext("Check-ins")
MAX_HOLIDAYS = 30
_DATE_SEPARATORS = re.compile(r"[\s,;]+")

# Read in the language of whoever reads them: a new check-in's form starts with them in staff's.
QUESTION_PRESETS: dict[str, tuple[str, str, str]] = {
    # key: (the 1 to 5 question, words under 1, words under 5)
    "confidence": (
        lazy_gettext("How confident do you feel about this week's work?"),
        lazy_gettext("Lost"),
        lazy_gettext("On top of it"),
    ),
    "workload": (
        lazy_gettext("How manageable was this week's workload?"),
        lazy_gettext("Far too much"),
        lazy_gettext("Just right"),
    ),
    "wellbeing": (
        lazy_gettext("How are you doing overall?"),
        lazy_gettext("Not well"),
        lazy_gettext("Really well"),
    ),
}

QUESTIONS = register_setting(
    SettingSpec(
        key="checkins.questions",
        feature=FEATURE,
        label=lazy_gettext("Question a new check-in starts with"),
        help=lazy_gettext(
            "The 1 to 5 question filled in on a new check-in; staff can change it there."
        ),
        default="confidence",
        kind="choice",
        choices=tuple((key, preset[0]) for key, preset in QUESTION_PRESETS.items()),
    )
).key

REPEAT = register_setting(
    SettingSpec(
        key="checkins.repeat",
        feature=FEATURE,
        label=lazy_gettext("How often a new check-in repeats"),
        help=lazy_gettext(
            "Weekly check-ins catch a student drifting before a fortnight has gone by."
        ),
        default="7",
        kind="choice",
        choices=(
            ("0", lazy_gettext("Once")),
            ("7", lazy_gettext("Every week")),
            ("14", lazy_gettext("Every two weeks")),
        ),
    )
).key

COUNT = register_setting(
    SettingSpec(
        key="checkins.count",
        feature=FEATURE,
        label=lazy_gettext("How many times a new check-in opens"),
        help=lazy_gettext("Usually the number of teaching weeks."),
        default=10,
        kind="int",
        minimum=1,
        maximum=52,
    )
).key

OPEN_HOURS = register_setting(
    SettingSpec(
        key="checkins.open_hours",
        feature=FEATURE,
        label=lazy_gettext("Hours a check-in stays open"),
        help=lazy_gettext(
            "72 hours gives students who study at weekends or after work a fair chance."
        ),
        default=72,
        kind="int",
        minimum=1,
        maximum=336,
    )
).key

ANONYMOUS = register_setting(
    SettingSpec(
        key="checkins.anonymous",
        feature=FEATURE,
        label=lazy_gettext("New check-ins are anonymous"),
        help=lazy_gettext(
            "Anonymous answers show staff totals only: nobody can follow them up personally."
        ),
        default=False,
    )
).key

GRADED = register_setting(
    SettingSpec(
        key="checkins.graded",
        feature=FEATURE,
        label=lazy_gettext("New check-ins grade participation"),
        help=lazy_gettext(
            "Students earn points in the LMS gradebook for each check-in they answer."
        ),
        default=False,
    )
).key

POINTS = register_setting(
    SettingSpec(
        key="checkins.points",
        feature=FEATURE,
        label=lazy_gettext("Points for answering every check-in"),
        help=lazy_gettext("Shared evenly between the times a check-in opens."),
        default=10,
        kind="int",
        minimum=1,
        maximum=1000,
    )
).key


def holiday_dates(text: str) -> list[date]:
    """The course's weeks without check-ins as its setting holds them ("2027-04-05, 2027-04-12"),
    sorted; SettingInvalid saying what to type instead."""
    days = set()
    for word in _DATE_SEPARATORS.split(text.strip()):
        if not word:
            continue
        try:
            day = date.fromisoformat(word)
        except ValueError:
            day = None
        if day is None or day.year not in FIRST_YEARS:
            shown = word if len(word) <= 20 else word[:20] + "…"
            raise SettingInvalid(
                _("“%(shown)s” is not a date: write each as 2027-04-05.", shown=shown)
            )
        days.add(day)
    if len(days) > MAX_HOLIDAYS:
        raise SettingInvalid(
            ngettext("Name at most %(num)d week.", "Name at most %(num)d weeks.", MAX_HOLIDAYS)
        )
    return sorted(days)


def normal_holidays(text: str) -> str:
    """The setting as it is stored: each date once, in order, separated by commas."""
    return ", ".join(day.isoformat() for day in holiday_dates(text))


HOLIDAYS = register_setting(
    SettingSpec(
        key="checkins.holidays",
        feature=FEATURE,
        label=lazy_gettext("Weeks without check-ins"),
        help=lazy_gettext(
            "A date in each week with no check-in, such as a holiday or a reading week, "
            "e.g. 2027-04-05, 2027-04-12. A new weekly or fortnightly check-in skips those weeks "
            "(Monday to Sunday) and still opens as many times."
        ),
        default="",
        kind="text",
        normal=normal_holidays,
    )
).key
