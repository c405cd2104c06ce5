"""Retention without Flask, on a test clock: which courses are warned and when, which are
deleted and only after a warning a month old, what a deletion takes with it and what it leaves
in the institution's log, and the warning's mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.config import load_settings
from lti_tool.db import transaction
from lti_tool.jobs import _SPECS
from lti_tool.models import (
    AuditEntry,
    Course,
    CourseDeletion,
    CourseSetting,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Notification,
    NotificationMode,
    Person,
    Post,
    PostKind,
    Registration,
    Reply,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.archive.audit import DELETION_PLANNED
from lti_tool.services.archive.retention import WARNING, plans, run_retention, warn
from lti_tool.services.archive.settings import END_DATE
from lti_tool.services.notifications import outbox
from lti_tool.services.notifications.compose import compose
from lti_tool.services.notifications.preferences import set_mode
from lti_tool.tasks import RETENTION, apply_retention
from tests.conftest import state
from tests.mailbox import html_of, text_of
from tests.newsfeed_flow import Clock
from tests.services.notifications.test_notifications import FakeMailer

ENDED = datetime(2027, 6, 30, 16, 0, tzinfo=UTC)  # when the LMS says the course ended
DAYS = 90  # RETENTION_DAYS
PLANNED = ENDED + timedelta(days=DAYS)


@dataclass
class World:
    sessions: sessionmaker[Session]
    course: int
    other_course: int  # no end: never touched
    staff: int
    student: int  # in this course only: deleted with it
    both: int  # a student of both courses: kept

    def session(self) -> Any:
        return transaction(self.sessions)


@pytest.fixture
def world(app: Any) -> World:
    sessions = sessionmaker(bind=state(app).engine, expire_on_commit=False)
    outbox.enable(sessions)  # the app has a mail server
    long_ago = datetime(2027, 1, 4, tzinfo=UTC)
    with transaction(sessions) as session:
        lms = Registration(issuer="https://lms.example.edu", client_id="c1",
                           auth_login_url="https://lms.example.edu/auth",
                           auth_token_url="https://lms.example.edu/token")  # fmt: skip
        session.add(lms)
        session.flush()
        course = Course(registration_id=lms.id, context_id="ctx-7", title="Poetry",
                        lms_url="https://lms.example.edu/courses/7", lms_ends_at=ENDED)  # fmt: skip
        other = Course(registration_id=lms.id, context_id="ctx-8", title="Drama")
        people = [
            Person(registration_id=lms.id, sub=sub, name=name, email=email, updated_at=long_ago)
            for sub, name, email in [
                ("t", "Margaret Chen", "m@example.edu"),
                ("s", "Amara Okafor", "a@example.edu"),
                ("b", "Ben Lee", "b@example.edu"),
            ]
        ]
        session.add_all([course, other, *people])
        session.flush()
        staff, student, both = (p.id for p in people)
        session.add_all(
            [
                Membership(course_id=course.id, person_id=staff, role=CourseRole.STAFF),
                Membership(course_id=course.id, person_id=student, role=CourseRole.STUDENT),
                Membership(course_id=course.id, person_id=both, role=CourseRole.STUDENT),
                Membership(course_id=other.id, person_id=both, role=CourseRole.STUDENT),
            ]
        )
        post = Post(course_id=course.id, author_id=staff, kind=PostKind.NEWS, title="Hi",
                    body="Hi", body_html="<p>Hi</p>")  # fmt: skip
        thread = FeedbackThread(course_id=course.id, student_id=student, title="Your essay")
        session.add_all([post, thread])
        session.flush()
        session.add_all(
            [
                Reply(post_id=post.id, author_id=student, body="Hello", body_html="Hello"),
                FeedbackMessage(
                    thread_id=thread.id, author_id=staff, body="Well done.", body_html="Well done."
                ),
            ]
        )
        return World(sessions, course.id, other.id, staff, student, both)


def course_row(world: World) -> Course | None:
    with world.session() as session:
        return session.get(Course, world.course)


def warnings(world: World) -> list[tuple[int, str]]:
    with world.session() as session:
        rows = session.execute(
            select(Notification.recipient_id, Notification.kind).order_by(Notification.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_nothing_happens_before_a_month_ahead_of_the_planned_day(world):
    clock = Clock(PLANNED - WARNING - timedelta(minutes=1))
    assert run_retention(world.sessions, DAYS, clock()).warned == []
    assert warnings(world) == []
    assert course_row(world).deletion_due_at is None


def test_staff_are_warned_once_a_month_ahead_and_it_is_logged(world):
    clock = Clock(PLANNED - WARNING)
    for _ in range(3):  # hourly runs, and a second worker's
        run = run_retention(world.sessions, DAYS, clock())
        clock.advance(hours=1)
    assert warnings(world) == [(world.staff, outbox.RETENTION)]  # staff only, once
    course = course_row(world)
    assert (course.deletion_warned_at, course.deletion_due_at) == (PLANNED - WARNING, PLANNED)
    with world.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == DELETION_PLANNED))
        assert entry.actor_id is None and entry.details["due_at"] == PLANNED.isoformat()
    assert run.warned == []  # the first run warned; later ones found it done


def test_two_runs_at_once_warn_once(world):
    with world.session() as session:
        [plan] = [p for p in plans(session, DAYS) if p.course_id == world.course]
    now = PLANNED - WARNING
    with world.session() as session:
        assert warn(session, plan, now) is True
    with world.session() as session:
        assert warn(session, plan, now) is False
    assert len(warnings(world)) == 1


def test_a_course_is_deleted_on_its_day_with_everything_in_it_and_logged(world):
    clock = Clock(PLANNED - WARNING)
    run_retention(world.sessions, DAYS, clock())
    clock.now = PLANNED - timedelta(minutes=1)
    assert run_retention(world.sessions, DAYS, clock()).deleted == []
    clock.now = PLANNED
    assert run_retention(world.sessions, DAYS, clock()).deleted == [world.course]
    assert course_row(world) is None
    with world.session() as session:
        for table in (Membership, Post, Reply, FeedbackThread, FeedbackMessage, Notification):
            left = session.scalar(select(func.count()).select_from(table))
            assert left == (1 if table is Membership else 0), table.__name__  # Ben's other one
        # Who was in it only is gone; who is in another course stays.
        assert session.get(Person, world.student) is None
        assert session.get(Person, world.staff) is None
        assert session.get(Person, world.both) is not None
        assert session.get(Course, world.other_course) is not None
        [logged] = session.scalars(select(CourseDeletion))
    assert (logged.issuer, logged.client_id, logged.context_id, logged.title) == (
        "https://lms.example.edu", "c1", "ctx-7", "Poetry"
    )  # fmt: skip
    assert (logged.ended_at, logged.warned_at, logged.deleted_at) == (
        ENDED, PLANNED - WARNING, PLANNED
    )  # fmt: skip
    # Nobody's name, address or id in the log: only the course's.
    said = " ".join(str(getattr(logged, c.key)) for c in CourseDeletion.__table__.columns)
    assert not any(word in said for word in ("Margaret", "Amara", "example.edu/courses", "@"))


def test_a_warning_that_comes_late_puts_the_deletion_a_month_after_it(world):
    """RETENTION_DAYS switched on long after the course ended: nobody loses a course without a
    month's notice."""
    clock = Clock(PLANNED + timedelta(days=200))
    run_retention(world.sessions, DAYS, clock())
    warned_at = clock()
    assert course_row(world).deletion_due_at == warned_at + WARNING
    clock.advance(days=29, hours=23)
    assert run_retention(world.sessions, DAYS, clock()).deleted == []
    clock.advance(hours=1)
    assert run_retention(world.sessions, DAYS, clock()).deleted == [world.course]


