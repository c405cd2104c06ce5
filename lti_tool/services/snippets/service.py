"""The snippet library: a course's reusable words for feedback, personal at scale.

A snippet is Markdown with merge fields — `{first_name}`, `{tutor_name}`, `{course_title}`,
`{activity_title}` — filled per student when a thread is started from it. Filled values are
the LMS's names, so they are inserted as literal text: Markdown punctuation in a name is
backslash-escaped (CommonMark §2.4), and a name like `*Bo*` or `[x](javascript:…)` reads as
written instead of becoming emphasis or a link. Unknown `{fields}` stay as written and are
reported, so the form can warn before anything is sent.

Only the course's staff see and edit the library.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from flask_babel import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import _, lazy_gettext, ngettext, number
from lti_tool.models import Person, Snippet
from lti_tool.services.access import CourseGrant
from lti_tool.services.refusals import Refused

MAX_TITLE = 120
MAX_BODY = 5_000
# Rapport's own words in a student's message, in the language the words are filled in (the
# page's, or the sender's in the background run; `bulk_run`).
NO_TUTOR = lazy_gettext("your course team")

MERGE_FIELDS: dict[str, LazyString] = {
    "first_name": lazy_gettext(
        "The student's first name, or their full name when the LMS does not share it."
    ),
    "tutor_name": lazy_gettext(
        "The student's personal tutor, or “%(no_tutor)s” when they have none.", no_tutor=NO_TUTOR
    ),
    "course_title": lazy_gettext("This course's title, as the LMS names it."),
    "activity_title": lazy_gettext(
        "The feedback activity's title, or the thread's title without one."
    ),
}

# A merge field is a name in braces, exactly: `{first_name}`, or with the words a student
# whose value is missing reads instead: `{tutor_name|the course team}`.
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}|\n]{1,100}))?\}")
MAX_FALLBACK = 100
# Fields whose value a student may lack: they then read the default below, or the fallback.
MAY_BE_MISSING: dict[str, LazyString] = {
    "first_name": lazy_gettext("they have no first name in the LMS, so it is their full name"),
    "tutor_name": lazy_gettext(
        "they have no personal tutor, so it reads “%(no_tutor)s”", no_tutor=NO_TUTOR
    ),
}
# Every character that can start or end Markdown syntax inline or at a line's start; quotes,
# commas and the like never do, so names such as O'Neil keep a readable source.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!<>&|~^=])")
_WHITESPACE = re.compile(r"\s+")


class SnippetRefused(Refused):
    """A refusal of the snippet library (see Refused)."""


@dataclass(frozen=True)
class MergeValues:
    """What each merge field becomes for one student."""

    first_name: str
    tutor_name: str
    course_title: str
    activity_title: str
    missing: frozenset[str] = frozenset()  # fields holding a stand-in, not the student's own

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "missing"}

    def value(self, name: str, fallback: str | None) -> str | None:
        """What `{name}` (or `{name|fallback}`) becomes for this student; None if unknown."""
        if fallback is not None and name in self.missing:
            return fallback
        return self.as_dict().get(name)


def first_name_of(person: Person) -> str:
    """The given name, else the name the rest of Rapport shows ("Student 4f2a" at worst)."""
    given = " ".join((person.given_name or "").split())
    return given or person.name_as("Student")


def missing_for(student: Person, tutor: Person | None) -> frozenset[str]:
    """The fields of MAY_BE_MISSING this student has no value of their own for."""
    missing = set()
    if not " ".join((student.given_name or "").split()):
        missing.add("first_name")
    if tutor is None:
        missing.add("tutor_name")
    return frozenset(missing)


def tutor_name_of(tutor: Person | None) -> str:
    return tutor.name_as("Staff") if tutor is not None else str(NO_TUTOR)


def escape_markdown(value: str) -> str:
    """`value` as literal text inside Markdown: one line, punctuation backslash-escaped."""
    flat = _WHITESPACE.sub(" ", value).strip()
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", flat)


def _filled(template: str, values: MergeValues, as_text: Callable[[str], str]) -> str:
    def one(match: re.Match[str]) -> str:
        value = values.value(match.group(1), match.group(2))
        return match.group(0) if value is None else as_text(value)

    return _FIELD.sub(one, template)


def fill(template: str, values: MergeValues) -> str:
    """The template's Markdown with each known merge field replaced by its escaped value."""
    return _filled(template, values, escape_markdown)


