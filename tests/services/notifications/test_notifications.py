"""The notifications service without Flask: what is recorded for whom and when, the outbox's
one-row-per-event rule, how the sender coalesces, retries, skips and never sends twice, the
mail's words, and the signed unsubscribe."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import transaction
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    CourseSetting,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Notification,
    NotificationMode,
    NotificationStatus,
    Occurrence,
    Person,
    Post,
    PostKind,
    Registration,
    Reply,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.notifications import outbox
from lti_tool.services.notifications.compose import compose
from lti_tool.services.notifications.mailer import Mailer, MailFailed, SmtpServer
from lti_tool.services.notifications.preferences import (
    people_without_email,
    read_unsubscribe_token,
    set_mode,
    unsubscribe_token,
)
from lti_tool.services.notifications.sender import LEASE, MAX_ATTEMPTS, NotificationSender
from lti_tool.services.notifications.settings import QUOTE
from tests.conftest import state
from tests.mailbox import Mailbox, html_of, mailbox, text_of
from tests.services.test_course_settings import statements

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class World:
    sessions: sessionmaker[Session]
    course: int
    staff: int
    student: int
    other: int  # a second student, with no email address

    def session(self) -> Any:
        return transaction(self.sessions)


@pytest.fixture
def world(app: Any) -> World:
    sessions = sessionmaker(bind=state(app).engine, expire_on_commit=False)
    outbox.enable(sessions)
    with transaction(sessions) as session:
        lms = Registration(
            issuer="https://lms.example.edu",
            client_id="c1",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
        )
        session.add(lms)
        session.flush()
        course = Course(registration_id=lms.id, context_id="c1", title="Poetry",
                        lms_url="https://lms.example.edu/course/7")  # fmt: skip
        people = [
            Person(registration_id=lms.id, sub="t", name="Margaret Chen", email="m@example.edu"),
            Person(registration_id=lms.id, sub="s", name="Amara Okafor", email="a@example.edu"),
            Person(registration_id=lms.id, sub="o", name="Ben Lee"),
        ]
        session.add_all([course, *people])
        session.flush()
        roles = [CourseRole.STAFF, CourseRole.STUDENT, CourseRole.STUDENT]
        session.add_all(
            Membership(course_id=course.id, person_id=p.id, role=r)
            for p, r in zip(people, roles, strict=True)
        )
        return World(sessions, course.id, *(p.id for p in people))


def thread_with_message(world: World, author: int, body: str, now: datetime = T0) -> int:
    with world.session() as session:
        thread = FeedbackThread(course_id=world.course, student_id=world.student,
                                title="Your essay", created_at=now, last_message_at=now,
                                last_author_id=author)  # fmt: skip
        session.add(thread)
        session.flush()
        message = FeedbackMessage(thread_id=thread.id, author_id=author, body=body,
                                  body_html=body, created_at=now)  # fmt: skip
        session.add(message)
        session.flush()
        outbox.message_written(session, thread, message)
        return thread.id


def rows(world: World) -> list[Notification]:
    with world.session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


class FakeMailer(Mailer):
    """A mailer that keeps what it is given, or fails as told."""

    def __init__(self) -> None:
        super().__init__(SmtpServer("127.0.0.1", 25), "Rapport <r@example.edu>")
        self.sent: list[EmailMessage] = []
        self.failure: MailFailed | None = None

    def send(self, message: EmailMessage) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)


def sender(world: World, mailer: Mailer) -> NotificationSender:
    return NotificationSender(
        world.sessions, mailer, "rapport.example.edu", lambda p, c: f"https://r/u/{p}-{c}"
    )


# -- what is recorded -------------------------------------------------------------------------
def test_an_event_recorded_twice_is_one_row(world):
    event = outbox.Event("message:1:2", world.student, world.staff, outbox.MESSAGE, None)
    for _ in range(2):
        with world.session() as session:
            outbox.record(session, world.course, [event], T0)
    assert len(rows(world)) == 1


def test_nothing_is_recorded_by_an_app_without_email(world, app):
    with transaction(state(app).sessions) as session:  # the app's sessions: no SMTP_URL
        event = outbox.Event("message:1:2", world.student, world.staff, outbox.MESSAGE, None)
        assert outbox.record(session, world.course, [event], T0) == 0
    assert rows(world) == []


def test_students_hear_within_minutes_daily_at_seven_in_the_course_zone_or_not_at_all(world):
    thread_with_message(world, world.staff, "Hello.")
    [row] = rows(world)
    assert (row.recipient_id, row.kind, row.due_at) == (
        world.student,
        "message",
        T0 + outbox.COALESCE,
    )
    with world.session() as session:
        session.add(CourseSetting(course_id=world.course, key="course.time_zone",
                                  value="America/New_York"))  # fmt: skip
        set_mode(session, world.course, world.student, NotificationMode.DAILY, T0)
    thread_with_message(world, world.staff, "Again.")
    # 12:00 UTC is 07:00 in New York that day: the next daily mail is the next day's.
    assert rows(world)[1].due_at == datetime(2027, 3, 2, 12, 0, tzinfo=UTC)
    with world.session() as session:
        set_mode(session, world.course, world.student, NotificationMode.OFF, T0)
    thread_with_message(world, world.staff, "And again.")
    assert len(rows(world)) == 2


def test_a_students_message_reaches_their_tutor_only_when_the_tutor_asked_for_it_at_once(world):
    with world.session() as session:
        session.add(TutorAllocation(course_id=world.course, student_id=world.student,
                                    tutor_id=world.staff))  # fmt: skip
    thread_with_message(world, world.student, "Can we talk?")
    assert rows(world) == []  # staff's default: the daily digest covers it
    with world.session() as session:
        set_mode(session, world.course, world.staff, NotificationMode.IMMEDIATE, T0)
    thread_with_message(world, world.student, "Can we talk?")
    [row] = rows(world)
    assert (row.recipient_id, row.kind) == (world.staff, outbox.STUDENT_MESSAGE)


def test_a_check_in_opening_is_announced_once_to_the_courses_students(world):
    with world.session() as session:
        checkin = CheckIn(course_id=world.course, title="Week 1", questions=[], schedule={},
                          created_by_id=world.staff)  # fmt: skip
        session.add(checkin)
        session.flush()
        session.add(Occurrence(checkin_id=checkin.id, number=1, opens_at=T0,
                               closes_at=T0 + timedelta(days=3)))  # fmt: skip
    for minute in range(3):
        with world.session() as session:
            outbox.announce_openings(session, T0 + timedelta(minutes=minute))
    assert sorted((r.recipient_id, r.kind) for r in rows(world)) == [
        (world.student, outbox.CHECKIN_OPEN),
        (world.other, outbox.CHECKIN_OPEN),
    ]


# -- sending ----------------------------------------------------------------------------------
@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with mailbox() as box:
        yield box


def test_rows_coming_due_within_the_window_leave_as_one_mail_and_only_once(world, smtp):
    real = sender(world, Mailer(SmtpServer.from_url(smtp.url), "Rapport <r@example.edu>"))
    thread_with_message(world, world.staff, "One.")
    thread_with_message(world, world.staff, "Two.", T0 + timedelta(minutes=2))
    assert real.deliver_due(T0 + timedelta(minutes=2)) == 0  # not due yet
    assert real.deliver_due(T0 + outbox.COALESCE) == 1
    assert real.deliver_due(T0 + timedelta(hours=1)) == 0
    [mail] = smtp.take()
    assert mail["Subject"] == "2 updates in Poetry"
    assert smtp.envelopes == [("r@example.edu", ["a@example.edu"])]
    assert {r.status for r in rows(world)} == {NotificationStatus.SENT}


def test_a_claim_held_by_a_live_worker_is_left_alone_and_a_dead_workers_is_sent_again(world):
    """The documented window: a worker that dies between the server accepting the mail and
    marking it sent leaves a claim; once the lease runs out the mail goes again."""
    mailer = FakeMailer()
    thread_with_message(world, world.staff, "One.")
    due = T0 + outbox.COALESCE
    with world.session() as session:
        session.execute(update(Notification).values(status="sending", claimed_at=due))
    assert sender(world, mailer).deliver_due(due + timedelta(minutes=1)) == 0
    assert sender(world, mailer).deliver_due(due + LEASE + timedelta(seconds=1)) == 1
    assert len(mailer.sent) == 1


def test_a_failed_send_is_retried_later_and_given_up_after_the_last_attempt(world):
    mailer = FakeMailer()
    mailer.failure = MailFailed("421 busy", final=False)
    thread_with_message(world, world.staff, "One.")
    now = T0 + outbox.COALESCE
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert sender(world, mailer).deliver_due(now) == 0
        [row] = rows(world)
        assert row.attempts == attempt
        now = row.due_at if row.status is NotificationStatus.WAITING else now
    assert (row.status, row.last_error) == (NotificationStatus.FAILED, "421 busy")
    assert rows(world)[0].due_at - T0 > timedelta(hours=6)  # the pauses grew


def test_an_address_the_server_refuses_for_good_is_not_asked_again(world):
    mailer = FakeMailer()
    mailer.failure = MailFailed("refused: [550]", final=True)
    thread_with_message(world, world.staff, "One.")
    sender(world, mailer).deliver_due(T0 + outbox.COALESCE)
    assert rows(world)[0].status is NotificationStatus.FAILED


def test_no_mail_for_someone_who_turned_it_off_since_or_has_no_address(world):
    mailer = FakeMailer()
    thread_with_message(world, world.staff, "One.")
    with world.session() as session:
        set_mode(session, world.course, world.student, NotificationMode.OFF, T0)
        outbox.record(session, world.course, [outbox.Event("x", world.other, world.staff,
                                                           outbox.MESSAGE, None)], T0)  # fmt: skip
    sender(world, mailer).deliver_due(T0 + outbox.COALESCE)
    assert mailer.sent == []
    assert [(r.status, r.last_error) for r in rows(world)] == [
        (NotificationStatus.SKIPPED, "turned off"),
        (NotificationStatus.SKIPPED, "no email address from the LMS"),
    ]
    with world.session() as session:
        assert people_without_email(session, world.course).names == ["Ben Lee"]


# -- the mail ---------------------------------------------------------------------------------
def _mail(world: World, quote: bool) -> EmailMessage:
    thread_with_message(world, world.staff, "Look at <img src=x onerror=alert(1)> this.")
    with world.session() as session:
        if quote:
            session.add(CourseSetting(course_id=world.course, key=QUOTE, value=True))
            session.flush()
        person = session.get_one(Person, world.student)
        mail = compose(session, rows(world), person, "https://r/u/1")
        assert mail is not None
        return mail.message("Rapport <r@example.edu>", "rapport.example.edu")


def test_the_mail_names_the_writer_and_the_course_and_links_into_the_lms(world):
    message = _mail(world, quote=False)
    assert message["Subject"] == "Margaret Chen wrote to you in Poetry"
    assert message["List-Unsubscribe"] == "<https://r/u/1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://lms.example.edu/course/7" in text_of(message)
    assert "img" not in text_of(message) and "img" not in html_of(message)


def test_a_quoted_message_is_escaped_in_the_html(world):
    message = _mail(world, quote=True)
    assert "<img" not in html_of(message)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_of(message)
    assert "Look at <img src=x onerror=alert(1)> this." in text_of(message)


def test_the_digest_lists_who_asked_to_talk_and_who_waits_longest_first_or_is_not_sent(world):
    digest = outbox.Event("digest", world.staff, None, outbox.DIGEST, None)
    with world.session() as session:
        outbox.record(session, world.course, [digest], T0, due=T0)
    with world.session() as session:
        staff = session.get_one(Person, world.staff)
        assert compose(session, rows(world), staff, "u") is None  # a quiet day
    thread_with_message(world, world.student, "Late one.", T0 + timedelta(hours=1))
    with world.session() as session:
        session.add(FeedbackThread(course_id=world.course, student_id=world.other, title="Early",
                                   last_message_at=T0, last_author_id=world.other))  # fmt: skip
        checkin = CheckIn(course_id=world.course, title="Week 1", questions=[], schedule={})
        session.add(checkin)
        session.flush()
        occurrence = Occurrence(checkin_id=checkin.id, number=1, opens_at=T0, closes_at=T0)
        session.add(occurrence)
        session.flush()
        session.add(CheckInResponse(occurrence_id=occurrence.id, student_id=world.student,
                                    answers={}, wants_talk=True))  # fmt: skip
        session.flush()
        mail = compose(session, rows(world), session.get_one(Person, world.staff), "u")
    assert mail is not None and mail.digest is not None
    assert mail.subject == "Your day in Poetry"
    assert mail.digest.talk == ["Amara Okafor"]
    assert [name for name, _, _ in mail.digest.waiting] == ["Ben Lee", "Amara Okafor"]
    assert mail.digest.unanswered == 1


# -- settings and links -----------------------------------------------------------------------
def test_the_unsubscribe_link_is_signed_for_one_person_and_course():
    token = unsubscribe_token("secret", 12, 3)
    assert read_unsubscribe_token("secret", token) == (12, 3)
    assert read_unsubscribe_token("other secret", token) is None
    someone_else = unsubscribe_token("secret", 13, 3).split(".")[0]
    assert read_unsubscribe_token("secret", someone_else + "." + token.split(".")[1]) is None
    assert read_unsubscribe_token("secret", "x" * 500) is None


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://mail.example.edu", SmtpServer("mail.example.edu", 25)),
        ("smtp://u:p%40ss@mail:587?starttls=1", SmtpServer("mail", 587, "u", "p@ss", "starttls")),
        ("smtps://u:p@mail", SmtpServer("mail", 465, "u", "p", "tls")),
    ],
)
def test_smtp_url(url, server):
    assert SmtpServer.from_url(url) == server


def test_an_smtp_url_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpServer.from_url("http://mail.example.edu")


def test_each_kind_of_event_reaches_the_student_it_is_about(world):
    with world.session() as session:
        checkin = CheckIn(course_id=world.course, title="Week 1", questions=[], schedule={})
        session.add(checkin)
        session.flush()
        thread = FeedbackThread(course_id=world.course, student_id=world.student, title="Check-in",
                                checkin_id=checkin.id, last_author_id=world.staff)  # fmt: skip
        session.add(thread)
        session.flush()
        answer = FeedbackMessage(thread_id=thread.id, author_id=world.staff, body="Thanks.",
                                 body_html="", created_at=T0)  # fmt: skip
        session.add(answer)
        session.flush()
        outbox.message_written(session, thread, answer)
        outbox.bulk_written(session, world.course, 9, world.staff, {world.student: thread.id},
                            True, T0)  # fmt: skip
        intro = Post(course_id=world.course, author_id=world.student,
                     kind=PostKind.STUDENT_INTRODUCTION, body="Hi", body_html="Hi")  # fmt: skip
        session.add(intro)
        session.flush()
        for author in (world.staff, world.student):
            reply = Reply(post_id=intro.id, author_id=author, body="Welcome", body_html="",
                          created_at=T0)  # fmt: skip
            session.add(reply)
            session.flush()
            outbox.reply_written(session, intro, reply, by_staff=author == world.staff)
    assert [(r.recipient_id, r.kind) for r in rows(world)] == [
        (world.student, outbox.CHECKIN_REPLY),
        (world.student, outbox.NUDGE),
        (world.student, outbox.INTRO_REPLY),
    ]
    with world.session() as session:
        mail = compose(session, rows(world), session.get_one(Person, world.student), "u")
    assert mail is not None
    assert [item.headline for item in mail.items] == [
        "Margaret Chen answered your check-in in Poetry",
        "Margaret Chen sent you a reminder in Poetry",
        "Margaret Chen replied to your introduction in Poetry",
    ]


def test_a_teaching_assistant_who_reads_only_tutees_threads_hears_only_of_those(world):
    assistant = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    with world.session() as session:
        session.add(CourseSetting(course_id=world.course, key="feedback.visibility",
                                  value="tutor_and_instructors"))  # fmt: skip
        session.execute(
            update(Membership)
            .where(Membership.person_id == world.staff)
            .values(lti_roles=[assistant])
        )
        session.add(TutorAllocation(course_id=world.course, student_id=world.student,
                                    tutor_id=world.staff))  # fmt: skip
        for student in (world.student, world.other):
            session.add(FeedbackThread(course_id=world.course, student_id=student, title="Hi",
                                       last_message_at=T0, last_author_id=student))  # fmt: skip
        digest = outbox.Event("d", world.staff, None, outbox.DIGEST, None)
        outbox.record(session, world.course, [digest], T0, due=T0)
    with world.session() as session:
        mail = compose(session, rows(world), session.get_one(Person, world.staff), "u")
    assert mail is not None and mail.digest is not None
    assert [name for name, _, _ in mail.digest.waiting] == ["Amara Okafor"]


def test_a_message_adds_two_statements_with_email_on_and_none_with_it_off(world, app):
    """What a write pays for its notification: the recipient's choice, then the row (the
    bulk start's chunk the same two, whatever its size)."""
    with world.session() as session:
        thread = FeedbackThread(course_id=world.course, student_id=world.student, title="Hi")
        session.add(thread)
        session.flush()
        message = FeedbackMessage(thread_id=thread.id, author_id=world.staff, body="Hi",
                                  body_html="", created_at=T0)  # fmt: skip
        session.add(message)
        session.flush()
        with statements(world.sessions) as seen:
            outbox.message_written(session, thread, message)
        assert len(seen) == 2, seen
        many = {world.student: thread.id, world.other: thread.id}
        with statements(world.sessions) as seen:
            outbox.bulk_written(session, world.course, 1, world.staff, many, False, T0)
        assert len(seen) == 2, seen
    with transaction(state(app).sessions) as session:  # the app's own: no SMTP_URL
        thread = session.get_one(FeedbackThread, thread.id)
        message = session.get_one(FeedbackMessage, message.id)
        with statements(state(app).sessions) as seen:
            outbox.message_written(session, thread, message)
        assert seen == []


