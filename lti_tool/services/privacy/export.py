"""Everything Rapport holds about one person, as one JSON document (issue 18): who the platform
says they are, and per course their membership and everything they wrote, answered, were sent
or were noted about — a subject access request's answer.

Each section is one query of labelled columns, read as they are stored (times in ISO 8601 UTC);
what others wrote is included only where it was written to them (their own conversations),
and other people appear by the name they have now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from lti_tool.models import AuditEntry, Course, Person, Registration
from lti_tool.services.audit import person_ids_in
from lti_tool.services.checkins.export import iso_utc
from lti_tool.services.privacy import grade_comments, sections
from lti_tool.services.privacy.people import course_ids_of, people_named

PROFILE = ("sub", "name", "given_name", "family_name", "email", "picture", "locale")


def export_person(session: Session, issuer: str, sub: str, now: datetime) -> dict[str, Any]:
    """The document; UnknownPerson when Rapport holds nobody with this issuer and `sub`."""
    return {
        "exported_at": iso_utc(now),
        "issuer": issuer,
        "sub": sub,
        "records": [_record(session, person) for person in people_named(session, issuer, sub)],
    }


def _record(session: Session, person: Person) -> dict[str, Any]:
    registration = session.get_one(Registration, person.registration_id)
    courses: dict[int, dict[str, Any]] = defaultdict(dict)
    for name, query in sections.SECTIONS.items():
        for course_id, row in _rows(session, query(person.id)):
            courses[course_id].setdefault(name, []).append(row)
    given = grade_comments.grade_comments_written(session, person.id)
    for course_id, row in _rows(session, given):
        courses[course_id].setdefault("grade_comments_written", []).append(row)
    for course_id, rows in _activity_log(session, person.id):
        courses[course_id]["activity_log"] = rows
    return {
        "platform": {
            "issuer": registration.issuer,
            "client_id": registration.client_id,
            "name": registration.name,
        },
        "profile": {
            **{column: getattr(person, column) for column in PROFILE},
            "first_seen": iso_utc(person.created_at),
            "updated_at": iso_utc(person.updated_at),
        },
        "courses": [
            {"course": _course(session, course_id), **found}
            for course_id, found in sorted(courses.items())
        ],
    }


def _course(session: Session, course_id: int) -> dict[str, Any]:
    course = session.get_one(Course, course_id)
    return {"context_id": course.context_id, "title": course.title, "label": course.label}


def _rows(session: Session, query: sections.Rows) -> Iterable[tuple[int, dict[str, Any]]]:
    """(course id, the row's other columns as JSON values) for each row of a section."""
    for row in session.execute(query):
        found = row._asdict()
        course_id = int(found.pop("course_id"))
        yield course_id, {key: _json(value) for key, value in found.items()}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _activity_log(session: Session, person_id: int) -> list[tuple[int, list[dict[str, Any]]]]:
    """Entries of their courses' logs that name them (models/audit.py says where), read
    course by course: the details are JSON, searched in Python."""
    found = []
    for course_id in course_ids_of(session, [person_id]):
        rows = [
            _entry(entry, person_id)
            for entry in session.scalars(sections.entries_of(course_id))
            if _names(entry, person_id)
        ]
        if rows:
            found.append((course_id, rows))
    return found


def _names(entry: AuditEntry, person_id: int) -> bool:
    return person_id in (entry.actor_id, entry.subject_person_id) or person_id in person_ids_in(
        entry.details
    )


def _entry(entry: AuditEntry, person_id: int) -> dict[str, Any]:
    # i18n: not translated (the export's own labels, read by the operator who runs it)
    roles: Sequence[tuple[str, Callable[[AuditEntry], bool]]] = (
        ("did it", lambda e: e.actor_id == person_id),
        ("about them", lambda e: e.subject_person_id == person_id),
        ("named in it", lambda e: person_id in person_ids_in(e.details)),
    )
    return {
        "action": entry.action,
        "subject": entry.subject,
        "at": iso_utc(entry.created_at),
        "them": [word for word, applies in roles if applies(entry)],
    }
