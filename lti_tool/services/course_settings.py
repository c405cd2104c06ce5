"""Per-course settings (docs/product.md, "Per-course settings"): one page every feature adds to.

Each feature registers its options in a few lines beside its own code:

    REPLIES = register_setting(SettingSpec(key="newsfeed.replies", feature="Newsfeed",
                                           label=lazy_gettext("Replies"),
                                           help=lazy_gettext("…"), default=True)).key

A spec's `label`, `help` and choice labels are read when a page is drawn, in its reader's
language, so they are `lazy_gettext` (issue 17); its `feature` is the group's English key
(FEATURE_ORDER), shown under its translated name (`feature_title`).

A course stores only what its staff changed (`CourseSetting`, one row per key); every other
option has its registered default. `course_settings()` reads a course's options in one query;
Saving the settings form and its history are `services/settings_changes.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.dates import format_date
from lti_tool.i18n import _, lazy_gettext, ngettext
from lti_tool.models import CourseSetting

SettingValue = bool | int | str
# Words read in the reader's language when shown: a `lazy_gettext` string, or plain text.
Words = Any
SettingKind = Literal["bool", "int", "choice", "time_zone", "text", "date"]
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", "no", ""})
MAX_INPUT = 64  # no option's value is longer; longer input is refused before it is parsed
MAX_TEXT = 400  # a text option's (a list of dates), refused longer before it is parsed
DATE_YEARS = range(2000, 2101)  # a "date" option's; a year past these is a typing slip


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone this server knows, sorted (the list the page offers)."""
    return tuple(sorted(_known_zones()))


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


class SettingInvalid(ValueError):  # noqa: N818 - a refusal, named for what happened
    """One submitted value that does not fit its option; the message is for the instructor."""


