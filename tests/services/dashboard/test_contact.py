"""The definition of personal contact, as a table of events: which count, and which do not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lti_tool.db import transaction
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    Post,
    PostKind,
    Reaction,
    Registration,
    Reply,
    ResponseStatus,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.dashboard.contact import CHECKIN_REPLY, FEEDBACK, POST_REPLY, latest_contacts
from tests.conftest import state

T0 = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


@dataclass
class People:
    course: int
    staff: int
    student: int
    other_student: int


def _people(session: Session) -> People:
    registration = Registration(
        issuer="https://lms.example.edu",
        client_id="c1",
        auth_login_url="https://lms.example.edu/auth",
        auth_token_url="https://lms.example.edu/token",
    )
    session.add(registration)
    session.flush()
    course = Course(registration_id=registration.id, context_id="c", title="Memory")
    staff, amara, ben = (
        Person(registration_id=registration.id, sub=sub, name=sub) for sub in ("t", "a", "b")
    )
    session.add_all([course, staff, amara, ben])
    session.flush()
    for person, role in (
        (staff, CourseRole.STAFF),
        (amara, CourseRole.STUDENT),
        (ben, CourseRole.STUDENT),
    ):
        session.add(Membership(course_id=course.id, person_id=person.id, role=role))
    session.flush()
    return People(course.id, staff.id, amara.id, ben.id)


def _thread(session: Session, p: People, student: int, **extra: Any) -> FeedbackThread:
    thread = FeedbackThread(course_id=p.course, student_id=student, title="Essay", **extra)
    session.add(thread)
    session.flush()
    return thread


def _message(
    session: Session, thread: FeedbackThread, author: int, at: datetime, automated: bool = False
) -> None:
    session.add(
        FeedbackMessage(
            thread_id=thread.id,
            author_id=author,
            body="x",
            body_html="x",
            created_at=at,
            automated=automated,
        )
    )
    session.flush()


def _intro(session: Session, p: People, author: int, kind: PostKind) -> Post:
    post = Post(course_id=p.course, author_id=author, kind=kind, body="Hi", body_html="Hi")
    session.add(post)
    session.flush()
    return post


def staff_message(session: Session, p: People) -> None:
    _message(session, _thread(session, p, p.student), p.staff, T0)


def staff_check_in_reply(session: Session, p: People) -> None:
    checkin = CheckIn(course_id=p.course, title="Weekly", questions=[], schedule={})
    session.add(checkin)
    session.flush()
    _message(session, _thread(session, p, p.student, checkin_id=checkin.id), p.staff, T0)


def staff_reply_under_their_introduction(session: Session, p: People) -> None:
    post = _intro(session, p, p.student, PostKind.STUDENT_INTRODUCTION)
    session.add(
        Reply(post_id=post.id, author_id=p.staff, body="Welcome", body_html="W", created_at=T0)
    )


def bulk_message_they_answered(session: Session, p: People) -> None:
    thread = _thread(session, p, p.student)
    _message(session, thread, p.staff, T0, automated=True)
    _message(session, thread, p.student, T0 + timedelta(hours=2))


def bulk_message_unanswered(session: Session, p: People) -> None:
    _message(session, _thread(session, p, p.student), p.staff, T0, automated=True)


def bulk_message_answered_before_it_was_sent(session: Session, p: People) -> None:
    thread = _thread(session, p, p.student)
    _message(session, thread, p.student, T0 - timedelta(hours=1))
    _message(session, thread, p.staff, T0, automated=True)


def their_own_message(session: Session, p: People) -> None:
    _message(session, _thread(session, p, p.student), p.student, T0)


def staff_message_to_another_student(session: Session, p: People) -> None:
    _message(session, _thread(session, p, p.other_student), p.staff, T0)


def another_student_replying_under_their_introduction(session: Session, p: People) -> None:
    post = _intro(session, p, p.student, PostKind.STUDENT_INTRODUCTION)
    session.add(
        Reply(post_id=post.id, author_id=p.other_student, body="Hi", body_html="Hi", created_at=T0)
    )


def a_hidden_staff_reply_under_their_introduction(session: Session, p: People) -> None:
    post = _intro(session, p, p.student, PostKind.STUDENT_INTRODUCTION)
    session.add(
        Reply(
            post_id=post.id, author_id=p.staff, body="x", body_html="x", created_at=T0, hidden_at=T0
        )
    )


def a_reaction_to_their_introduction(session: Session, p: People) -> None:
    post = _intro(session, p, p.student, PostKind.STUDENT_INTRODUCTION)
    session.add(Reaction(post_id=post.id, person_id=p.staff, reaction="wave", created_at=T0))


def staff_replying_to_them_under_course_news(session: Session, p: People) -> None:
    news = _intro(session, p, p.staff, PostKind.NEWS)
    session.add(Reply(post_id=news.id, author_id=p.student, body="?", body_html="?", created_at=T0))
    session.add(
        Reply(
            post_id=news.id,
            author_id=p.staff,
            body="!",
            body_html="!",
            created_at=T0 + timedelta(minutes=5),
        )
    )


def check_in_marked_handled_without_reply(session: Session, p: People) -> None:
    checkin = CheckIn(course_id=p.course, title="Weekly", questions=[], schedule={})
    session.add(checkin)
    session.flush()
    occurrence = Occurrence(checkin_id=checkin.id, number=1, opens_at=T0, closes_at=T0)
    session.add(occurrence)
    session.flush()
    session.add(
        CheckInResponse(
            occurrence_id=occurrence.id,
            student_id=p.student,
            answers={},
            status=ResponseStatus.HANDLED,
            handled_by_id=p.staff,
            handled_at=T0,
        )
    )


# event → (counts as contact?, the kind it is shown as)
EVENTS: list[tuple[Callable[[Session, People], None], str | None]] = [
    (staff_message, FEEDBACK),
    (staff_check_in_reply, CHECKIN_REPLY),
    (staff_reply_under_their_introduction, POST_REPLY),
    (bulk_message_they_answered, FEEDBACK),
    (bulk_message_unanswered, None),
    (bulk_message_answered_before_it_was_sent, None),
    (their_own_message, None),
    (staff_message_to_another_student, None),
    (another_student_replying_under_their_introduction, None),
    (a_hidden_staff_reply_under_their_introduction, None),
    (a_reaction_to_their_introduction, None),
    (staff_replying_to_them_under_course_news, None),
    (check_in_marked_handled_without_reply, None),
]


@pytest.mark.parametrize(("event", "kind"), EVENTS, ids=[e.__name__ for e, _ in EVENTS])
def test_what_counts_as_personal_contact(app, event, kind):
    with transaction(state(app).sessions) as session:
        people = _people(session)
        event(session, people)
    with transaction(state(app).sessions) as session:
        found = latest_contacts(session, people.course).get(people.student)
    if kind is None:
        assert found is None
    else:
        assert found is not None and (found.kind, found.by_id, found.at) == (kind, people.staff, T0)


def test_the_latest_contact_of_any_kind_wins(app):
    with transaction(state(app).sessions) as session:
        p = _people(session)
        _message(session, _thread(session, p, p.student), p.staff, T0)
        post = _intro(session, p, p.student, PostKind.STUDENT_INTRODUCTION)
        session.add(
            Reply(
                post_id=post.id,
                author_id=p.staff,
                body="x",
                body_html="x",
                created_at=T0 + timedelta(days=3),
            )
        )
    with transaction(state(app).sessions) as session:
        found = latest_contacts(session, p.course)[p.student]
    assert (found.kind, found.at) == (POST_REPLY, T0 + timedelta(days=3))
