"""Conversations either way: who answers a student who writes first or asks to talk, and
what waits for a staff member on their course home.

A student's words go to their personal tutor, with the "how and when to reach me" of the
tutor's profile; a student with no tutor (or whose tutor left the course's staff) writes to
the course team. On the other side, a staff member's home lists the conversations where a
student wrote last (a reply is owed) and the check-in answers that asked to talk and nobody
has dealt with yet: their tutees', and — for staff who read every thread — those of students
without a tutor.

The home counts what waits inside its one entry query (`waiting_columns`, scalar subqueries
over the students' summaries), so a home with nothing waiting costs no statement more; the
list is read only when something waits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    FeedbackThread,
    Occurrence,
    Person,
    StudentSummary,
)
from lti_tool.services.checkins.urgency import waiting_to_talk
from lti_tool.services.entry import COURSE, PERSON, Ident, visit
from lti_tool.services.feedback.viewers import Viewer
from lti_tool.services.profiles import AuthorCard
from lti_tool.services.tutors.service import tutor_card_for

LISTED = 5  # of each kind, on the home; the rest are a link away
MINE, TEAM = "mine", "team"  # whose students: the viewer's tutees, or nobody's


@dataclass(frozen=True)
class Answerer:
    """Who reads what a student writes first: their tutor, or (None) the course team."""

    tutor: AuthorCard | None

    @property
    def name(self) -> str:
        return self.tutor.name if self.tutor is not None else _("the course team")


def who_answers(session: Session, course_id: int, student_id: int) -> Answerer:
    """The student's tutor while still active staff (one query), else the course team."""
    return Answerer(tutor_card_for(session, course_id, student_id))


# -- what waits for staff ------------------------------------------------------------------
# Each student's summary keeps how many of their conversations owe them a reply and how many
# of their check-in answers ask to talk, with the oldest one's time: staff homes count and
# list along the summary's index of students with something waiting, by tutor.
S = StudentSummary
KINDS = {"owed": (S.owed, S.owed_since), "asked": (S.talk_requests, S.asked_since)}


def _waiting(course_id: Ident, whose: str, me: Ident) -> list[ColumnElement[bool]]:
    """The summaries of the viewer's tutees (MINE) or of students without a tutor (TEAM)
    with something waiting."""
    tutor = S.tutor_id == me if whose == MINE else S.tutor_id.is_(None)
    return [S.course_id == course_id, tutor, (S.owed > 0) | (S.talk_requests > 0)]


def _owed(course_id: Ident, *columns: Any) -> Select[Any]:
    """Conversations in which the student wrote last."""
    return (
        select(*(columns or (FeedbackThread.id,)))
        .select_from(FeedbackThread)
        .where(
            FeedbackThread.course_id == course_id,
            FeedbackThread.last_author_id == FeedbackThread.student_id,
        )
    )


def _asked(course_id: Ident, *columns: Any) -> Select[Any]:
    """Check-in answers asking to talk that nobody has answered or dealt with, with their
    check-in."""
    return (
        select(*columns)
        .select_from(CheckInResponse)
        .where(*waiting_to_talk(course_id))  # along triage's index
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
    )


def waiting_columns(course_id: Ident, person_id: Ident) -> list[Any]:
    """Four counts to add to the home's entry query: replies owed and requests to talk, of
    this staff member's tutees and of students without a tutor."""
    return [
        select(func.coalesce(func.sum(count), 0))
        .where(*_waiting(course_id, whose, person_id))
        .correlate(None)  # the home's query is about other tables: count apart from them
        .scalar_subquery()
        .label(f"waiting_{kind}_{whose}")
        for kind, (count, _) in KINDS.items()
        for whose in (MINE, TEAM)
    ]


@dataclass(frozen=True)
class WaitingCounts:
    owed: int  # conversations where a student wrote last
    asked: int  # students who asked to talk

    @property
    def total(self) -> int:
        return self.owed + self.asked


def waiting_counts(viewer: Viewer, row: Mapping[Any, Any]) -> WaitingCounts:
    """The counts of `waiting_columns` that are this viewer's: their tutees', and students
    without a tutor where they read every thread (the course team's)."""
    team = viewer.reads_every_thread

    def count(kind: str) -> int:
        mine = int(row[f"waiting_{kind}_{MINE}"] or 0)
        return mine + (int(row[f"waiting_{kind}_{TEAM}"] or 0) if team else 0)

    return WaitingCounts(count("owed"), count("asked"))


@dataclass(frozen=True)
class WaitingItem:
    student_name: str
    title: str
    since: datetime
    thread_id: int | None  # a conversation owed a reply
    response_id: int | None  # a check-in answer asking to talk
    my_tutee: bool


@dataclass(frozen=True)
class Waiting:
    counts: WaitingCounts
    owed: list[WaitingItem]  # the longest waiting first
    asked: list[WaitingItem]


def _read(session: Session, viewer: Viewer, kind: str) -> list[WaitingItem]:
    """The LISTED longest waiting of one kind, of the viewer's tutees and, when the viewer
    reads every thread, of students without a tutor: one statement, built once."""
    rows = session.execute(_listed(kind, viewer.reads_every_thread), visit(viewer.grant))
    return [
        WaitingItem(
            student_name=person.name_as("Student"),
            title=title,
            since=when,
            thread_id=ident if kind == "owed" else None,
            response_id=ident if kind == "asked" else None,
            my_tutee=tutor == viewer.grant.person_id,
        )
        for ident, title, when, tutor, person in rows
    ]


@cache
def _listed(kind: str, team: bool) -> Select[Any]:
    """`_read`'s statement, with the entry's bound parameters (`entry.visit`)."""
    if kind == "owed":
        ident, since, student = (
            FeedbackThread.id,
            FeedbackThread.last_message_at,
            FeedbackThread.student_id,
        )
        query = _owed(COURSE, ident, FeedbackThread.title, since)
    else:
        ident, since, student = (
            CheckInResponse.id,
            CheckInResponse.updated_at,
            CheckInResponse.student_id,
        )
        query = _asked(COURSE, ident, CheckIn.title, since)
    count, oldest = KINDS[kind]
    mine = _waiting(COURSE, MINE, PERSON)
    whose = or_(mine[1], _waiting(COURSE, TEAM, PERSON)[1]) if team else mine[1]
    # The LISTED longest waiting belong to at most LISTED students: those whose oldest waits
    # longest.
    students = (
        select(S.student_id, S.tutor_id)
        .where(mine[0], whose, mine[2], count > 0)
        .order_by(oldest, S.student_id)
        .limit(LISTED)
        .subquery("longest_waiting")
    )
    return (
        query.join(students, students.c.student_id == student)
        .join(Person, Person.id == student)
        .add_columns(students.c.tutor_id, Person)
        .order_by(since, ident)
        .limit(LISTED)
    )


def waiting_for(session: Session, viewer: Viewer, counts: WaitingCounts) -> Waiting | None:
    """What waits for this staff member, listed (two to four queries) only when the counts
    say something does; None otherwise."""
    if not viewer.grant.is_staff or counts.total == 0:
        return None
    owed = _read(session, viewer, "owed") if counts.owed else []
    asked = _read(session, viewer, "asked") if counts.asked else []
    return Waiting(counts, owed, asked)