# -- each mail in its recipient's language (issue 17) ------------------------------------------
def _mail_to(world: World, app: Any, locale: str | None) -> tuple[str, EmailMessage]:
    """The mail telling Amara of what the outbox holds for her, composed as the job runner
    does (in the app, outside any request), her launches having named `locale`; and the
    language it is written in."""
    with app.app_context(), world.session() as session:
        person = session.get_one(Person, world.student)
        person.locale = locale
        session.flush()
        mail = compose(session, rows(world), person, "https://r/u/1")
        assert mail is not None
        return mail.locale, mail.message("Rapport <r@example.edu>", "rapport.example.edu")


def test_a_mail_is_written_in_its_recipients_locale_else_the_installs_default(world, app):
    thread_with_message(world, world.staff, "Look at this.")
    language, message = _mail_to(world, app, "es-ES")
    assert language == "es_ES"
    assert "1 mar 2027, 12:00 UTC" in text_of(message)  # its dates too, by CLDR
    assert '<html lang="es-ES">' in html_of(message)
    language, message = _mail_to(world, app, None)
    assert language == "en_GB"  # DEFAULT_LOCALE
    assert message["Subject"] == "Margaret Chen wrote to you in Poetry"
    assert "1 Mar 2027, 12:00 UTC" in text_of(message)


def test_a_recipient_whose_locale_is_spanish_gets_a_spanish_subject_and_body(world, app):
    thread_with_message(world, world.staff, "Look at this.")
    _, message = _mail_to(world, app, "es-ES")
    assert message["Subject"] == "Margaret Chen te escribió en Poetry"
    assert "Hola, Amara Okafor:" in text_of(message)
    assert "Abre Poetry en tu LMS para leer y responder" in text_of(message)


def test_line_breaks_from_the_lms_never_reach_a_header_and_an_unusable_address_fails(world):
    with world.session() as session:
        session.execute(
            update(Person).where(Person.id == world.staff).values(name="Mal\r\nBcc: x@evil.example")
        )
        session.execute(
            update(Person).where(Person.id == world.student).values(email="a@example.edu\nBcc: y")
        )
    thread_with_message(world, world.staff, "Hi.")
    with world.session() as session:
        mail = compose(session, rows(world), session.get_one(Person, world.student), "u")
    assert mail is not None and mail.subject == "Mal Bcc: x@evil.example wrote to you in Poetry"
    mailer = FakeMailer()
    sender(world, mailer).deliver_due(T0 + outbox.COALESCE)
    assert mailer.sent == []
    assert rows(world)[0].status is NotificationStatus.FAILED
