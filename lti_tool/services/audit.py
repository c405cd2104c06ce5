"""The course's activity log (issue 13, "Safe to install at a university"): every staff action
that changes what students see or how they are graded, told to the course's instructors.

Each feature registers the actions it records and how to say them, in a few lines beside its
own code, and records an entry in the same transaction as the change:

    CREATED = register_action(AuditAction("checkin.created", lambda e: f"created {e.quoted}"))
    ...
    record_by(session, grant, CREATED, subject=checkin.title, now=now)

A refused or rolled-back change therefore leaves no entry. This module never imports a feature:
the features import it. Entries name people by id (`models/audit.py` says where, for a
person's export and erasure); the page shows each name as it is now.

An entry stores no words, only its action's key, subject, ids and details: its sentence is
composed when the log is read, in its reader's language (issue 17), so each action's
`describe` marks its words with `_()` as whole sentences (`with_moments` places a moment in
one; `whose_in` picks among whole phrases about the person it was about).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from lti_tool.db import utcnow
from lti_tool.i18n import _, lazy_gettext
from lti_tool.models import AuditEntry, Course, Person
from lti_tool.services.access import CourseGrant
from lti_tool.services.refusals import Refused

PAGE_SIZE = 50
MAX_SUBJECT = 255
GONE = lazy_gettext("Someone no longer in the course")
SOMEONE_GONE = lazy_gettext("someone no longer in the course")  # the same, inside a sentence
RAPPORT = "Rapport"
BY_RAPPORT = "by_rapport"  # set on entries recorded without a person (a server command)

# One piece of a sentence: words, or a moment the page writes with its one date formatter.
Part = str | datetime


@dataclass(frozen=True)
class AuditFacts:
    """What one entry's sentence is made from, with people's names as they are now."""

    actor_id: int | None
    subject: str | None
    subject_person_id: int | None
    subject_name: str  # the person it was about, or SOMEONE_GONE
    details: Mapping[str, Any]
    names: Mapping[int, str]  # everyone the details name, by id

    def __post_init__(self) -> None:
        # SOMEONE_GONE (or GONE) given as is: its words in the reader's language now.
        object.__setattr__(self, "subject_name", str(self.subject_name))

    @property
    def quoted(self) -> str:
        """The subject in the reader's quotation marks ("“Week 1”"), or "an untitled item"."""
        if self.subject:
            return _("“%(title)s”", title=self.subject)
        return _("an untitled item")

    @property
    def about_self(self) -> bool:
        return self.subject_person_id is not None and self.subject_person_id == self.actor_id

    @property
    def subject_gone(self) -> bool:
        """Whether the person it was about is no longer in the course (or never was named)."""
        return self.subject_name in (str(SOMEONE_GONE), str(GONE))

    def whose_in(self, own: str, named: str, gone: str) -> str:
        """One of three whole phrases about the thing of the person it was about, each marked
        for translation by the caller: `own` when they did it themselves (_("their
        introduction")), `named` naming them (_("%(name)s's introduction",
        name=facts.subject_name)), `gone` when they are no longer in the course (_("the
        introduction of someone no longer in the course"))."""
        if self.about_self:
            return own
        return gone if self.subject_gone else named

    def whose(self, noun: str) -> str:
        """The `noun` of the person it was about, in English words: "their introduction",
        "Amara Okafor's introduction", "the introduction of someone no longer in the course".
        A phrase built around a noun cannot be translated (word order, cases): `whose_in`
        takes whole phrases instead."""
        return self.whose_in(
            f"their {noun}", f"{self.subject_name}'s {noun}", f"the {noun} of {SOMEONE_GONE}"
        )

    def name(self, key: str) -> str:
        """The name of the person a `…_person_id` detail names."""
        person_id = self.details.get(key)
        if isinstance(person_id, int) and person_id in self.names:
            return self.names[person_id]
        return str(SOMEONE_GONE)

    def people(self, key: str) -> list[str]:
        """The names of the people a `…_person_ids` detail names, in its order."""
        ids = self.details.get(key)
        gone = str(SOMEONE_GONE)
        return [self.names.get(i, gone) for i in ids] if isinstance(ids, list) else []

    def moment(self, key: str) -> datetime | None:
        value = self.details.get(key)
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def number(self, key: str) -> int:
        value = self.details.get(key)
        return value if isinstance(value, int) else 0


Sentence = str | Sequence[Part]


@dataclass(frozen=True)
class AuditAction:
    """One kind of entry: a stable key and the words after the actor's name ("published …")."""

    key: str
    describe: Callable[[AuditFacts], Sentence]


_ACTIONS: dict[str, AuditAction] = {}


def register_action(action: AuditAction) -> str:
    """Make an action recordable and readable; registering a key again replaces it. Its key."""
    _ACTIONS[action.key] = action
    return action.key


def registered_actions() -> list[AuditAction]:
    return list(_ACTIONS.values())


def plural(count: int, noun: str) -> str:
    """A count of a regular English noun: "1 student", "3 students". English only: a count in
    a sentence to translate is `ngettext("%(num)d student", "%(num)d students", count)`."""
    return f"{count:,} {noun if count == 1 else noun + 's'}"


