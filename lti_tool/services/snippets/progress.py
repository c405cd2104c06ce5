"""How far a bulk start has got ("Start a thread with each selected student", `bulk_start.py`):
its progress page, and the course's latest bulk starts on the snippets page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import BulkStart
from lti_tool.services.access import CourseGrant
from lti_tool.services.snippets.bulk_run import RUNNING, reason_shown
from lti_tool.services.snippets.bulk_start import BulkStartRefused, require_staff


@dataclass(frozen=True)
class BulkProgress:
    bulk_id: int
    title: str
    total: int
    done: int
    status: str
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    nudge: bool = False  # messages in check-in conversations, not new threads

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def _progress_of(bulk: BulkStart) -> BulkProgress:
    return BulkProgress(
        bulk_id=bulk.id,
        title=bulk.title,
        total=bulk.total,
        done=bulk.done,
        status=bulk.status,
        error=reason_shown(bulk.error),
        created_at=bulk.created_at,
        finished_at=bulk.finished_at,
        nudge=bulk.checkin_id is not None,
    )


def bulk_progress(session: Session, grant: CourseGrant, bulk_id: int) -> BulkProgress:
    """How far a bulk start of this course has got; one of another course is not found."""
    require_staff(grant)
    bulk = session.get(BulkStart, bulk_id)
    if bulk is None or bulk.course_id != grant.course_id:
        raise BulkStartRefused(404, _("There is no such bulk start in this course."))
    return _progress_of(bulk)


def recent_bulk_starts(session: Session, grant: CourseGrant, limit: int = 10) -> list[BulkProgress]:
    require_staff(grant)
    rows = session.scalars(
        select(BulkStart)
        .where(BulkStart.course_id == grant.course_id)
        .order_by(BulkStart.created_at.desc(), BulkStart.id.desc())
        .limit(limit)
    )
    return [_progress_of(bulk) for bulk in rows]
