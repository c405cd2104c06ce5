"""Check-ins: staff create them; students answer the open ones in under a minute and may change
their answer until it closes; participation can be graded back to the LMS (AGS 2.0 §3.4).

Who may do what is decided here, for the grant of *this* course: staff create, triage and
answer; students answer their own; mentors and other guests see none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from lti_tool.db import UTCDateTime
from lti_tool.i18n import _, number
from lti_tool.models import CheckIn, CheckInResponse, Course, Occurrence, Person
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import audit, urgency
from lti_tool.services.checkins.schedule import Schedule, occurrences
from lti_tool.services.checkins.words import stored_talk_prompt
from lti_tool.services.entry import COURSE, PERSON, visit
from lti_tool.services.grades.service import ActivitySpec, record_score
from lti_tool.services.refusals import Refused
from lti_tool.services.upsert import upsert

KINDS = ("scale", "faces", "text", "talk")
SCALE_KINDS = ("scale", "faces")
FACES = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}
MAX_TITLE = 200
MAX_PROMPT = 300
MAX_LABEL = 60
MAX_TEXT_ANSWER = 2_000
MAX_POINTS = 1_000.0


class CheckInRefused(Refused):
    """A refusal about check-ins (see Refused)."""


def can_manage_checkins(grant: CourseGrant) -> bool:
    return grant.is_staff


def can_answer_checkins(grant: CourseGrant) -> bool:
    return grant.is_student


def _staff_only(grant: CourseGrant) -> None:
    if not can_manage_checkins(grant):
        raise CheckInRefused(403, _("Only the course's staff manage check-ins."))


@dataclass(frozen=True)
class CheckInForm:
    title: str
    scale_prompt: str = ""
    scale_style: str = "scale"  # or "faces"
    low_label: str = ""
    high_label: str = ""
    text_prompt: str = ""
    talk: bool = True
    anonymous: bool = False
    graded: bool = False
    points: str = ""


def questions_from(form: CheckInForm, errors: dict[str, str]) -> list[dict[str, Any]]:
    """The questions a form asks for, in the order students see them."""
    questions: list[dict[str, Any]] = []
    scale = " ".join(form.scale_prompt.split())
    if scale:
        kind = form.scale_style if form.scale_style in SCALE_KINDS else "scale"
        # Left empty, in the words of whoever creates it (like everything else they type).
        low = " ".join(form.low_label.split())[:MAX_LABEL] or _("Not at all")
        high = " ".join(form.high_label.split())[:MAX_LABEL] or _("Very")
        questions.append(
            {"id": "scale", "kind": kind, "prompt": scale[:MAX_PROMPT], "low": low, "high": high}
        )
    text = " ".join(form.text_prompt.split())
    if text:
        questions.append({"id": "text", "kind": "text", "prompt": text[:MAX_PROMPT]})
    if form.talk and not form.anonymous:  # nobody could follow an anonymous request up
        # Rapport's words, stored in English: pages show them in their reader's (`words`).
        questions.append({"id": "talk", "kind": "talk", "prompt": stored_talk_prompt()})
    if not questions:
        errors["scale_prompt"] = _("Ask at least one question.")
    return questions


def _checked(form: CheckInForm) -> tuple[str, list[dict[str, Any]], float | None, dict[str, str]]:
    errors: dict[str, str] = {}
    title = " ".join(form.title.split())
    if not title or len(title) > MAX_TITLE:
        errors["title"] = _(
            "Give the check-in a title of at most %(most)d characters.", most=MAX_TITLE
        )
    questions = questions_from(form, errors)
    points = None
    if form.graded:
        try:
            points = float(form.points.replace(",", "."))
        except ValueError:
            points = None
        if points is None or not 0 < points <= MAX_POINTS:
            errors["points"] = _(
                "Give the points, more than 0 and at most %(most)s.", most=format(MAX_POINTS, "g")
            )
    return title, questions, points, errors


def form_errors(form: CheckInForm) -> dict[str, str]:
    """What is wrong with the form's title, questions and grading (the schedule aside)."""
    return _checked(form)[3]


def create_checkin(
    session: Session, grant: CourseGrant, form: CheckInForm, schedule: Schedule, now: datetime
) -> CheckIn:
    _staff_only(grant)
    title, questions, points, errors = _checked(form)
    if errors:
        raise CheckInRefused(400, _("The check-in was not saved."), errors)
    checkin = CheckIn(
        course_id=grant.course_id,
        title=title,
        questions=questions,
        schedule=schedule.as_json(),
        anonymous=form.anonymous,
        graded=form.graded,
        points=points,
        created_by_id=grant.person_id,
        created_at=now,
    )
    session.add(checkin)
    session.flush()
    times = occurrences(schedule)
    for nth, (opens, closes) in enumerate(times, start=1):
        session.add(Occurrence(checkin_id=checkin.id, number=nth, opens_at=opens, closes_at=closes))
    session.flush()
    audit.checkin_created(session, grant, checkin, [opens for opens, _closes in times], now)
    return checkin


def checkin_in_course(session: Session, grant: CourseGrant, checkin_id: int) -> CheckIn:
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None or checkin.course_id != grant.course_id:
        raise CheckInRefused(404, _("There is no such check-in in this course."))
    return checkin


def occurrence_in_course(
    session: Session, grant: CourseGrant, occurrence_id: int
) -> tuple[Occurrence, CheckIn]:
    occurrence = session.get(Occurrence, occurrence_id)
    checkin = session.get(CheckIn, occurrence.checkin_id) if occurrence else None
    if occurrence is None or checkin is None or checkin.course_id != grant.course_id:
        raise CheckInRefused(404, _("There is no such check-in in this course."))
    return occurrence, checkin


