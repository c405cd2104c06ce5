"""What counts as personal contact between a student and the course team — defined once, here.

A student has had personal contact when someone on the course's staff
  - wrote to them in one of their feedback threads (a reply to a check-in is one of these), or
  - replied under their introduction in the newsfeed.
Messages sent automatically or to many students at once (a bulk start, a nudge) count only once
the student has answered in that thread: until then nobody knows a person reached them. Marking
a check-in "handled without reply", reactions, and posts to the whole course do not count.

The same conversations say how long a student has waited for a person's answer (an automatic
or bulk message answers nobody) and how long each answer took. `summary.py` keeps what these
functions find for each student in `StudentSummary`; nothing else applies the rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Integer, Select, bindparam, select
from sqlalchemy.orm import Session, aliased

from lti_tool.i18n import lazy_gettext
from lti_tool.models import FeedbackMessage, FeedbackThread, Membership, Post, PostKind, Reply
from lti_tool.models.course import CourseRole

DEFINITION = lazy_gettext(
    "Personal contact is a message from someone on the course team in the student's own "
    "feedback conversation (replies to check-ins included), or a reply under the student's "
    "introduction. Messages sent to many students at once count only once the student has "
    "answered them."
)

# The kinds of contact, as the summaries store them (in English, the same in every course);
# `KIND_LABELS` is what a page or the CSV shows, in its reader's language.
FEEDBACK = "feedback"
# i18n: not translated (keys the summaries store; KIND_LABELS shows them)
CHECKIN_REPLY = "check-in reply"
# i18n: not translated (a key, as above)
POST_REPLY = "reply to their introduction"
KIND_LABELS = {
    FEEDBACK: lazy_gettext("feedback"),
    CHECKIN_REPLY: lazy_gettext("check-in reply"),
    POST_REPLY: lazy_gettext("reply to their introduction"),
}
# What a reply under an introduction is about, as stored; shown as INTRODUCTION_LABEL.
INTRODUCTION = "Their introduction"
INTRODUCTION_LABEL = lazy_gettext("Their introduction")


@dataclass(frozen=True)
class Contact:
    student_id: int
    by_id: int
    at: datetime
    kind: str
    about: str  # the thread's or the post's title

    @property
    def kind_label(self) -> str:
        """The kind in the reader's language."""
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def about_label(self) -> str:
        """What it was about: the thread's title as written, or "Their introduction"."""
        if self.kind == POST_REPLY and self.about == INTRODUCTION:
            return str(INTRODUCTION_LABEL)
        return self.about


@dataclass(frozen=True)
class Answer:
    """A person's answer to a student: from the first of the student's unanswered messages."""

    student_id: int
    asked_at: datetime
    answered_at: datetime


@dataclass
class Conversations:
    """What a course's conversations say about some of its students."""

    contacts: dict[int, Contact]
    waiting_since: dict[int, datetime]
    answers: list[Answer]
    # The last message times of each student's conversations in which they wrote last: a
    # reply is owed (what a staff member's home counts).
    owed: dict[int, list[datetime]] = field(default_factory=dict)


# The statements below are built once (with and without a list of students) and take the
# course and the students as parameters: building them anew, aliases and all, cost a refresh
# about as much as running them.
_COURSE = bindparam("course_id", type_=Integer)
_STUDENTS: BindParameter[list[int]] = bindparam("students", expanding=True)


def _staff() -> Any:
    staff = aliased(Membership)
    return staff, (staff.course_id == _COURSE) & (staff.role == CourseRole.STAFF)


