"""Per-course settings (docs/product.md, "Per-course settings"): one page every feature adds to.

Each feature registers its options in a few lines beside its own code:

    REPLIES = register_setting(SettingSpec(key="newsfeed.replies", feature="Newsfeed",
                                           label="Replies", help="…", default=True)).key

A course stores only what its staff changed (`CourseSetting`, one row per key); every other
option has its registered default. `course_settings()` reads a course's options in one query;
`change_settings()` checks a submitted form against every option, writes only what changed and
records who changed what, when, from what to what: one entry of the course's activity log per
save, which the settings page's history reads too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, NamedTuple
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import AuditEntry, CourseSetting, Person
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import GONE, AuditAction, AuditFacts, record, register_action
from lti_tool.services.refusals import Refused
from lti_tool.services.upsert import upsert

SettingValue = bool | int | str
SettingKind = Literal["bool", "int", "choice", "time_zone", "text"]
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", "no", ""})
MAX_INPUT = 64  # no option's value is longer; longer input is refused before it is parsed
MAX_TEXT = 400  # a text option's (a list of dates), refused longer before it is parsed


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
    feature: str
    label: str
    help: str
    default: SettingValue
    kind: SettingKind = "bool"
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    normal: Callable[[str], str] | None = None  # "text": as stored, or SettingInvalid

    def accepts(self, value: object) -> bool:
        """Whether `value` is a valid value of this option (stored values are checked too)."""
        if self.kind == "text":
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
            raise SettingInvalid("Choose on or off.")
        text = (raw or "").strip()
        if self.kind == "int":
            return self._parse_int(text)
        if self.kind == "text":
            if len(text) > MAX_TEXT:
                raise SettingInvalid(f"Write at most {MAX_TEXT} characters.")
            return self._normal(text)
        if self.kind == "choice":
            if text in dict(self.choices):
                return text
            named = ", ".join(label for _, label in self.choices)
            raise SettingInvalid(f"Choose one of: {named}.")
        if not text:
            raise SettingInvalid("Choose a time zone, for example Europe/London.")
        if len(text) <= MAX_INPUT and text in _known_zones():
            return text
        shown = text if len(text) <= MAX_INPUT else text[:MAX_INPUT] + "…"
        raise SettingInvalid(
            f"“{shown}” is not a time zone Rapport knows. "
            "Choose one from the list, for example Europe/London or America/New_York."
        )

    def _normal(self, text: str) -> str:
        return self.normal(text) if self.normal else text

    def _parse_int(self, text: str) -> int:
        wanted = "Enter a whole number"
        if self.minimum is not None and self.maximum is not None:
            wanted += f" from {self.minimum} to {self.maximum}"
        elif self.minimum is not None:
            wanted += f" of at least {self.minimum}"
        elif self.maximum is not None:
            wanted += f" of at most {self.maximum}"
        try:
            number = int(text) if len(text) <= MAX_INPUT else None
        except ValueError:
            number = None
        if number is None or not self.accepts(number):
            raise SettingInvalid(wanted + ".")
        return number

    def describe(self, value: object) -> str:
        """A value as the change log shows it: On/Off, a choice's label, the number or zone."""
        if value is None or value == "":
            return "—"
        if self.kind == "bool" and isinstance(value, bool):
            return "On" if value else "Off"
        if self.kind == "choice" and isinstance(value, str):
            return dict(self.choices).get(value, value)
        return str(value)

    def form_value(self, value: SettingValue) -> str | None:
        """What the form field holds for `value` (None: an unticked checkbox)."""
        if self.kind == "bool":
            return "on" if value else None
        return str(value)


_SPECS: dict[str, SettingSpec] = {}


def register_setting(spec: SettingSpec) -> SettingSpec:
    """Add an option to every course's settings page; registering a key again replaces it."""
    if not spec.accepts(spec.default):
        raise ValueError(f"the default of {spec.key!r} is not a valid value of it")
    _SPECS[spec.key] = spec
    return spec


def registered_settings() -> list[SettingSpec]:
    """Every option, in the order features registered them."""
    return list(_SPECS.values())


# The page follows the course's life: the course, then each feature in the order students meet
# it; a feature not named here comes after, in the order it registered.
FEATURE_ORDER = ("Course", "Newsfeed", "Feedback", "Check-ins", "Contact", "Grading")


def settings_by_feature() -> list[tuple[str, list[SettingSpec]]]:
    """The options grouped under their feature, features in FEATURE_ORDER."""
    groups: dict[str, list[SettingSpec]] = {}
    for spec in _SPECS.values():
        groups.setdefault(spec.feature, []).append(spec)
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


def can_change_settings(grant: CourseGrant) -> bool:
    """Only those who run the course (instructors, course administrators) see and change its
    settings, among them who reads students' feedback; teaching assistants do not."""
    return grant.is_instructor