def test_a_course_is_never_deleted_without_a_warning_a_month_old(world):
    now = PLANNED + timedelta(days=10)
    with world.session() as session:  # a warning nine days old, whatever its day says
        session.execute(
            update(Course)
            .where(Course.id == world.course)
            .values(deletion_warned_at=now - timedelta(days=9), deletion_due_at=PLANNED)
        )
    assert run_retention(world.sessions, DAYS, now).deleted == []
    assert run_retention(world.sessions, DAYS, now + timedelta(days=21)).deleted == [world.course]


def test_an_end_moved_later_withdraws_the_warning_until_a_month_before_the_new_day(world):
    clock = Clock(PLANNED - WARNING)
    run_retention(world.sessions, DAYS, clock())
    with world.session() as session:  # staff set a later end: 31 August
        session.add(CourseSetting(course_id=world.course, key=END_DATE, value="2027-08-31"))
    clock.advance(hours=1)
    assert run_retention(world.sessions, DAYS, clock()).withdrawn == [world.course]
    assert course_row(world).deletion_due_at is None
    new_day = datetime(2027, 8, 31, 23, 59, 59, tzinfo=UTC) + timedelta(days=DAYS)
    clock.now = PLANNED
    assert run_retention(world.sessions, DAYS, clock()).deleted == []  # the old day: nothing
    clock.now = new_day - WARNING
    assert run_retention(world.sessions, DAYS, clock()).warned == [world.course]
    assert course_row(world).deletion_due_at == new_day


