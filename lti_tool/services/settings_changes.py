"""Saving a course's settings form and reading what was changed (docs/product.md, "Per-course
settings"): `change_settings()` checks a submitted form against every registered option
(`services/course_settings.py`), writes only what changed and records who changed what, when,
from what to what: one entry of the course's activity log per save, which the settings page's
history (`recent_changes()`) reads too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import AuditEntry, CourseSetting, Person
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import GONE, AuditAction, AuditFacts, record, register_action
from lti_tool.services.course_settings import (
    SettingInvalid,
    SettingValue,
    course_settings,
    registered_settings,
    setting_spec,
)
from lti_tool.services.refusals import Refused
from lti_tool.services.upsert import upsert


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
    for spec in registered_settings():
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
    spec = setting_spec(key)
    if spec is None:  # an option no feature registers any more
        return key, _plain(old), _plain(new)
    return str(spec.label), spec.describe(old), spec.describe(new)


def _change_in_words(key: str, old: object, new: object) -> str:
    label, before, after = _in_words(key, old, new)
    return _("%(setting)s from %(old)s to %(new)s", setting=label, old=before, new=after)


def _settings_changed(facts: AuditFacts) -> str:
    """Composed when the log is read, in its reader's language (the entry keeps keys and
    values, never words)."""
    changes = facts.details.get("changes")
    told = [
        _change_in_words(str(c.get("key")), c.get("old"), c.get("new"))
        for c in (changes if isinstance(changes, list) else [])
        if isinstance(c, dict)
    ]
    if not told:
        return _("changed the course's settings")
    # Semicolons, not "and": a value's own words may hold an "and".
    return _("changed %(changes)s", changes="; ".join(told))


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
        who = person.name_as("Staff") if person is not None else str(GONE)
        said = entry.details.get("changes")
        for change in reversed(said if isinstance(said, list) else []):
            if isinstance(change, dict) and len(changes) < limit:
                key = str(change.get("key"))
                label, old, new = _in_words(key, change.get("old"), change.get("new"))
                changes.append(SettingChangeRow(who, entry.created_at, key, label, old, new))
    return changes


def _plain(value: object) -> str:
    return "—" if value is None else str(value)
