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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session, aliased

from lti_tool.i18n import _, lazy_gettext
from lti_tool.models import Person, StudentSummary
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins.export import iso_utc, neutralised
from lti_tool.services.dashboard import rows as listing
from lti_tool.services.dashboard.contact import (
    INTRODUCTION,
    INTRODUCTION_LABEL,
    KIND_LABELS,
    POST_REPLY,
)
from lti_tool.services.dashboard.service import refuse_unless_staff
from lti_tool.services.dashboard.tracking import apply_pending
from lti_tool.services.feedback.viewers import viewer_for

FETCH = 1_000  # rows read from the database at a time
PIECE = 100  # rows written to the download at a time: its first piece leaves at once
# The CSV's words, read in the reader's language when the export starts (its rows are written
# later, as the download streams).
PRIVATE = lazy_gettext("private to their tutor and the instructors")
HEADERS = [
    lazy_gettext("student"),
    lazy_gettext("email"),
    lazy_gettext("tutor"),
    lazy_gettext("last personal contact"),
    lazy_gettext("by"),
    lazy_gettext("what"),
    lazy_gettext("days since"),
    lazy_gettext("check-in trend"),
    lazy_gettext("latest check-in score"),
    lazy_gettext("open requests to talk"),
    lazy_gettext("waiting for a reply since"),
    lazy_gettext("unread from them"),
    lazy_gettext("flagged"),
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


@dataclass(frozen=True)
class _Words:
    """The words the cells use, translated once for the whole export."""

    private: str
    staff: str
    yes: str
    kinds: dict[str, str]

    @classmethod
    def now(cls) -> _Words:
        kinds = {kind: str(label) for kind, label in KIND_LABELS.items()}
        return cls(str(PRIVATE), _("Staff"), _("yes"), kinds)


def _cells(row: Any, now: datetime, words: _Words) -> list[str]:
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
        (neutralised(_name(by, "Staff")) if by[5] else words.staff) if contact else "",
        words.private if hidden else neutralised(_what(kind, about, words)) if contact else "",
        str(max(0, (now - at).days)) if contact else "",
        trend,
        "" if score is None else str(score),
        str(talk),
        "" if hidden or waiting is None else iso_utc(waiting),
        "0" if hidden else str(unread or 0),
        words.yes if flagged else "",
    ]


def _what(kind: str | None, about: str | None, words: _Words) -> str:
    """The kind of the last contact and what it was about: "check-in reply: Week 3"."""
    if kind == POST_REPLY and about == INTRODUCTION:
        about = str(INTRODUCTION_LABEL)
    return f"{words.kinds.get(kind or '', kind or '')}: {about or ''}"


def dashboard_csv(
    session: Session, grant: CourseGrant, settings: Mapping[str, Any], now: datetime
) -> Iterator[str]:
    """The CSV in pieces; refused (before any piece) unless the grant is staff's."""
    refuse_unless_staff(grant)
    apply_pending(session)
    query = _query(grant.course_id, grant, viewer_for(session, grant, settings))
    words = _Words.now()
    headers = [str(header) for header in HEADERS]

    def pieces() -> Iterator[str]:
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
        writer = csv.writer(out)
        writer.writerow(headers)
        try:
            for part in session.execute(query).partitions(PIECE):
                writer.writerows([_cells(row, now, words) for row in part])
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        finally:
            # Read after the request's own teardown: its transaction ends with the last piece
            # (or a client that stopped reading), not with the request.
            session.close()
        yield out.getvalue()

    return pieces()