def listed(words: Sequence[str]) -> str:
    """Words as a sentence lists them in the reader's language: "a", "a and b", "a, b and c"
    ("a, b y c", "a, b i c")."""
    if len(words) <= 1:
        return "".join(words)
    locale = get_locale()
    if locale is None or locale.language == "en":
        # One English way, whatever the region (CLDR's "en" would add a comma before "and").
        return ", ".join(words[:-1]) + " and " + words[-1]
    return format_list(list(words), locale=locale)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def with_moments(message: str, **moments: datetime) -> list[Part]:
    """A sentence whose `%(name)s` placeholders stand for moments, as parts the page writes
    with its one date formatter: `with_moments(_("… deleted on %(day)s"), day=due)` (marked
    with `_()` given no values, so that its placeholders are left for these)."""
    pieces = _PLACEHOLDER.split(message)
    parts: list[Part] = []
    for n, piece in enumerate(pieces):
        if n % 2:
            moment = moments.get(piece)
            parts.append(moment if moment is not None else f"%({piece})s")
        elif piece:
            parts.append(piece.replace("%%", "%"))
    return parts


# -- recording --------------------------------------------------------------------------------
def record(
    session: Session,
    course_id: int,
    actor_id: int | None,
    action: str,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
    *,
    about: int | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an entry to the course's log in the caller's transaction (the caller commits).

    `subject` is what it was about, in words; `about` the person it was about; `details` small
    JSON (moments are stored as ISO text; ids of people only under keys ending `_person_id`
    or `_person_ids`). `actor_id` None: a command run on the server, not a person."""
    if action not in _ACTIONS:
        raise ValueError(f"no audit action {action!r} is registered")
    stored = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in (details or {}).items()
    }
    if actor_id is None:
        stored[BY_RAPPORT] = True
    if subject is not None and len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1] + "…"
    entry = AuditEntry(
        course_id=course_id,
        actor_id=actor_id,
        action=action,
        subject=subject,
        subject_person_id=about,
        details=stored,
        created_at=now or utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


def record_by(
    session: Session,
    grant: CourseGrant,
    action: str,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
    *,
    about: int | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """`record` an action of the grant's person in the grant's course."""
    return record(
        session, grant.course_id, grant.person_id, action, subject, details, about=about, now=now
    )


def person_ids_in(details: Mapping[str, Any]) -> set[int]:
    """The people an entry's details name (see `models/audit.py`)."""
    found: set[int] = set()
    for key, value in details.items():
        if key.endswith("_person_id") and isinstance(value, int):
            found.add(value)
        elif key.endswith("_person_ids") and isinstance(value, list):
            found.update(v for v in value if isinstance(v, int))
    return found


# -- reading ----------------------------------------------------------------------------------
def can_read_activity_log(grant: CourseGrant) -> bool:
    """Those who run the course (instructors, course administrators) read what staff did in
    it; teaching assistants, students and guests do not."""
    return grant.is_instructor


@dataclass(frozen=True)
class ActivityLine:
    """One entry as the page shows it: who, when, and what they did."""

    entry_id: int
    action: str
    when: datetime
    who: str
    what: tuple[Part, ...]


@dataclass(frozen=True)
class ActivityPage:
    course: Course
    lines: list[ActivityLine]
    page: int
    has_more: bool


def activity_page(session: Session, grant: CourseGrant, page: int = 1) -> ActivityPage:
    """One page of the course's log, newest first: at most three queries whatever its length
    (the course, the page's entries with who did it and whom it was about, and the other
    people the page's entries name)."""
    if not can_read_activity_log(grant):
        raise Refused(403, _("Only the course's instructors can read its activity log."))
    course = session.get(Course, grant.course_id)
    if course is None:
        raise Refused(404, _("This course is no longer known to Rapport."))
    actor, about = aliased(Person), aliased(Person)
    rows = session.execute(
        select(AuditEntry, actor, about)
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .outerjoin(about, about.id == AuditEntry.subject_person_id)
        .where(AuditEntry.course_id == course.id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    shown = rows[:PAGE_SIZE]
    names = _names(session, {i for entry, _, _ in shown for i in person_ids_in(entry.details)})
    lines = [_line(entry, by, subject, names) for entry, by, subject in shown]
    return ActivityPage(course, lines, page, has_more=len(rows) > PAGE_SIZE)


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    people = session.scalars(select(Person).where(Person.id.in_(wanted)))
    return {person.id: person.name_as("Staff") for person in people}


def _line(
    entry: AuditEntry, actor: Person | None, about: Person | None, names: Mapping[int, str]
) -> ActivityLine:
    if actor is not None:
        who = actor.name_as("Staff")
    else:
        who = RAPPORT if entry.details.get(BY_RAPPORT) else str(GONE)
    facts = AuditFacts(
        actor_id=entry.actor_id,
        subject=entry.subject,
        subject_person_id=entry.subject_person_id,
        subject_name=about.name_as("Student") if about is not None else str(SOMEONE_GONE),
        details=entry.details,
        names=names,
    )
    action = _ACTIONS.get(entry.action)
    said = (
        action.describe(facts) if action else _("made a change (%(action)s)", action=entry.action)
    )
    what = (said,) if isinstance(said, str) else tuple(said)
    return ActivityLine(entry.id, entry.action, entry.created_at, who, what)
