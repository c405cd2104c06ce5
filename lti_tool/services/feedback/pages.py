"""Reading feedback threads: the list with unread marks, one thread, and a feedback activity's
overview for staff. Each page costs the same few queries however many threads there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from lti_tool.models import (
    Course,
    FeedbackMessage,
    FeedbackThread,
    GradableActivity,
    GradeDelivery,
    Person,
    Placement,
    ThreadRead,
)
from lti_tool.models.grades import DeliveryStatus
from lti_tool.services.entry import COURSE, PERSON, Ident, visit
from lti_tool.services.feedback.service import mark_read, readable_thread
from lti_tool.services.feedback.students import QUERY_LENGTH, matches_search, tutees_of
from lti_tool.services.feedback.viewers import (
    Viewer,
    can_edit_message,
    can_grade,
    can_start_thread,
    viewer_of_kind,
)
from lti_tool.services.placements import activity_key
from lti_tool.services.profiles import AuthorCard, author_cards
from lti_tool.services.tutors.service import current_tutor_ids

PAGE_SIZE = 50
SHOWS = ("all", "unread", "mine", "waiting")


def _tutees(viewer: Viewer, course: Ident | None = None, me: Ident | None = None) -> Any:
    return FeedbackThread.student_id.in_(tutees_of(viewer, course, me))


def _visible(
    viewer: Viewer, course: Ident | None = None, me: Ident | None = None
) -> list[ColumnElement[bool]]:
    """The threads this viewer reads, as WHERE clauses (`course` and `me` stand for the
    viewer's course and id in a statement built for every viewer of their kind)."""
    grant = viewer.grant
    where = [FeedbackThread.course_id == (grant.course_id if course is None else course)]
    if grant.is_student:
        where.append(FeedbackThread.student_id == (grant.person_id if me is None else me))
    elif not grant.is_staff:
        where.append(FeedbackThread.id < 0)  # guests read none
    elif not viewer.reads_every_thread:
        where.append(_tutees(viewer, course, me))
    return where


def _unread(viewer: Viewer, me: Ident | None = None) -> ColumnElement[bool]:
    """A student has unread words from staff; staff have unread words from the student (a
    colleague's message, or a bulk start to 500 students, is not 500 things to read)."""
    if viewer.grant.is_staff:
        written = FeedbackThread.last_author_id == FeedbackThread.student_id
    else:
        me = viewer.grant.person_id if me is None else me
        written = and_(
            FeedbackThread.last_author_id.is_not(None), FeedbackThread.last_author_id != me
        )
    return and_(
        written,
        or_(ThreadRead.read_at.is_(None), FeedbackThread.last_message_at > ThreadRead.read_at),
    )


def is_unread(viewer: Viewer, thread: FeedbackThread, read_at: datetime | None) -> bool:
    """`_unread` for one thread already loaded."""
    author = thread.last_author_id
    if viewer.grant.is_staff:
        written = author is not None and author == thread.student_id
    else:
        written = author is not None and author != viewer.grant.person_id
    return written and (read_at is None or thread.last_message_at > read_at)


def _read_by_me(viewer: Viewer, me: Ident | None = None) -> ColumnElement[bool]:
    return and_(
        ThreadRead.thread_id == FeedbackThread.id,
        ThreadRead.person_id == (viewer.grant.person_id if me is None else me),
    )


def unread_count(session: Session, viewer: Viewer) -> int:
    """Threads with a message this person has not read: one query."""
    return _counted(session, viewer, _unread_count)


# The navigation's badge counts this far and then says "99+": on every page of a course of
# thousands, counting every conversation a student wrote last read thousands of rows for a
# number nobody reads exactly (the feedback list's "Unread (n)" still counts them all).
BADGE_MOST = 99


def unread_badge(session: Session, viewer: Viewer) -> int:
    """`unread_count` for the navigation's badge, on every course page: counted no further than
    BADGE_MOST + 1."""
    return _counted(session, viewer, _unread_badge)


def student_badge_column() -> ScalarSelect[Any]:
    """A student's `unread_badge` as a column of a query with the entry's bound parameters
    (`entry.visit`): their course home counts it in its one entry query."""
    return _unread_badge(False, False).scalar_subquery()


def _counted(
    session: Session, viewer: Viewer, statement: Callable[[bool, bool], Select[Any]]
) -> int:
    """A count of `statement`'s shape (prebuilt per kind of viewer) for this viewer."""
    if not (viewer.grant.is_staff or viewer.grant.is_student):
        return 0
    shape = (viewer.grant.is_staff, viewer.reads_every_thread)
    return int(session.scalar(statement(*shape), visit(viewer.grant)) or 0)


@cache
def _unread_count(staff: bool, reads_every_thread: bool) -> Select[Any]:
    """`unread_count`'s statement for a viewer of this kind, built once with the entry's bound
    parameters (`entry.visit`)."""
    return select(func.count()).select_from(_unread_threads(staff, reads_every_thread).subquery())


@cache
def _unread_badge(staff: bool, reads_every_thread: bool) -> Select[Any]:
    unread = _unread_threads(staff, reads_every_thread).limit(BADGE_MOST + 1)
    return select(func.count()).select_from(unread.subquery())


def _unread_threads(staff: bool, reads_every_thread: bool) -> Select[Any]:
    shape = viewer_of_kind(staff, reads_every_thread)  # COURSE and PERSON stand for its ids
    return (
        select(FeedbackThread.id)
        .outerjoin(ThreadRead, _read_by_me(shape, PERSON))
        .where(*_visible(shape, COURSE, PERSON), _unread(shape, PERSON))
    )


@dataclass(frozen=True)
class ThreadSummary:
    thread: FeedbackThread
    student_name: str
    activity: str | None
    unread: bool
    awaiting_reply: bool  # the student wrote last: staff owe an answer
    last_author: AuthorCard | None


@dataclass(frozen=True)
class ThreadList:
    course: Course
    threads: list[ThreadSummary]
    show: str
    page: int
    has_more: bool
    unread: int
    can_start: bool
    query: str = ""  # staff: the student searched for, by name or email


def thread_list(
    session: Session, viewer: Viewer, show: str = "all", page: int = 1, query: str = ""
) -> ThreadList:
    """A page of the viewer's conversations, latest first; staff may narrow them to a student
    by name or email (matched in SQL, so the page costs the same at any course size)."""
    course = session.get_one(Course, viewer.grant.course_id)
    show = show if show in SHOWS else "all"
    page = max(1, page)
    query = " ".join(query.split())[:QUERY_LENGTH] if viewer.grant.is_staff else ""
    where = _visible(viewer)
    if show == "unread":
        where.append(_unread(viewer))
    elif show == "mine" and viewer.grant.is_staff:
        where.append(_tutees(viewer))
    elif show == "waiting" and viewer.grant.is_staff:
        where.append(FeedbackThread.last_author_id == FeedbackThread.student_id)
    if query:
        where.append(matches_search(query))
    rows = session.execute(
        select(FeedbackThread, Person, ThreadRead.read_at, Placement.title)
        .join(Person, Person.id == FeedbackThread.student_id)
        .outerjoin(ThreadRead, _read_by_me(viewer))
        .outerjoin(Placement, Placement.id == FeedbackThread.placement_id)
        .where(*where)
        .order_by(FeedbackThread.last_message_at.desc(), FeedbackThread.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    shown = rows[:PAGE_SIZE]
    authors = {t.last_author_id for t, *_ in shown if t.last_author_id}
    cards = author_cards(session, course.id, authors)
    summaries = [
        ThreadSummary(
            thread=thread,
            student_name=student.name_as("Student"),
            activity=activity,
            unread=is_unread(viewer, thread, read_at),
            awaiting_reply=thread.last_author_id == thread.student_id,
            last_author=cards.get(thread.last_author_id or 0),
        )
        for thread, student, read_at, activity in shown
    ]
    return ThreadList(
        course=course,
        threads=summaries,
        show=show,
        page=page,
        has_more=len(rows) > PAGE_SIZE,
        unread=unread_count(session, viewer),
        can_start=can_start_thread(viewer),
        query=query,
    )


@dataclass(frozen=True)
class ShownMessage:
    message: FeedbackMessage
    author: AuthorCard
    can_edit: bool
    # Its words went with an erased person's data: the writer's, or the student's whose
    # conversation it is (services/privacy/words.py).
    removed: bool = False


@dataclass(frozen=True)
class ThreadPage:
    course: Course
    thread: FeedbackThread
    student: AuthorCard
    tutor: AuthorCard | None
    placement: Placement | None
    messages: list[ShownMessage]
    grade: FeedbackMessage | None  # the message carrying the current grade
    gradebook: DeliveryStatus | None  # staff: where the current grade is on its way
    can_grade: bool


def thread_page(session: Session, viewer: Viewer, thread_id: int, now: datetime) -> ThreadPage:
    """One conversation, oldest message first; opening it marks it read."""
    thread = readable_thread(session, viewer, thread_id)
    course = session.get_one(Course, thread.course_id)
    placement = session.get(Placement, thread.placement_id) if thread.placement_id else None
    messages = session.scalars(
        select(FeedbackMessage)
        .where(FeedbackMessage.thread_id == thread.id)
        .order_by(FeedbackMessage.created_at, FeedbackMessage.id)
    ).all()
    tutor_id = current_tutor_ids(session, course.id, [thread.student_id]).get(thread.student_id)
    people = {m.author_id for m in messages} | {thread.student_id}
    if tutor_id:
        people.add(tutor_id)
    cards = author_cards(session, course.id, people)
    graded = [m for m in messages if m.score_given is not None]
    status = None
    if viewer.grant.is_staff and placement is not None and graded:
        status = _gradebook_status(session, course.id, placement, thread.student_id)
    mark_read(session, thread.id, viewer.grant.person_id, now)
    return ThreadPage(
        course=course,
        thread=thread,
        student=cards[thread.student_id],
        tutor=cards.get(tutor_id) if tutor_id else None,
        placement=placement,
        messages=[_shown(viewer, m, cards, cards[thread.student_id].erased, now) for m in messages],
        grade=graded[-1] if graded else None,
        gradebook=status,
        can_grade=can_grade(viewer, placement),
    )


def _shown(
    viewer: Viewer,
    message: FeedbackMessage,
    cards: dict[int, AuthorCard],
    student_erased: bool,
    now: datetime,
) -> ShownMessage:
    author = cards[message.author_id]
    removed = student_erased or author.erased
    editable = not removed and can_edit_message(viewer, message, now)
    return ShownMessage(message, author, editable, removed=removed)


def _gradebook_status(
    session: Session, course_id: int, placement: Placement, student_id: int
) -> DeliveryStatus | None:
    status = session.scalar(
        select(GradeDelivery.status)
        .join(GradableActivity, GradableActivity.id == GradeDelivery.activity_id)
        .where(
            GradableActivity.course_id == course_id,
            GradableActivity.key == activity_key(placement),
            GradeDelivery.person_id == student_id,
            GradeDelivery.status != DeliveryStatus.SUPERSEDED,
        )
        .order_by(GradeDelivery.id.desc())
        .limit(1)
    )
    return DeliveryStatus(status) if status else None
