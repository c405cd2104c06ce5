"""The whole course as one JSON document (`course.json` in the download, `download.py`).

Everything the course holds, in sections: the course and its end, its settings, its people,
tutors and staff profiles (here); posts with their replies and reaction counts, feedback
conversations with their messages, check-ins and each week they opened with its answers
(`checkin_weeks`), the grades sent to the LMS, snippets and placements (`content.py`); and the
activity log. People are named in each item and listed once (`people`) by Rapport's id;
moments are ISO 8601 in UTC.

Written as it is read (`json_stream.py`): each section is one statement whose rows come a
thousand at a time and are written out an item per line, so memory holds one conversation or
one week of answers at most, however large the course.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import Course, Membership, Registration, StaffProfile, TutorAllocation
from lti_tool.models.course import CourseRole
from lti_tool.models.person import Person
from lti_tool.services.access import CourseGrant
from lti_tool.services.archive import content
from lti_tool.services.archive.content import Name
from lti_tool.services.archive.json_stream import JsonWriter, streamed
from lti_tool.services.archive.rules import CourseEnd
from lti_tool.services.audit import GONE, activity_page
from lti_tool.services.checkins.export import iso_utc
from lti_tool.services.course_settings import CourseSettings, feature_key, registered_settings

FORMAT = "rapport-course/1"
ROLE_WORDS = {CourseRole.STAFF: "Staff", CourseRole.STUDENT: "Student"}


def write_document(
    session: Session,
    grant: CourseGrant,
    settings: CourseSettings,
    end: CourseEnd | None,
    now: datetime,
    out: TextIO,
) -> list[tuple[int, str]]:
    """Write the course's document to `out`; the check-ins it holds, (id, title), for their
    CSVs. The caller has decided that `grant` may download the course."""
    course_id = grant.course_id
    writer = JsonWriter(out)
    writer.begin()
    writer.member("format", FORMAT)
    writer.member("exported_at", now)
    writer.member("course", _course(session, course_id, end))
    writer.array("settings", _settings(settings))
    names: dict[int, str] = {}
    writer.array("people", _people(session, course_id, names))
    gone = str(GONE)  # in the language of whoever downloads it

    def name(person_id: int | None) -> str | None:
        return None if person_id is None else names.get(person_id, gone)

    writer.member("exported_by", name(grant.person_id))
    writer.array("tutors", _tutors(session, course_id, name))
    writer.array("staff_profiles", _profiles(session, course_id, name))
    writer.array("posts", content.posts(session, course_id, name))
    writer.array("feedback_threads", content.threads(session, course_id, name))
    checkins: list[tuple[int, str]] = []
    writer.array("checkins", content.checkins(session, course_id, name, checkins))
    writer.array("checkin_weeks", content.weeks(session, course_id, name))
    writer.array("grades", content.grades(session, course_id, name))
    writer.array("snippets", content.snippets(session, course_id, name))
    writer.array("placements", content.placements(session, course_id))
    writer.array("activity_log", _activity_log(session, grant))
    writer.end()
    return checkins


def _course(session: Session, course_id: int, end: CourseEnd | None) -> dict[str, Any]:
    course, issuer = session.execute(
        select(Course, Registration.issuer)
        .join(Registration, Registration.id == Course.registration_id)
        .where(Course.id == course_id)
    ).one()
    return {
        "title": course.display_title,
        "label": course.label,
        "context_id": course.context_id,
        "platform": issuer,
        "lms_url": course.lms_url,
        "ends_at": end.ends_at if end else None,
        "end_from": None if end is None else "settings" if end.from_settings else "lms",
        "students_write_until": end.writable_until if end else None,
        "deletion_due_at": course.deletion_due_at,
        "created_at": course.created_at,
    }


def _settings(settings: CourseSettings) -> Iterator[dict[str, Any]]:
    for spec in registered_settings():
        yield {
            "key": spec.key,
            "feature": feature_key(spec.feature),
            "label": str(spec.label),
            "value": settings[spec.key],
            "shown_as": spec.describe(settings[spec.key]),
        }


def _people(session: Session, course_id: int, names: dict[int, str]) -> Iterator[dict[str, Any]]:
    query = (
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.course_id == course_id)
        .order_by(Membership.role, Person.name, Person.id)
    )
    for membership, person in streamed(session, query):
        role = CourseRole(membership.role)
        names[person.id] = person.name_as(ROLE_WORDS.get(role, "Guest"))
        yield {
            "id": person.id,
            "name": names[person.id],
            "email": person.email,
            "role": role.value,
            "lms_roles": membership.lti_roles,
            "active": membership.active,
            "section": membership.section,
            "last_launch_at": membership.last_launch_at,
        }


def _tutors(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    query = (
        select(TutorAllocation)
        .where(TutorAllocation.course_id == course_id)
        .order_by(TutorAllocation.assigned_at, TutorAllocation.id)
    )
    for (row,) in streamed(session, query):
        yield {
            "student_id": row.student_id,
            "student": name(row.student_id),
            "tutor_id": row.tutor_id,
            "tutor": name(row.tutor_id),
            "assigned_by": name(row.assigned_by_id),
            "assigned_at": row.assigned_at,
            "ended_at": row.ended_at,
        }


def _profiles(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    query = select(StaffProfile).where(StaffProfile.course_id == course_id)
    for (row,) in streamed(session, query.order_by(StaffProfile.id)):
        yield {
            "person_id": row.person_id,
            "name": name(row.person_id),
            "pronouns": row.pronouns,
            "role_title": row.role_title,
            "bio": row.bio,
            "how_to_reach": row.contact,
        }


def _activity_log(session: Session, grant: CourseGrant) -> Iterator[dict[str, Any]]:
    """Newest first, as the Activity log page reads it, a page at a time."""
    page = 1
    while True:
        read = activity_page(session, grant, page)
        for line in read.lines:
            what = "".join(p if isinstance(p, str) else iso_utc(p) for p in line.what)
            yield {"when": line.when, "who": line.who, "action": line.action, "what": what}
        if not read.has_more:
            return
        page += 1