# -- students ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenCheckIn:
    occurrence: Occurrence
    checkin: CheckIn
    response: CheckInResponse | None


def _open_for_student() -> Select[Occurrence, CheckIn, CheckInResponse]:
    """`open_for_student`'s query, built once with the course, the student (the entry's COURSE
    and PERSON) and the time as parameters: the course home runs it on every visit."""
    now = bindparam("open_now", type_=UTCDateTime)
    return (
        select(Occurrence, CheckIn, CheckInResponse)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .outerjoin(
            CheckInResponse,
            (CheckInResponse.occurrence_id == Occurrence.id)
            & (CheckInResponse.student_id == PERSON),
        )
        .where(
            CheckIn.course_id == COURSE,
            CheckIn.archived_at.is_(None),
            Occurrence.opens_at <= now,
            Occurrence.closes_at > now,
        )
        .order_by(Occurrence.closes_at)
    )


_OPEN_FOR_STUDENT = _open_for_student()


def open_for_student(session: Session, grant: CourseGrant, now: datetime) -> list[OpenCheckIn]:
    """The student's open check-ins, with their answer so far: one query."""
    if not can_answer_checkins(grant):
        return []
    rows = session.execute(_OPEN_FOR_STUDENT, {**visit(grant), "open_now": now}).all()
    return [OpenCheckIn(o, c, r) for o, c, r in rows]


def parse_answers(questions: list[dict[str, Any]], form: Mapping[str, str]) -> dict[str, Any]:
    """The answers a form sent, question by question; Refused(400) naming what to fix."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        key, kind = question["id"], question["kind"]
        raw = (form.get(key) or "").strip()
        if kind in SCALE_KINDS:
            if raw not in {"1", "2", "3", "4", "5"}:
                errors[key] = _("Choose one of the five answers.")
            else:
                answers[key] = int(raw)
        elif kind == "text":
            if len(raw) > MAX_TEXT_ANSWER:
                errors[key] = _(
                    "At most %(most)s characters, please.", most=number(MAX_TEXT_ANSWER)
                )
            answers[key] = raw
        elif kind == "talk":
            answers[key] = raw == "yes"
    if errors:
        raise CheckInRefused(400, _("Your answer was not saved."), errors)
    return answers


def answer(
    session: Session,
    grant: CourseGrant,
    occurrence_id: int,
    form: Mapping[str, str],
    now: datetime,
) -> CheckInResponse:
    """Save the student's answer; answering again replaces it until the check-in closes."""
    if not can_answer_checkins(grant):
        raise CheckInRefused(403, _("Check-ins are answered by the course's students."))
    occurrence, checkin = occurrence_in_course(session, grant, occurrence_id)
    if now < occurrence.opens_at:
        raise CheckInRefused(403, _("This check-in has not opened yet."))
    if now >= occurrence.closes_at:
        raise CheckInRefused(403, _("This check-in has closed; your last answer stands."))
    answers = parse_answers(checkin.questions, form)
    score = next((answers[q["id"]] for q in checkin.questions if q["kind"] in SCALE_KINDS), None)
    talk = bool(answers.get("talk"))
    keys = {"occurrence_id": occurrence.id, "student_id": grant.person_id}
    values = {"answers": answers, "score": score, "wants_talk": talk, "updated_at": now}
    existing = session.scalar(
        select(CheckInResponse).where(
            CheckInResponse.occurrence_id == occurrence.id,
            CheckInResponse.student_id == grant.person_id,
        )
    )
    first_time = existing is None
    response_id = upsert(
        session, CheckInResponse, keys, {**values, "submitted_at": now} if first_time else values
    )
    # Its place in triage, and that of the student's next answer (whose drop it measures).
    urgency.refresh(session, checkin.course_id, checkin.id, grant.person_id)
    response = session.get_one(CheckInResponse, response_id)
    session.refresh(response)
    if first_time and checkin.graded and checkin.points:
        _grade_participation(session, checkin, grant.person_id, now)
    return response


def _grade_participation(
    session: Session, checkin: CheckIn, student_id: int, now: datetime
) -> None:
    """Points in proportion to the occurrences answered so far, out of all of them."""
    total = session.scalar(
        select(func.count()).select_from(Occurrence).where(Occurrence.checkin_id == checkin.id)
    )
    answered = session.scalar(
        select(func.count())
        .select_from(CheckInResponse)
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .where(Occurrence.checkin_id == checkin.id, CheckInResponse.student_id == student_id)
    )
    assert checkin.points is not None
    score = round(checkin.points * int(answered or 0) / max(1, int(total or 1)), 2)
    spec = ActivitySpec(activity_key(checkin), checkin.title, checkin.points, tag="checkin")
    course = session.get_one(Course, checkin.course_id)
    record_score(session, course, spec, session.get_one(Person, student_id), score, now=now)


def activity_key(checkin: CheckIn) -> str:
    return f"checkin:{checkin.id}"


@dataclass(frozen=True)
class HistoryEntry:
    occurrence: Occurrence
    checkin: CheckIn
    response: CheckInResponse


def student_history(session: Session, grant: CourseGrant) -> list[HistoryEntry]:
    """The student's own answers, newest first, with whether staff answered them."""
    if not can_answer_checkins(grant):
        raise CheckInRefused(403, _("Only students have a check-in history."))
    rows = session.execute(
        select(CheckInResponse, Occurrence, CheckIn)
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(CheckIn.course_id == grant.course_id, CheckInResponse.student_id == grant.person_id)
        .order_by(Occurrence.opens_at.desc())
    ).all()
    return [HistoryEntry(o, c, r) for r, o, c in rows]
