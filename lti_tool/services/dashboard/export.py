"""The relationship dashboard as a spreadsheet: one row per active student, by name, formulas
neutralised the same way as the check-in export. Streamed: one query whose rows are fetched a
thousand at a time and written out as they come, so memory stays flat however large the course.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, aliased

from lti_tool.models import Person, StudentSummary
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins.export import iso_utc, neutralised
from lti_tool.services.dashboard import rows as listing
from lti_tool.services.dashboard.rows import StudentRow
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


def _cells(row: StudentRow) -> list[str]:
    contact = row.contact
    return [
        row.name,
        row.email or "",
        row.tutor_name or "",
        iso_utc(contact.at) if contact else "",
        row.contact_by or "",
        PRIVATE if row.private else f"{contact.kind}: {contact.about}" if contact else "",
        "" if row.days_since is None else str(row.days_since),
        row.trend,
        "" if row.latest_score is None else str(row.latest_score),
        str(row.talk_requests),
        iso_utc(row.waiting_since) if row.waiting_since else "",
        str(row.unread),
        "yes" if row.flagged else "",
    ]


def dashboard_csv(
    session: Session, grant: CourseGrant, settings: Mapping[str, Any], now: datetime
) -> Iterator[str]:
    """The CSV in pieces; refused (before any piece) unless the grant is staff's."""
    refuse_unless_staff(grant)
    apply_pending(session)
    viewer = viewer_for(session, grant, settings)
    course_id = grant.course_id
    tutor, by = aliased(Person), aliased(Person)
    unread = listing.unread_from(course_id, grant.person_id).subquery()
    s = StudentSummary
    query = (
        listing.page_query(course_id, viewer)
        .add_columns(tutor, by, unread.c.n)
        .outerjoin(tutor, tutor.id == s.tutor_id)
        .outerjoin(by, by.id == s.contact_by_id)
        .outerjoin(unread, unread.c.student_id == s.student_id)
        .order_by(s.name_key, s.student_id)
        .execution_options(yield_per=FETCH)
    )

    def pieces() -> Iterator[str]:
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        try:
            for summary, person, hidden, tutor_person, by_person, n in session.execute(query):
                names = {
                    p.id: p.name_as("Staff") for p in (tutor_person, by_person) if p is not None
                }
                row = listing.row_of(summary, person, names, int(n or 0), bool(hidden), now)
                writer.writerow([neutralised(cell) for cell in _cells(row)])
                if out.tell() > 64_000:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
        finally:
            # Read after the request's own teardown: its transaction ends with the last piece
            # (or a client that stopped reading), not with the request.
            session.close()
        yield out.getvalue()

    return pieces()