# An option whose value a save changed.
class Change(NamedTuple):
    key: str
    old_value: Any
    new_value: Any


def change_settings(
    session: Session,
    course_id: int,
    person_id: int | None,
    submitted: Mapping[str, str | None],
    now: datetime,
) -> list[Change]:
    """Apply a submitted settings form: all of it, or nothing, refused (400) with every error
    by key. An option missing from the form keeps its value, except a checkbox, which is then off.
    Writes only the options whose value changed, and one activity-log entry naming each with
    its old effective value (the default when the course had none stored)."""
    current = course_settings(session, course_id)
    wanted: dict[str, SettingValue] = {}
    errors: dict[str, str] = {}
    for spec in _SPECS.values():
        if spec.kind != "bool" and submitted.get(spec.key) is None:
            # Absent, not emptied: a form from before the option existed keeps its value. (An
            # unchecked checkbox is absent too, so for a bool absence means off.)
            wanted[spec.key] = current[spec.key]
            continue
        try:
            wanted[spec.key] = spec.parse(submitted.get(spec.key))
        except SettingInvalid as refusal:
            errors[spec.key] = str(refusal)
    if errors:
        message = "; ".join(f"{key}: {problem}" for key, problem in errors.items())
        raise Refused(400, message, errors)
    changes = []
    # Keys are written in registration order, so two concurrent saves lock rows in one order;
    # the upsert lets the second of two first-time saves update the row the first inserted.
    for key, new in wanted.items():
        old = current[key]
        if old == new:
            continue
        upsert(
            session,
            CourseSetting,
            keys={"course_id": course_id, "key": key},
            values={"value": new, "updated_at": now},
        )
        changes.append(Change(key, old, new))
    if changes:
        said = [{"key": c.key, "old": c.old_value, "new": c.new_value} for c in changes]
        record(session, course_id, person_id, SETTINGS_CHANGED, details={"changes": said}, now=now)
    session.flush()
    return changes


def _in_words(key: str, old: object, new: object) -> tuple[str, str, str]:
    """A change as people read it: the option's label, and its old and new values."""
    spec = _SPECS.get(key)
    if spec is None:  # an option no feature registers any more
        return key, _plain(old), _plain(new)
    return spec.label, spec.describe(old), spec.describe(new)


def _settings_changed(facts: AuditFacts) -> str:
    changes = facts.details.get("changes")
    told = [
        "{} from {} to {}".format(*_in_words(str(c.get("key")), c.get("old"), c.get("new")))
        for c in (changes if isinstance(changes, list) else [])
        if isinstance(c, dict)
    ]
    # Semicolons, not "and": a value's own words may hold an "and".
    return "changed " + ("; ".join(told) or "the course's settings")


SETTINGS_CHANGED = register_action(AuditAction("settings.changed", _settings_changed))


@dataclass(frozen=True)
class SettingChangeRow:
    """One line of the change log as the settings page shows it."""

    who: str
    when: datetime
    key: str
    label: str
    old: str
    new: str


def recent_changes(session: Session, course_id: int, limit: int = 50) -> list[SettingChangeRow]:
    """The course's latest changes, newest first (within a save, the later option first), with
    who made them: read from the activity log's entries for saves, in one query."""
    entries = session.execute(
        select(AuditEntry, Person)
        .outerjoin(Person, Person.id == AuditEntry.actor_id)
        .where(AuditEntry.course_id == course_id, AuditEntry.action == SETTINGS_CHANGED)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    changes: list[SettingChangeRow] = []
    for entry, person in entries:
        who = person.name_as("Staff") if person is not None else GONE
        said = entry.details.get("changes")
        for change in reversed(said if isinstance(said, list) else []):
            if isinstance(change, dict) and len(changes) < limit:
                key = str(change.get("key"))
                label, old, new = _in_words(key, change.get("old"), change.get("new"))
                changes.append(SettingChangeRow(who, entry.created_at, key, label, old, new))
    return changes


def _plain(value: object) -> str:
    return "—" if value is None else str(value)


COURSE_TIME_ZONE = register_setting(
    SettingSpec(
        key="course.time_zone",
        feature="Course",
        label="Time zone",
        help="Times on Rapport's pages and in its schedules are given in this zone; "
        "each reader's browser also shows them in their own.",
        default="UTC",
        kind="time_zone",
    )
).key

# Features whose options live in the services layer register them on import; importing them
# here means every reader of settings (views, workers, tests) sees the whole registry.
from lti_tool.services.checkins import settings as checkin_settings  # noqa: E402, F401
from lti_tool.services.dashboard import settings as contact_settings  # noqa: E402, F401
from lti_tool.services.feedback import settings as feedback_settings  # noqa: E402, F401
from lti_tool.services.newsfeed import settings as newsfeed_settings  # noqa: E402, F401
