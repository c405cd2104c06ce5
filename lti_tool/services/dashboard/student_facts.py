"""What the relationship dashboard knows about each active student: their tutor, their last
personal contact (as `contact.py` defines it), their recent check-in answers and requests to
talk, how long they have waited for a reply, and what they wrote that the viewer has not read.

One query per kind of fact for the whole course, each returning a row or a few per student.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    ResponseStatus,
    StudentFlag,
    ThreadRead,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.checkins.sparkline import trend
from lti_tool.services.dashboard.contact import Contact, latest_contacts
from lti_tool.services.tutors.service import current_tutor_ids

TREND_LENGTH = 6


@dataclass
class StudentRow:
    student_id: int
    name: str
    email: str | None
    tutor_id: int | None = None
    tutor_name: str | None = None
    contact: Contact | None = None
    contact_by: str | None = None
    days_since: int | None = None
    scores: list[int | None] = field(default_factory=list)
    latest_text: str = ""
    talk_requests: int = 0
    waiting_since: datetime | None = None
    unread: int = 0  # conversations where they wrote last and the viewer has not read it
    flagged: bool = False
    private: bool = False  # their conversations are not the viewer's to read

    def keep_private(self) -> None:
        """Forget what comes from conversations the viewer may not read: the last contact
        (a thread's title, when, by whom), the wait for a reply and what is unread."""
        self.private = True
        self.contact = self.contact_by = self.days_since = self.waiting_since = None
        self.unread = 0

    @property
    def trend(self) -> str:
        return trend(self.scores)

    @property
    def latest_score(self) -> int | None:
        return next((s for s in reversed(self.scores) if s is not None), None)


def student_rows(
    session: Session, course_id: int, now: datetime, viewer_id: int | None = None
) -> dict[int, StudentRow]:
    """Every active student of the course, by id, with what the dashboard shows about them."""
    people = session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.course_id == course_id,
            Membership.role == CourseRole.STUDENT,
            Membership.active.is_(True),
        )
    ).all()
    rows = {p.id: StudentRow(p.id, p.name_as("Student"), p.email) for p in people}
    tutors = current_tutor_ids(session, course_id)
    contacts = latest_contacts(session, course_id)
    staff_ids = set(tutors.values()) | {c.by_id for c in contacts.values()}
    names = {
        p.id: p.name_as("Staff")
        for p in session.scalars(select(Person).where(Person.id.in_(sorted(staff_ids) or [0])))
    }
    for student_id, row in rows.items():
        row.tutor_id = tutors.get(student_id)
        row.tutor_name = names.get(row.tutor_id or 0)
        found = contacts.get(student_id)
        if found is not None:
            row.contact, row.contact_by = found, names.get(found.by_id, "Staff")
            row.days_since = max(0, (now - found.at).days)
    _add_checkins(session, course_id, rows)
    _add_waits(session, course_id, rows)
    if viewer_id is not None:
        _add_unread(session, course_id, viewer_id, rows)
    flagged = session.scalars(
        select(StudentFlag.student_id).where(StudentFlag.course_id == course_id)
    )
    for student_id in flagged:
        if student_id in rows:
            rows[student_id].flagged = True
    return rows


def _add_checkins(session: Session, course_id: int, rows: dict[int, StudentRow]) -> None:
    named = (CheckIn.course_id == course_id, CheckIn.anonymous.is_(False))
    newest = func.row_number().over(
        partition_by=CheckInResponse.student_id, order_by=Occurrence.opens_at.desc()
    )
    ranked = (
        select(
            CheckInResponse.id,
            CheckInResponse.student_id,
            CheckInResponse.score,
            Occurrence.opens_at,
            newest.label("rank"),
        )
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(*named)
        .subquery()
    )
    recent: dict[int, list[Any]] = defaultdict(list)
    for r in session.execute(select(ranked).where(ranked.c.rank <= TREND_LENGTH)).all():
        recent[r.student_id].append(r)
    for student_id, answers in recent.items():
        if student_id in rows:
            answers.sort(key=lambda r: r.opens_at)
            rows[student_id].scores = [r.score for r in answers]
    # The words of each student's newest answer only: the JSON of one row per student.
    latest = session.execute(
        select(CheckInResponse.student_id, CheckInResponse.answers)
        .join(ranked, ranked.c.id == CheckInResponse.id)
        .where(ranked.c.rank == 1)
    ).all()
    for student_id, answers in latest:
        if student_id in rows:
            rows[student_id].latest_text = str((answers or {}).get("text") or "")
    requests = session.execute(
        select(CheckInResponse.student_id, func.count())
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(
            *named,
            CheckInResponse.wants_talk.is_(True),
            CheckInResponse.status == ResponseStatus.NEW,
        )
        .group_by(CheckInResponse.student_id)
    ).all()
    for student_id, n in requests:
        if student_id in rows:
            rows[student_id].talk_requests = int(n)


def _add_waits(session: Session, course_id: int, rows: dict[int, StudentRow]) -> None:
    """Since when each student has waited for a personal answer: their first message after
    the last one a person wrote to them (an automatic or bulk message answers nobody)."""
    answered = (
        select(FeedbackMessage.thread_id, func.max(FeedbackMessage.created_at).label("at"))
        .join(FeedbackThread, FeedbackThread.id == FeedbackMessage.thread_id)
        .where(
            FeedbackThread.course_id == course_id,
            FeedbackMessage.author_id != FeedbackThread.student_id,
            FeedbackMessage.automated.is_(False),
        )
        .group_by(FeedbackMessage.thread_id)
        .subquery()
    )
    waits = session.execute(
        select(FeedbackThread.student_id, func.min(FeedbackMessage.created_at))
        .join(FeedbackMessage, FeedbackMessage.thread_id == FeedbackThread.id)
        .outerjoin(answered, answered.c.thread_id == FeedbackThread.id)
        .where(
            FeedbackThread.course_id == course_id,
            FeedbackMessage.author_id == FeedbackThread.student_id,
            (answered.c.at.is_(None)) | (FeedbackMessage.created_at > answered.c.at),
        )
        .group_by(FeedbackThread.student_id)
    ).all()
    for student_id, since in waits:
        if student_id in rows:
            rows[student_id].waiting_since = since


def _add_unread(
    session: Session, course_id: int, viewer_id: int, rows: dict[int, StudentRow]
) -> None:
    """Conversations where the student wrote last and this viewer has not read it since."""
    unread = session.execute(
        select(FeedbackThread.student_id, func.count())
        .outerjoin(
            ThreadRead,
            (ThreadRead.thread_id == FeedbackThread.id) & (ThreadRead.person_id == viewer_id),
        )
        .where(
            FeedbackThread.course_id == course_id,
            FeedbackThread.last_author_id == FeedbackThread.student_id,
            (ThreadRead.read_at.is_(None)) | (FeedbackThread.last_message_at > ThreadRead.read_at),
        )
        .group_by(FeedbackThread.student_id)
    ).all()
    for student_id, n in unread:
        if student_id in rows:
            rows[student_id].unread = int(n)
