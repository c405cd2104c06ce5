"""The whole course in one download, for its staff to keep before the course is deleted (issue
18, "Archive and retention"): a ZIP holding `course.json` (everything the course holds,
`document.py`) and the spreadsheets Rapport already offers, made by their own services — the
relationship dashboard's and each check-in's answers.

Written into a file the caller gives (a temporary file on disk), each part as it is read, so
memory stays bounded however large the course; the caller sends the file when it is done.
Only those who run the course download it: it holds every student's conversations, which a
teaching assistant may not be allowed to read (`feedback.visibility`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO
from zipfile import ZIP_DEFLATED, ZipFile

from sqlalchemy.orm import Session

from lti_tool.dates import format_date, zone_named
from lti_tool.i18n import _
from lti_tool.models import Course
from lti_tool.services.access import CourseGrant
from lti_tool.services.archive.audit import DOWNLOADED
from lti_tool.services.archive.document import write_document
from lti_tool.services.archive.rules import CourseEnd
from lti_tool.services.audit import record_by
from lti_tool.services.checkins.stats import csv_stream, export_rows
from lti_tool.services.course_settings import COURSE_TIME_ZONE, CourseSettings
from lti_tool.services.dashboard.export import dashboard_csv
from lti_tool.services.refusals import Refused

DOCUMENT = "course.json"
DASHBOARD = "students-and-contact.csv"


def readme(title: str, day: str) -> str:
    """README.txt, in the language of whoever downloads the course (the files keep their
    names: the text names them)."""
    return _(
        "This is everything Rapport held about %(title)s on %(day)s.\n"
        "\n"
        "course.json: the course, its settings and people, tutors, posts with their replies "
        "and reactions, feedback conversations, check-ins with every answer, grades sent to "
        "the LMS, snippets and the activity log (moments in UTC, ISO 8601).\n"
        "students-and-contact.csv: the relationship dashboard, one row per student.\n"
        "check-ins/: each check-in's answers, as its page downloads them.\n"
        "\n"
        "The spreadsheets open in Excel, Numbers or LibreOffice; course.json in any text "
        "editor.\n",
        title=title,
        day=day,
    )


def can_download_course(grant: CourseGrant) -> bool:
    """Those who run the course (instructors, course administrators) download all of it."""
    return grant.is_instructor


def download_name(course: Course, now: datetime) -> str:
    """`rapport-poetry-101-2027-07-01.zip`: the course's title in letters, digits and dashes."""
    words = re.sub(r"[^a-z0-9]+", "-", course.display_title.lower()).strip("-")[:60]
    return f"rapport-{words or 'course'}-{now.date().isoformat()}.zip"


def write_course_zip(
    session: Session,
    sessions: Callable[[], Session],
    grant: CourseGrant,
    settings: CourseSettings,
    end: CourseEnd | None,
    now: datetime,
    out: IO[bytes],
) -> str:
    """Write the course's ZIP to `out` and log who downloaded it (in the caller's transaction);
    the name to give the file. `sessions` makes the sessions the spreadsheets are read from."""
    if not can_download_course(grant):
        raise Refused(
            403,
            _(
                "Only the course's instructors can download the whole course: it holds every "
                "student's conversations and check-in answers."
            ),
        )
    course = session.get_one(Course, grant.course_id)
    with ZipFile(out, "w", compression=ZIP_DEFLATED) as archive:
        with (
            archive.open(DOCUMENT, "w", force_zip64=True) as raw,
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
        ):
            checkins = write_document(session, grant, settings, end, now, text)
        # The dashboard's export closes the session it is given, as its page's stream does.
        _write(archive, DASHBOARD, dashboard_csv(sessions(), grant, settings, now))
        for checkin_id, _title in checkins:
            checkin, rows = export_rows(session, grant, checkin_id)
            name = f"check-ins/check-in-{checkin_id}-answers.csv"
            _write(archive, name, csv_stream(sessions, checkin, rows))
        day = format_date(now, zone_named(settings[COURSE_TIME_ZONE]))
        archive.writestr("README.txt", readme(course.display_title, day))
    record_by(session, grant, DOWNLOADED, now=now)
    return download_name(course, now)


def _write(archive: ZipFile, name: str, pieces: Iterable[str]) -> None:
    with archive.open(name, "w", force_zip64=True) as raw:
        for piece in pieces:
            raw.write(piece.encode("utf-8"))
