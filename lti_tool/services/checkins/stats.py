"""What a check-in's answers add up to, per occurrence: for the charts, the occurrences table
and, for anonymous check-ins, all staff ever see. Three queries whatever the course's size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import CheckIn, CheckInResponse, Membership, Occurrence, Person
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins.export import ExportRow, csv_words, responses_csv_chunks
from lti_tool.services.checkins.service import CheckInRefused, checkin_in_course

EXPORT_CHUNK = 1_000  # responses read at a time for the CSV export


@dataclass(frozen=True)
class OccurrenceRow:
    occurrence: Occurrence
    counts: dict[int, int]  # scale value → answers
    responses: int
    talk: int

    @property
    def label(self) -> str:
        return f"#{self.occurrence.number}"


@dataclass(frozen=True)
class CheckInStats:
    checkin: CheckIn
    rows: list[OccurrenceRow]
    students: int

    def opened(self, now: datetime) -> list[OccurrenceRow]:
        return [r for r in self.rows if r.occurrence.opens_at <= now]


def checkin_stats(session: Session, grant: CourseGrant, checkin_id: int) -> CheckInStats:
    if not grant.is_staff:
        raise CheckInRefused(403, _("Only the course's staff see a check-in's answers."))
    checkin = checkin_in_course(session, grant, checkin_id)
    occurrences = session.scalars(
        select(Occurrence).where(Occurrence.checkin_id == checkin.id).order_by(Occurrence.number)
    ).all()
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    responses: dict[int, int] = defaultdict(int)
    talk: dict[int, int] = defaultdict(int)
    # Counted in SQL, one row per occurrence, score and wish to talk, by the occurrences
    # already read: no join, nothing per answer comes back to Python, and the counting reads
    # the index on those three columns alone (ix_checkin_response_occurrence_id_score).
    for occurrence_id, score, wants_talk, n in session.execute(
        select(
            CheckInResponse.occurrence_id,
            CheckInResponse.score,
            CheckInResponse.wants_talk,
            func.count(),
        )
        .where(CheckInResponse.occurrence_id.in_([o.id for o in occurrences]))
        .group_by(CheckInResponse.occurrence_id, CheckInResponse.score, CheckInResponse.wants_talk)
    ).all():
        responses[occurrence_id] += int(n)
        if wants_talk:
            talk[occurrence_id] += int(n)
        if score is not None:
            by_score = counts[occurrence_id]
            by_score[int(score)] = by_score.get(int(score), 0) + int(n)
    students = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.course_id == grant.course_id,
            Membership.role == CourseRole.STUDENT,
            Membership.active.is_(True),
        )
    )
    rows = [
        OccurrenceRow(o, counts.get(o.id, {}), responses.get(o.id, 0), talk.get(o.id, 0))
        for o in occurrences
    ]
    return CheckInStats(checkin, rows, int(students or 0))


def course_checkins(session: Session, grant: CourseGrant) -> list[CheckIn]:
    if not grant.is_staff:
        raise CheckInRefused(403, _("Only the course's staff manage check-ins."))
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.course_id == grant.course_id, CheckIn.archived_at.is_(None))
            .order_by(CheckIn.created_at.desc())
        )
    )


def export_rows(
    session: Session, grant: CourseGrant, checkin_id: int
) -> tuple[CheckIn, Callable[[Session], Iterator[ExportRow]]]:
    """Every response of the check-in for the CSV export, in the order its occurrences opened:
    names only when it is not anonymous (an anonymous export is ordered by its answers, never
    by who or when).

    Who may download is decided now; the rows are read as the export is written, by the
    function returned, from the session it is given (one that lives as long as the stream, not
    the request's), in one statement that brings each answer with its student, EXPORT_CHUNK at
    a time (a server-side cursor on PostgreSQL): so no request holds every answer at once."""
    if not grant.is_staff:
        raise CheckInRefused(403, _("Only the course's staff download a check-in's answers."))
    checkin = checkin_in_course(session, grant, checkin_id)
    answered = (
        select(
            CheckInResponse.submitted_at,
            CheckInResponse.answers,
            Occurrence.number,
            Occurrence.opens_at,
        )
        .select_from(CheckInResponse)
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .where(Occurrence.checkin_id == checkin.id)
        .order_by(Occurrence.opens_at, Occurrence.id)
    )
    anonymous = checkin.anonymous
    if not anonymous:  # an anonymous export reads nobody's name, let alone writes it
        answered = answered.join(Person, Person.id == CheckInResponse.student_id).add_columns(
            Person
        )

    def rows(session: Session) -> Iterator[ExportRow]:
        # One statement, streamed: each response comes with its student, so nothing is read
        # per row and no request holds every answer at once.
        found = session.execute(answered.execution_options(yield_per=EXPORT_CHUNK))
        for submitted_at, answers, number, opens_at, *student in found:
            person = student[0] if student else None
            yield ExportRow(
                occurrence=f"#{number}",
                opens_at=opens_at,
                student_name=person.name_as("Student") if person else None,
                student_email=person.email if person else None,
                submitted_at=None if anonymous else submitted_at,
                answers=answers,
            )

    return checkin, rows


def csv_stream(
    sessions: Callable[[], Session],
    checkin: CheckIn,
    rows: Callable[[Session], Iterator[ExportRow]],
) -> Iterator[str]:
    """The export as CSV in pieces, read from a session of its own that closes when the last
    piece is sent or the download is abandoned: the request's session is gone by then."""
    questions, anonymous = checkin.questions, checkin.anonymous
    words = csv_words(questions, anonymous)  # in the reader's language, while the request lasts

    def chunks() -> Iterator[str]:
        with sessions() as session:
            yield from responses_csv_chunks(questions, rows(session), anonymous, words)

    return chunks()
