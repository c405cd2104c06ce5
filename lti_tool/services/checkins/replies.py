"""Closing the loop on a check-in: staff answer a response in the student's own feedback thread
(the response quoted), or mark it handled without a reply; and they nudge, with a personal
message from a snippet, the students who have not answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import (
    BulkStart,
    CheckIn,
    CheckInResponse,
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    ResponseStatus,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import audit, urgency
from lti_tool.services.checkins.service import (
    FACES,
    SCALE_KINDS,
    CheckInRefused,
    occurrence_in_course,
)
from lti_tool.services.feedback.service import check_may_write_to, post_message
from lti_tool.services.feedback.viewers import students_they_write_to, viewer_for
from lti_tool.services.snippets.bulk_run import RUNNING
from lti_tool.services.upsert import upsert

MAX_NUDGE = 500


def checkin_thread(
    session: Session, checkin: CheckIn, student_id: int, started_by: int, now: datetime
) -> FeedbackThread:
    """The student's feedback thread for this check-in, started the first time it is needed."""
    keys = {"checkin_id": checkin.id, "student_id": student_id}
    values = {
        "course_id": checkin.course_id,
        # Stored: in the words of the staff member who answers first (their reply's language).
        "title": _("Check-in: %(title)s", title=checkin.title),
        "started_by_id": started_by,
        "created_at": now,
        "last_message_at": now,
    }
    return session.get_one(FeedbackThread, upsert(session, FeedbackThread, keys, values, False))


def quoted(checkin: CheckIn, response: CheckInResponse) -> str:
    """The student's answers as a Markdown quote, to open a reply with (stored with the reply,
    so in the words of the staff member who writes it)."""
    lines = []
    for question in checkin.questions:
        value = response.answers.get(question["id"])
        if question["kind"] in SCALE_KINDS and value:
            shown = f"{FACES.get(value, '')} {_('%(value)s of 5', value=value)}".strip()
            lines.append(f"**{question['prompt']}** {shown}")
        elif question["kind"] == "text" and value:
            lines.append(f"**{question['prompt']}** {value}")
        elif question["kind"] == "talk" and value:
            lines.append(f"**{_('You asked to talk to someone.')}**")
    return "\n".join("> " + line.replace("\n", "\n> ") for line in lines)


def _response(
    session: Session, grant: CourseGrant, response_id: int
) -> tuple[CheckInResponse, CheckIn]:
    not_found = CheckInRefused(404, _("There is no such response in this course."))
    response = session.get(CheckInResponse, response_id)
    if response is None or not grant.is_staff:
        raise not_found
    try:
        checkin = occurrence_in_course(session, grant, response.occurrence_id)[1]
    except CheckInRefused:
        raise not_found from None  # the same answer as an id that never existed
    if checkin.anonymous:
        raise CheckInRefused(403, _("This check-in is anonymous: nobody can follow an answer up."))
    return response, checkin


def answer_response(
    session: Session,
    grant: CourseGrant,
    response_id: int,
    body: str,
    settings: Mapping[str, Any],
    now: datetime,
) -> FeedbackThread:
    """Reply in the student's check-in thread, their answers quoted; the response is answered."""
    response, checkin = _response(session, grant, response_id)
    viewer = viewer_for(session, grant, settings)
    check_may_write_to(session, viewer, response.student_id)
    thread = checkin_thread(session, checkin, response.student_id, grant.person_id, now)
    text = body.strip()
    message = f"{quoted(checkin, response)}\n\n{text}" if text else ""
    post_message(session, viewer, thread.id, message, now)
    response.status = ResponseStatus.ANSWERED
    response.handled_by_id = grant.person_id
    response.handled_at = now
    response.thread_id = thread.id
    session.flush()
    urgency.refresh(session, checkin.course_id, checkin.id, response.student_id)
    return thread


def handle_response(
    session: Session, grant: CourseGrant, response_id: int, now: datetime
) -> CheckInResponse:
    """Dealt with, without a reply (a conversation in person, say)."""
    response, checkin = _response(session, grant, response_id)
    if response.status is ResponseStatus.NEW:
        response.status = ResponseStatus.HANDLED
        response.handled_by_id = grant.person_id
        response.handled_at = now
        session.flush()
        urgency.refresh(session, checkin.course_id, checkin.id, response.student_id)
    return response


@dataclass(frozen=True)
class Missing:
    occurrence: Occurrence
    checkin: CheckIn
    students: list[tuple[int, str]]  # those the viewer may nudge
    others: int = 0  # not answered either, but theirs to write to is their tutor's

    @property
    def total(self) -> int:
        return len(self.students) + self.others


def non_respondents(
    session: Session, grant: CourseGrant, occurrence_id: int, settings: Mapping[str, Any]
) -> Missing:
    """The course's active students with no answer to this occurrence, by name: those this
    staff member may write to (the feedback rule), and how many others."""
    if not grant.is_staff:
        raise CheckInRefused(403, _("Only the course's staff see who has not answered."))
    occurrence, checkin = occurrence_in_course(session, grant, occurrence_id)
    if checkin.anonymous:  # who has not answered would tell who has
        return Missing(occurrence, checkin, [])
    answered = select(CheckInResponse.student_id).where(
        CheckInResponse.occurrence_id == occurrence.id
    )
    people = session.scalars(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.course_id == grant.course_id,
            Membership.role == CourseRole.STUDENT,
            Membership.active.is_(True),
            Person.id.not_in(answered),
        )
    )
    listed = sorted(((p.id, p.name_as("Student")) for p in people), key=lambda s: s[1].casefold())
    writable = students_they_write_to(session, viewer_for(session, grant, settings))
    mine = [s for s in listed if writable is None or s[0] in writable]
    return Missing(occurrence, checkin, mine, len(listed) - len(mine))


def nudge(
    session: Session,
    grant: CourseGrant,
    occurrence_id: int,
    template: str,
    student_ids: list[int],
    settings: Mapping[str, Any],
    now: datetime,
) -> BulkStart:
    """A personal message (merge fields filled) for each chosen non-respondent, in their
    check-in conversation: recorded here, written by the bulk start job in chunks (a bounded
    number of statements however many students); the caller queues it when it commits."""
    missing = non_respondents(session, grant, occurrence_id, settings)
    if missing.checkin.anonymous:
        raise CheckInRefused(403, _("This check-in is anonymous: nobody can be nudged."))
    allowed = {sid for sid, _name in missing.students}  # only those this person may write to
    chosen = [sid for sid in dict.fromkeys(student_ids) if sid in allowed][:MAX_NUDGE]
    if not chosen or not template.strip():
        raise CheckInRefused(
            400,
            _("Nothing was sent."),
            {"body": _("Choose students and write something first.")},
        )
    bulk = BulkStart(
        course_id=grant.course_id,
        started_by_id=grant.person_id,
        title=_("Check-in: %(title)s", title=missing.checkin.title),
        body=template,
        checkin_id=missing.checkin.id,
        student_ids=chosen,
        total=len(chosen),
        done=0,
        status=RUNNING,
        created_at=now,
    )
    session.add(bulk)
    session.flush()
    audit.nudged(session, grant, missing.checkin, missing.occurrence, len(chosen), now)
    return bulk
