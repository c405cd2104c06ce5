"""An ended course: the notice on its pages, its forms closed to students, and the whole course
as one download for its instructors (`services/archive/`).

The rule itself (which requests a read-only course refuses) is applied for every course page
by `views/course.py`; this module only tells people, and serves the download.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Flask, g, send_file
from werkzeug.wrappers import Response

from lti_tool.extensions import db, rapport
from lti_tool.services.access import CourseGrant
from lti_tool.services.archive.download import can_download_course, write_course_zip
from lti_tool.services.archive.rules import CourseEnd, can_write_in_course
from lti_tool.services.entry import CourseEntry
from lti_tool.views.course import course_grant_required

bp = Blueprint("archive", __name__)


@dataclass(frozen=True)
class EndNotice:
    """What a course page says about the course's end, to the one reading it."""

    end: CourseEnd | None
    ended: bool
    read_only: bool  # students can no longer write
    staff: bool
    can_download: bool
    deletion_due_at: datetime | None  # when retention will delete the course


def end_notice() -> EndNotice | None:
    """The notice for this course page: once the course has ended, or its deletion is planned;
    None on other pages and before then."""
    grant: CourseGrant | None = g.get("grant")
    entry: CourseEntry | None = g.get("course_entry")
    if grant is None or entry is None:
        return None
    end: CourseEnd | None = g.get("course_end")
    now = rapport().clock()
    deletion = entry.course.deletion_due_at if rapport().settings.retention_days else None
    ended = end is not None and end.has_ended(now)
    if not ended and deletion is None:
        return None
    read_only = end is not None and end.is_read_only(now)
    return EndNotice(end, ended, read_only, grant.is_staff, can_download_course(grant), deletion)


def course_closed() -> bool:
    """Whether this visitor's forms are refused in this course now (the course is read only for
    them): pages leave those forms out."""
    grant: CourseGrant | None = g.get("grant")
    return grant is not None and not can_write_in_course(
        grant, g.get("course_end"), rapport().clock()
    )


@bp.post("/courses/<int:course_id>/download")
@course_grant_required
def download(course_id: int) -> Response:
    """The course's ZIP, spooled to a temporary file on disk, then sent from it."""
    # Not a `with`: the response closes the file once it has sent it (or the client left).
    spool = tempfile.TemporaryFile(prefix="rapport-course-")  # noqa: SIM115
    try:
        name = write_course_zip(
            db(),
            rapport().sessions,
            g.grant,
            g.course_settings,
            g.course_end,
            rapport().clock(),
            spool,
        )
        db().commit()  # the activity log's entry
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return send_file(
        spool, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0
    )


def register(app: Flask) -> None:
    app.add_template_global(end_notice, "end_notice")
    app.add_template_global(course_closed, "course_closed")
