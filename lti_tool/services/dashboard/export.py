"""The relationship dashboard as a spreadsheet: one row per active student, formulas
neutralised the same way as the check-in export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from lti_tool.services.checkins.export import iso_utc, neutralised
from lti_tool.services.dashboard.student_facts import StudentRow

PRIVATE = "private to their tutor and the instructors"
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


def dashboard_csv(rows: Iterable[StudentRow], now: datetime) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows:
        contact = row.contact
        cells = [
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
        writer.writerow([neutralised(cell) for cell in cells])
    return out.getvalue()