def test_switching_retention_off_withdraws_every_warning(world):
    run_retention(world.sessions, DAYS, PLANNED - WARNING)
    assert run_retention(world.sessions, None, PLANNED).withdrawn == [world.course]
    assert run_retention(world.sessions, None, PLANNED + WARNING).deleted == []
    assert course_row(world) is not None and course_row(world).deletion_due_at is None


def test_staff_who_turned_email_off_are_not_mailed_but_the_course_is_still_warned(world):
    with world.session() as session:
        set_mode(session, world.course, world.staff, NotificationMode.OFF, ENDED)
    assert run_retention(world.sessions, DAYS, PLANNED - WARNING).warned == [world.course]
    assert warnings(world) == []  # their pages say it (tests/functional/archive)


def test_the_mail_names_the_course_the_day_and_how_to_download_it(world, app):
    run_retention(world.sessions, DAYS, PLANNED - WARNING)
    # In the app, as the job runner composes it: in DEFAULT_LOCALE (en-GB) for a recipient
    # whose launches named no locale.
    with app.app_context(), world.session() as session:
        rows = list(session.scalars(select(Notification)))
        mail = compose(session, rows, session.get_one(Person, world.staff), "https://r/u/1")
        assert mail is not None
        message = mail.message(FakeMailer().sender, "rapport.example.edu")
    assert message["Subject"] == "Poetry will be deleted from Rapport on 28 Sept 2027"  # CLDR en-GB
    text, html = text_of(message), html_of(message)
    for body in (text, html):
        assert "then Settings in Rapport, and download the whole course" in " ".join(body.split())
        assert "https://lms.example.edu/courses/7" in body  # through the LMS, as every mail


# -- the setting, and the job that applies it --------------------------------------------------
@pytest.mark.parametrize(
    ("value", "days"), [(None, None), ("", None), (" ", None), ("365", 365), (" 1 ", 1)]
)
def test_retention_days_is_read_from_the_environment_off_by_default(tmp_path, value, days):
    env = {"RAPPORT_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x"}
    if value is not None:
        env["RETENTION_DAYS"] = value
    assert load_settings(env).retention_days == days


@pytest.mark.parametrize("value", ["0", "-5", "30d", "1.5", "a year"])
def test_a_retention_that_is_not_a_number_of_days_stops_the_start(tmp_path, value):
    env = {"RAPPORT_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x", "RETENTION_DAYS": value}
    with pytest.raises(ValueError, match="RETENTION_DAYS must be a whole number of days"):
        load_settings(env)


def test_the_workers_apply_retention_every_hour():
    spec = _SPECS[RETENTION]
    assert spec.periodic is not None and spec.run is apply_retention