def fill_text(template: str, values: MergeValues) -> str:
    """Plain text (a thread's title) with its merge fields filled; nothing is escaped, as
    pages escape titles when they show them."""
    return _filled(template, values, lambda value: " ".join(value.split()))


def fields_without_fallback(template: str) -> set[str]:
    """The fields that may be missing (MAY_BE_MISSING) written with no fallback."""
    return {
        m.group(1)
        for m in _FIELD.finditer(template)
        if m.group(1) in MAY_BE_MISSING and not m.group(2)
    }


def with_fallbacks(template: str, fallbacks: Mapping[str, str]) -> str:
    """`{field}` written `{field|fallback}` for each field given a fallback (one line, without
    braces or bars, at most MAX_FALLBACK characters); the others as they were."""

    def one(match: re.Match[str]) -> str:
        name, given = match.group(1), match.group(2)
        words = " ".join(re.sub(r"[{}|]", " ", fallbacks.get(name, "")).split())[:MAX_FALLBACK]
        return "{" + name + "|" + words + "}" if words and not given else match.group(0)

    return _FIELD.sub(one, template)


def unknown_fields(template: str) -> list[str]:
    """Fields written in braces that Rapport does not fill, each once, as written."""
    seen: list[str] = []
    for match in _FIELD.finditer(template):
        if match.group(1) not in MERGE_FIELDS and match.group(0) not in seen:
            seen.append(match.group(0))
    return seen


# -- the library ------------------------------------------------------------------------------


def can_use_snippets(grant: CourseGrant) -> bool:
    """Snippets are the course team's words: staff only."""
    return grant.is_staff


def _require_staff(grant: CourseGrant) -> None:
    if not can_use_snippets(grant):
        raise SnippetRefused(403, _("Only the course's staff use the snippet library."))


def list_snippets(session: Session, grant: CourseGrant) -> list[Snippet]:
    _require_staff(grant)
    return list(
        session.scalars(
            select(Snippet)
            .where(Snippet.course_id == grant.course_id)
            .order_by(Snippet.title, Snippet.id)
        )
    )


def snippet_in_course(session: Session, grant: CourseGrant, snippet_id: int) -> Snippet:
    """The snippet of this course; one from any other course is not found."""
    _require_staff(grant)
    snippet = session.get(Snippet, snippet_id)
    if snippet is None or snippet.course_id != grant.course_id:
        raise SnippetRefused(404, _("There is no such snippet in this course."))
    return snippet


def clean_title(title: str, limit: int, errors: dict[str, str]) -> str:
    text = " ".join(title.split())
    if not text:
        errors["title"] = _("Title is needed.")
    elif len(text) > limit:
        errors["title"] = ngettext(
            "Title can be at most %(count)s character (%(now)s now).",
            "Title can be at most %(count)s characters (%(now)s now).",
            limit,
            count=number(limit),
            now=number(len(text)),
        )
    return text


def clean_body(body: str, limit: int, errors: dict[str, str]) -> str:
    text = body.strip()
    if not text:
        errors["body"] = _("The words are needed.")
    elif len(text) > limit:
        errors["body"] = ngettext(
            "The words can be at most %(count)s character (%(now)s now).",
            "The words can be at most %(count)s characters (%(now)s now).",
            limit,
            count=number(limit),
            now=number(len(text)),
        )
    return text


def save_snippet(
    session: Session,
    grant: CourseGrant,
    snippet_id: int | None,
    title: str,
    body: str,
    now: datetime,
) -> Snippet:
    """Create a snippet (no id) or change one of this course's; SnippetRefused says what to
    fix. Unknown merge fields are allowed: the page warns about them."""
    _require_staff(grant)
    existing = snippet_in_course(session, grant, snippet_id) if snippet_id is not None else None
    errors: dict[str, str] = {}
    clean = clean_title(title, MAX_TITLE, errors), clean_body(body, MAX_BODY, errors)
    if errors:
        raise SnippetRefused(400, _("The snippet was not saved."), errors)
    if existing is None:
        existing = Snippet(course_id=grant.course_id, created_by_id=grant.person_id, created_at=now)
        session.add(existing)
    existing.title, existing.body = clean
    existing.updated_at = now
    session.flush()
    return existing


def delete_snippet(session: Session, grant: CourseGrant, snippet_id: int) -> None:
    """Threads already started keep their words: they were copied when they were sent."""
    session.delete(snippet_in_course(session, grant, snippet_id))
    session.flush()
