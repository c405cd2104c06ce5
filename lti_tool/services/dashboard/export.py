"""The relationship dashboard as a spreadsheet: one row per active student, by name, formulas
neutralised the same way as the check-in export. Streamed: one query of plain columns (the
summary's, the student's, their tutor's and last contact's names, what is unread), fetched a
thousand rows at a time and written out as they come, so memory stays flat however large the
course; each row is only formatted, nothing about it is worked out again in Python.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session, aliased

from lti_tool.models import Person, StudentSummary
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins.export import iso_utc, neutralised
from lti_tool.services.dashboard import rows as listing
from lti_tool.services.dashboard.service import refuse_unless_staff
from lti_tool.services.dashboard.tracking import apply_pending
from lti_tool.services.feedback.viewers import viewer_for

PRIVATE = "private to their tutor and the instructors"
FETCH = 1_000
HEADERS = [
    "student",
    "email",
    "tutor",
    "last personal contact",
    "by",
    "what",
    "days since",
    "check-in trend",
    "latest check-in score",
    "open requests to talk",
    "waiting for a reply since",
    "unread from them",
    "flagged",
]
S = StudentSummary
NAMED = ("name", "given_name", "family_name", "email", "registration_id", "sub", "erased_at")
WIDE = len(NAMED)


def _named(person: Any) -> list[Any]:
    return [getattr(person, column) for column in NAMED]


def _name(columns: tuple[Any, ...], role_word: str) -> str:
    """`Person.name_as` of a person read as NAMED columns; a transient Person only when the
    platform withheld the name (rare), so that the fallback stays `name_as`'s alone."""
    if columns[0]:
        return str(columns[0])
    return Person(**dict(zip(NAMED, columns, strict=True))).name_as(role_word)


def _query(course_id: int, grant: CourseGrant, viewer: Any) -> Select[Any]:
    student, tutor, by = Person, aliased(Person), aliased(Person)
    return (
        listing.students(
            course_id,
            listing.private(viewer).label("private"),
            S.contact_at,
            S.contact_by_id,
            S.contact_kind,
            S.contact_about,
            S.trend,
            S.latest_score,
            S.talk_requests,
            S.waiting_since,
            listing.unread_by(course_id, grant.person_id),
            S.flagged,
            S.tutor_id,
            *_named(student),
            *_named(tutor),
            *_named(by),
        )
        .join(student, student.id == S.student_id)
        .outerjoin(tutor, tutor.id == S.tutor_id)
        .outerjoin(by, by.id == S.contact_by_id)
        .order_by(S.name_key, S.student_id)
        .execution_options(yield_per=FETCH)
    )


def _cells(row: Any, now: datetime) -> list[str]:
    """One student's cells; what a viewer may not read of them left out as `keep_private`
    leaves it out of the page."""
    hidden, at, by_id, kind, about, trend, score, talk, waiting, unread, flagged, tutor_id = row[
        :12
    ]
    student, tutor, by = (row[12 + n * WIDE : 12 + (n + 1) * WIDE] for n in range(3))
    contact = at is not None and by_id is not None and not hidden
    return [
        neutralised(_name(student, "Student")),
        neutralised(student[3] or ""),
        neutralised(_name(tutor, "Staff")) if tutor_id is not None and tutor[5] else "",
        iso_utc(at) if contact else "",
        (neutralised(_name(by, "Staff")) if by[5] else "Staff") if contact else "",
        PRIVATE if hidden else neutralised(f"{kind or ''}: {about or ''}") if contact else "",
        str(max(0, (now - at).days)) if contact else "",
        trend,
        "" if score is None else str(score),
        str(talk),
        "" if hidden or waiting is None else iso_utc(waiting),
        "0" if hidden else str(unread or 0),
        "yes" if flagged else "",
    ]


def dashboard_csv(
    session: Session, grant: CourseGrant, settings: Mapping[str, Any], now: datetime
) -> Iterator[str]:
    """The CSV in pieces; refused (before any piece) unless the grant is staff's."""
    refuse_unless_staff(grant)
    apply_pending(session)
    query = _query(grant.course_id, grant, viewer_for(session, grant, settings))

    def pieces() -> Iterator[str]:
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        try:
            for part in session.execute(query).partitions():
                writer.writerows([_cells(row, now) for row in part])
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        finally:
            # Read after the request's own teardown: its transaction ends with the last piece
            # (or a client that stopped reading), not with the request.
            session.close()
        yield out.getvalue()

    return pieces()
