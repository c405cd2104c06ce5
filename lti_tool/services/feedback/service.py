"""Named feedback threads: finding them and writing to them (who may do what: `viewers`;
editing a message sent: `editing`).

A thread is private to one student and the course's staff. Every message is signed by the
person who wrote it. Ids from another course, or of another student's thread, are "not
found" — never a hint that they exist.

A staff message may carry a grade for the thread's activity (a placed "Feedback activity");
it goes to the LMS gradebook through the grades service's durable queue (AGS 2.0 §3.4).
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import _, lazy_gettext, ngettext, number
from lti_tool.models import (
    Course,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Person,
    Placement,
    ThreadRead,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.archive.rules import READ_ONLY
from lti_tool.services.feedback import audit
from lti_tool.services.feedback.viewers import (
    Viewer,
    can_grade,
    can_read_thread,
    can_start_thread,
)
from lti_tool.services.grades.service import ActivitySpec, InvalidScore, record_score
from lti_tool.services.markup import render_markdown
from lti_tool.services.notifications import outbox as notifications
from lti_tool.services.placements import activity_key
from lti_tool.services.refusals import Refused
from lti_tool.services.tutors.service import current_tutor_ids
from lti_tool.services.upsert import upsert

FEEDBACK_KIND = "feedback"
MAX_TITLE = 200
MAX_MESSAGE = 10_000


class FeedbackRefused(Refused):
    """A refusal about feedback (see Refused)."""


STARTING_REFUSED = lazy_gettext(
    "Only the course's staff start conversations here; answer in a conversation they start."
)


def not_found() -> FeedbackRefused:
    return FeedbackRefused(404, _("There is no such conversation in this course."))


# -- finding threads --------------------------------------------------------------------------


def readable_thread(session: Session, viewer: Viewer, thread_id: int) -> FeedbackThread:
    """The thread, if this viewer may read it; otherwise 404, whatever the reason."""
    thread = session.get(FeedbackThread, thread_id)
    if thread is None or thread.course_id != viewer.grant.course_id:
        raise not_found()
    tutor = None
    if viewer.grant.is_staff and not viewer.reads_every_thread:
        tutor = current_tutor_ids(session, thread.course_id, [thread.student_id]).get(
            thread.student_id
        )
    if not can_read_thread(viewer, thread, tutor):
        raise not_found()
    return thread


def feedback_placement(session: Session, course_id: int, placement_id: int | None) -> Placement:
    placement = session.get(Placement, placement_id) if placement_id else None
    if placement is None or placement.course_id != course_id or placement.kind != FEEDBACK_KIND:
        raise FeedbackRefused(404, _("There is no such feedback activity in this course."))
    return placement


def active_student(session: Session, course_id: int, person_id: int) -> Person:
    """A student on this course's roster (launched or not); 404 for anyone else."""
    person = session.scalar(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.course_id == course_id,
            Membership.person_id == person_id,
            Membership.role == CourseRole.STUDENT,
            Membership.active.is_(True),
        )
    )
    if person is None:
        raise FeedbackRefused(404, _("There is no such student in this course."))
    return person


def check_may_write_to(session: Session, viewer: Viewer, student_id: int) -> None:
    """Staff who would not read the thread do not start it (a course where only the tutor and
    instructors read a student's feedback)."""
    if not viewer.grant.is_staff or viewer.reads_every_thread:
        return
    tutor = current_tutor_ids(session, viewer.grant.course_id, [student_id]).get(student_id)
    if tutor != viewer.grant.person_id:
        raise FeedbackRefused(
            403,
            _("In this course, only a student's tutor and the instructors write to them."),
        )


def refuse_if_erased(session: Session, thread: FeedbackThread) -> None:
    """The conversation of a student whose data was erased keeps its shape and takes no more
    words (services/privacy)."""
    student = session.get(Person, thread.student_id)
    if student is not None and student.erased_at is not None:
        raise FeedbackRefused(403, _("This student's data was erased: write to them no more here."))


# -- writing ----------------------------------------------------------------------------------


def clean_body(body: str, required: bool) -> str:
    """The words of a message as stored; FeedbackRefused when they are too long, or empty
    where words are `required` (a message that gives a grade may say nothing more)."""
    text = body.replace("\r\n", "\n").strip()
    if required and not text:
        raise FeedbackRefused(400, _("Nothing was sent."), {"body": _("Write something first.")})
    if len(text) > MAX_MESSAGE:
        too_long = ngettext(
            "A message can be at most %(most)s character (%(now)s now).",
            "A message can be at most %(most)s characters (%(now)s now).",
            MAX_MESSAGE,
            most=number(MAX_MESSAGE),
            now=number(len(text)),
        )
        raise FeedbackRefused(400, _("Nothing was sent."), {"body": too_long})
    return text


def _clean_title(title: str) -> str:
    text = " ".join(title.split())
    if not text:
        raise FeedbackRefused(
            400, _("Nothing was sent."), {"title": _("Give the conversation a title.")}
        )
    if len(text) > MAX_TITLE:
        too_long = ngettext(
            "A title can be at most %(num)d character.",
            "A title can be at most %(num)d characters.",
            MAX_TITLE,
        )
        raise FeedbackRefused(400, _("Nothing was sent."), {"title": too_long})
    return text