@dataclass(frozen=True)
class SettingSpec:
    """One option staff can set for their course, with the sentence that explains it."""

    key: str
    feature: str  # the group's English key (FEATURE_ORDER); `feature_title` is what is shown
    label: Words
    help: Words
    default: SettingValue
    kind: SettingKind = "bool"
    choices: tuple[tuple[str, Words], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    # "text": the value as stored, or SettingInvalid ("date" has its own: an ISO day or "")
    normal: Callable[[str], str] | None = None

    def accepts(self, value: object) -> bool:
        """Whether `value` is a valid value of this option (stored values are checked too)."""
        if self.kind in {"text", "date"}:
            try:
                return isinstance(value, str) and self._normal(value) == value
            except SettingInvalid:
                return False
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "int":
            return (
                isinstance(value, int)
                and not isinstance(value, bool)
                and (self.minimum is None or value >= self.minimum)
                and (self.maximum is None or value <= self.maximum)
            )
        if self.kind == "choice":
            return isinstance(value, str) and value in dict(self.choices)
        return isinstance(value, str) and value in _known_zones()

    def parse(self, raw: str | None) -> SettingValue:
        """The value a form field submitted, or SettingInvalid saying what to enter instead."""
        if self.kind == "bool":
            # An unticked checkbox sends nothing at all.
            word = (raw or "").strip().lower()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
            raise SettingInvalid(_("Choose on or off."))
        text = (raw or "").strip()
        if self.kind == "int":
            return self._parse_int(text)
        if self.kind in {"text", "date"}:
            if len(text) > MAX_TEXT:
                raise SettingInvalid(
                    ngettext(
                        "Write at most %(num)d character.",
                        "Write at most %(num)d characters.",
                        MAX_TEXT,
                    )
                )
            return self._normal(text)
        if self.kind == "choice":
            if text in dict(self.choices):
                return text
            named = ", ".join(str(label) for _value, label in self.choices)
            raise SettingInvalid(_("Choose one of: %(choices)s.", choices=named))
        if not text:
            raise SettingInvalid(_("Choose a time zone, for example Europe/London."))
        if len(text) <= MAX_INPUT and text in _known_zones():
            return text
        shown = text if len(text) <= MAX_INPUT else text[:MAX_INPUT] + "…"
        raise SettingInvalid(
            _(
                "“%(zone)s” is not a time zone Rapport knows. Choose one from the list, for "
                "example Europe/London or America/New_York.",
                zone=shown,
            )
        )

    def _normal(self, text: str) -> str:
        if self.kind == "date":
            return _normal_day(text)
        return self.normal(text) if self.normal else text

    def _parse_int(self, text: str) -> int:
        try:
            number = int(text) if len(text) <= MAX_INPUT else None
        except ValueError:
            number = None
        if number is None or not self.accepts(number):
            raise SettingInvalid(self._whole_number())
        return number

    def _whole_number(self) -> str:
        """What to enter instead of a number this option refuses."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            return _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        if low is not None:
            return _("Enter a whole number of at least %(low)d.", low=low)
        if high is not None:
            return _("Enter a whole number of at most %(high)d.", high=high)
        return _("Enter a whole number.")

    def describe(self, value: object) -> str:
        """A value as the change log shows it: On/Off, a choice's label, the number or zone."""
        if value is None or value == "":
            return "—"
        if self.kind == "bool" and isinstance(value, bool):
            return _("On") if value else _("Off")
        if self.kind == "choice" and isinstance(value, str):
            return str(dict(self.choices).get(value, value))
        if self.kind == "date" and isinstance(value, str) and self.accepts(value):
            # As the pages write a day: "30 Jun 2027" (the one formatter, lti_tool/dates.py).
            noon = datetime.combine(date.fromisoformat(value), time(12), tzinfo=UTC)
            return format_date(noon, ZoneInfo("UTC"))
        return str(value)

    def form_value(self, value: SettingValue) -> str | None:
        """What the form field holds for `value` (None: an unticked checkbox)."""
        if self.kind == "bool":
            return "on" if value else None
        return str(value)


def _normal_day(text: str) -> str:
    """A "date" option as stored: the day in ISO form (2027-06-30), or "" for none."""
    if not text:
        return ""
    try:
        day = date.fromisoformat(text) if len(text) <= MAX_INPUT else None
    except ValueError:
        day = None
    if day is None or day.year not in DATE_YEARS:
        raise SettingInvalid(_("Enter a date as 2027-06-30, or leave it empty."))
    return day.isoformat()


_SPECS: dict[str, SettingSpec] = {}


def register_setting(spec: SettingSpec) -> SettingSpec:
    """Add an option to every course's settings page; registering a key again replaces it."""
    if not spec.accepts(spec.default):
        raise ValueError(f"the default of {spec.key!r} is not a valid value of it")
    _SPECS[spec.key] = spec
    return spec


def setting_spec(key: str) -> SettingSpec | None:
    """The option registered under `key` (None: no feature registers it, or no longer)."""
    return _SPECS.get(key)


def registered_settings() -> list[SettingSpec]:
    """Every option, in the order features registered them."""
    return list(_SPECS.values())


# The page follows the course's life: the course, then each feature in the order students meet
# it; a feature not named here comes after, in the order it registered.
FEATURE_ORDER = ("Course", "Newsfeed", "Feedback", "Check-ins", "Contact", "Grading")
# Each group's heading as its reader reads it; a feature not named here shows its key.
FEATURE_TITLES = {
    "Course": lazy_gettext("Course"),
    "Newsfeed": lazy_gettext("Newsfeed"),
    "Feedback": lazy_gettext("Feedback"),
    "Check-ins": lazy_gettext("Check-ins"),
    "Contact": lazy_gettext("Contact"),
    "Grading": lazy_gettext("Grading"),
    "Notifications": lazy_gettext("Notifications"),
}


def feature_key(feature: Words) -> str:
    """A feature's key: its English words, also when a feature registered them translated."""
    with force_locale("en"):
        return str(feature)


def feature_title(feature: Words) -> str:
    """A feature's heading on the settings page, in the reader's language."""
    key = feature_key(feature)
    return str(FEATURE_TITLES.get(key, feature))


def settings_by_feature() -> list[tuple[str, list[SettingSpec]]]:
    """The options grouped under their feature's key, features in FEATURE_ORDER."""
    groups: dict[str, list[SettingSpec]] = {}
    for spec in _SPECS.values():
        groups.setdefault(feature_key(spec.feature), []).append(spec)
    rank = {feature: n for n, feature in enumerate(FEATURE_ORDER)}
    return sorted(groups.items(), key=lambda group: rank.get(group[0], len(rank)))


class CourseSettings(Mapping[str, SettingValue]):
    """A course's options, key → value, its registered default wherever staff chose nothing."""

    def __init__(self, course_id: int, stored: Mapping[str, Any]) -> None:
        self.course_id = course_id
        self._values: dict[str, SettingValue] = {}
        for spec in _SPECS.values():
            value = stored.get(spec.key, spec.default)
            # A value an option no longer accepts (its choices or range changed) is not used.
            self._values[spec.key] = value if spec.accepts(value) else spec.default

    def __getitem__(self, key: str) -> SettingValue:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def flag(self, key: str) -> bool:
        return bool(self._values[key])

    def number(self, key: str) -> int:
        return int(self._values[key])

    def text(self, key: str) -> str:
        return str(self._values[key])


def course_settings(session: Session, course_id: int) -> CourseSettings:
    """Every option of the course, in one query."""
    rows = session.execute(
        select(CourseSetting.key, CourseSetting.value).where(CourseSetting.course_id == course_id)
    )
    return CourseSettings(course_id, dict(rows.all()))


COURSE_TIME_ZONE = register_setting(
    SettingSpec(
        key="course.time_zone",
        feature="Course",
        label=lazy_gettext("Time zone"),
        help=lazy_gettext(
            "Times on Rapport's pages and in its schedules are given in this zone; "
            "each reader's browser also shows them in their own."
        ),
        default="UTC",
        kind="time_zone",
    )
).key

# Features whose options live in the services layer register them on import; importing them
# here means every reader of settings (views, workers, tests) sees the whole registry.
from lti_tool.services import settings_changes  # noqa: E402, F401 (its activity-log action)
from lti_tool.services.archive import settings as archive_settings  # noqa: E402, F401
from lti_tool.services.checkins import settings as checkin_settings  # noqa: E402, F401
from lti_tool.services.dashboard import settings as contact_settings  # noqa: E402, F401
from lti_tool.services.feedback import settings as feedback_settings  # noqa: E402, F401
from lti_tool.services.newsfeed import settings as newsfeed_settings  # noqa: E402, F401