@cache
def _messages(some: bool) -> Select[Any]:
    staff, is_staff = _staff()
    query = (
        select(
            FeedbackThread.student_id,
            FeedbackThread.id,
            FeedbackThread.title,
            FeedbackThread.checkin_id,
            FeedbackMessage.id,
            FeedbackMessage.author_id,
            FeedbackMessage.created_at,
            FeedbackMessage.automated,
            staff.id.is_not(None),
            FeedbackThread.last_author_id,
            FeedbackThread.last_message_at,
        )
        .join(FeedbackMessage, FeedbackMessage.thread_id == FeedbackThread.id)
        .outerjoin(staff, is_staff & (staff.person_id == FeedbackMessage.author_id))
        .where(FeedbackThread.course_id == _COURSE)
        .order_by(FeedbackThread.id, FeedbackMessage.created_at, FeedbackMessage.id)
    )
    return query.where(FeedbackThread.student_id.in_(_STUDENTS)) if some else query


@cache
def _replies(some: bool) -> Select[int, int, int, datetime]:
    """Staff replies under students' introductions that still show."""
    staff, is_staff = _staff()
    query = (
        select(Post.author_id, Reply.id, Reply.author_id, Reply.created_at)
        .join(Post, Post.id == Reply.post_id)
        .join(staff, is_staff & (staff.person_id == Reply.author_id))
        .where(
            Post.course_id == _COURSE,
            Post.kind == PostKind.STUDENT_INTRODUCTION,
            Post.deleted_at.is_(None),
            Reply.hidden_at.is_(None),
        )
    )
    return query.where(Post.author_id.in_(_STUDENTS)) if some else query


def _thread(rows: list[Any], found: Conversations) -> Any:
    """One thread's messages, oldest first: its wait and its answers; its newest message that
    counts as contact (None when none does)."""
    student = rows[0][0]
    if rows[0][9] == student:
        found.owed.setdefault(student, []).append(rows[0][10])
    answered_by_student = max((r[6] for r in rows if r[5] == student), default=None)
    counted = [
        r
        for r in rows
        if r[8] and (not r[7] or (answered_by_student is not None and r[6] < answered_by_student))
    ]
    asked: datetime | None = None
    for r in rows:
        if r[7]:
            continue  # a bulk message or nudge answers nobody
        if r[5] == student:
            asked = asked or r[6]
        elif asked is not None:
            found.answers.append(Answer(student, asked, r[6]))
            asked = None
    if asked is not None:
        before = found.waiting_since.get(student)
        found.waiting_since[student] = asked if before is None else min(before, asked)
    return max(counted, key=lambda r: (r[6], r[4]), default=None)


def conversations(
    session: Session, course_id: int, students: Collection[int] | None = None
) -> Conversations:
    """Contacts, waits and answers of the course's students (of `students` only, when given):
    two queries, whatever their number."""
    found = Conversations({}, {}, [])
    some = students is not None
    params = {"course_id": course_id, "students": list(students or ())}
    threads: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(_messages(some), params):
        threads[row[1]].append(row)
    newest: dict[int, Any] = {}
    for rows in threads.values():
        counted = _thread(rows, found)
        known = newest.get(rows[0][0])
        if counted is not None and (
            known is None or (counted[6], counted[4]) > (known[6], known[4])
        ):
            newest[rows[0][0]] = counted
    for student, r in newest.items():
        kind = CHECKIN_REPLY if r[3] else FEEDBACK
        found.contacts[student] = Contact(student, r[5], r[6], kind, r[2])
    _add_replies(session.execute(_replies(some), params).all(), found)
    return found


def _add_replies(rows: Iterable[Any], found: Conversations) -> None:
    """A reply under their introduction wins only when it is later than any feedback."""
    newest: dict[int, Any] = {}
    for row in rows:
        known = newest.get(row[0])
        if known is None or (row[3], row[1]) > (known[3], known[1]):
            newest[row[0]] = row
    for student, row in newest.items():
        known = found.contacts.get(student)
        if known is None or row[3] > known.at:
            found.contacts[student] = Contact(student, row[2], row[3], POST_REPLY, INTRODUCTION)


def latest_contacts(
    session: Session, course_id: int, students: Collection[int] | None = None
) -> dict[int, Contact]:
    """Each student's latest personal contact, by student id."""
    return conversations(session, course_id, students).contacts