def thread_for_activity(
    session: Session,
    viewer: Viewer,
    placement_id: int,
    student_id: int,
    now: datetime,
    start: bool = True,
) -> FeedbackThread:
    """The student's thread for a feedback activity, started (empty) the first time it is
    opened — by the student, or by staff about to write in it; without `start` (a course read
    only for its students) only one that exists, else refused."""
    placement = feedback_placement(session, viewer.grant.course_id, placement_id)
    if viewer.grant.is_student and student_id != viewer.grant.person_id:
        raise not_found()
    if not (viewer.grant.is_student or viewer.grant.is_staff):
        raise FeedbackRefused(
            403, _("Feedback activities are for the course's students and staff.")
        )
    student = active_student(session, viewer.grant.course_id, student_id)
    check_may_write_to(session, viewer, student.id)
    existing = session.scalar(
        select(FeedbackThread).where(
            FeedbackThread.placement_id == placement.id, FeedbackThread.student_id == student.id
        )
    )
    if existing is None and not start:
        raise FeedbackRefused(403, READ_ONLY)
    if existing is None:
        keys = {"placement_id": placement.id, "student_id": student.id}
        values = {
            "course_id": viewer.grant.course_id,
            "title": placement.title,
            "started_by_id": viewer.grant.person_id,
            "created_at": now,
            "last_message_at": now,
        }
        thread_id = upsert(session, FeedbackThread, keys, values, update=False)
        existing = session.get_one(FeedbackThread, thread_id)
    return readable_thread(session, viewer, existing.id)


def start_thread(
    session: Session,
    viewer: Viewer,
    student_id: int,
    title: str,
    body: str,
    now: datetime,
    placement_id: int | None = None,
) -> FeedbackThread:
    """Staff open a conversation with a student on the roster (who may never have launched
    Rapport: they find it on their first launch); a student opens one of their own, which
    their tutor (or, without one, the course team) reads as any other of theirs."""
    if not can_start_thread(viewer):
        raise FeedbackRefused(403, STARTING_REFUSED)
    if viewer.grant.is_student and student_id != viewer.grant.person_id:
        raise not_found()  # a student writes first only in a thread of their own
    if placement_id and viewer.grant.is_staff:
        thread = thread_for_activity(session, viewer, placement_id, student_id, now)
    else:
        student = active_student(session, viewer.grant.course_id, student_id)
        check_may_write_to(session, viewer, student.id)
        thread = FeedbackThread(
            course_id=viewer.grant.course_id,
            student_id=student.id,
            title=_clean_title(title),
            started_by_id=viewer.grant.person_id,
            created_at=now,
            last_message_at=now,
        )
        session.add(thread)
        session.flush()
    first = thread.last_author_id is None  # an activity's thread may exist, still empty
    post_message(session, viewer, thread.id, body, now)
    if first and viewer.grant.is_staff:  # a student's own words stay out of the staff's log
        audit.thread_started(session, viewer.grant, thread, now)
    return thread


def parse_grade(raw: str | None, placement: Placement) -> float | None:
    """The grade typed, or None when none was; FeedbackRefused when it is not one."""
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return None
    maximum = placement.score_maximum or 0.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= maximum:
        raise FeedbackRefused(
            400,
            _("Nothing was sent."),
            {"grade": _("Give a grade from 0 to %(maximum)s.", maximum=number(maximum))},
        )
    return value


def post_message(
    session: Session,
    viewer: Viewer,
    thread_id: int,
    body: str,
    now: datetime,
    grade: str | None = None,
) -> FeedbackMessage:
    """Add a message; a staff message may carry a grade, queued for the LMS gradebook."""
    thread = readable_thread(session, viewer, thread_id)
    refuse_if_erased(session, thread)
    placement = session.get(Placement, thread.placement_id) if thread.placement_id else None
    score = None
    if grade not in (None, ""):
        if not can_grade(viewer, placement):
            raise FeedbackRefused(403, _("This conversation takes no grade from you."))
        assert placement is not None
        score = parse_grade(grade, placement)
    text = clean_body(body, required=score is None)
    message = FeedbackMessage(
        thread_id=thread.id,
        author_id=viewer.grant.person_id,
        body=text,
        body_html=render_markdown(text) if text else "",
        created_at=now,
        score_given=score,
        score_maximum=placement.score_maximum if score is not None and placement else None,
    )
    session.add(message)
    thread.last_message_at = now
    thread.last_author_id = viewer.grant.person_id
    if score is not None and placement is not None:
        send_grade(session, thread, placement, score, text, now)
        audit.graded(session, viewer.grant, thread, placement, score, now)
    session.flush()
    mark_read(session, thread.id, viewer.grant.person_id, now)
    notifications.message_written(session, thread, message)
    return message


def send_grade(
    session: Session,
    thread: FeedbackThread,
    placement: Placement,
    score: float,
    comment: str,
    now: datetime,
) -> None:
    """Queue the grade with the message it came with, which the gradebook shows beside it."""
    course = session.get_one(Course, thread.course_id)
    student = session.get_one(Person, thread.student_id)
    assert placement.score_maximum is not None
    spec = ActivitySpec(
        activity_key(placement), placement.title, placement.score_maximum, tag=FEEDBACK_KIND
    )
    try:
        record_score(session, course, spec, student, score, comment=comment, now=now)
    except InvalidScore as refused:
        raise FeedbackRefused(400, _("Nothing was sent."), {"grade": str(refused)}) from refused


def mark_read(session: Session, thread_id: int, person_id: int, now: datetime) -> None:
    """The person has seen the thread as it is now."""
    keys = {"thread_id": thread_id, "person_id": person_id}
    upsert(session, ThreadRead, keys, {"read_at": now})
