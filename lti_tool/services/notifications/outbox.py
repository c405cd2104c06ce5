"""What happened, written to the outbox: one row per recipient and event, in the transaction
that wrote the event, and the job runner asked to deliver once it commits.

A row's `key` names the event and the recipient, unique: an event recorded twice (a retried
job, a double submit) is one row, so nobody is told the same thing twice. When it is due
depends on the recipient's choice: a few minutes from now (rows for the same person and course
due close together leave as one mail), or the next morning's daily mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.dates import zone_named
from lti_tool.jobs import enqueue_after_commit
from lti_tool.models import (
    CheckIn,
    CheckInAnnouncement,
    Course,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Notification,
    NotificationMode,
    Occurrence,
    Post,
    PostKind,
    Reply,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.course_settings import COURSE_TIME_ZONE, course_settings
from lti_tool.services.notifications.preferences import modes_of
from lti_tool.services.tutors.service import current_tutor_ids
from lti_tool.services.upsert import insert_ignoring_conflicts

DELIVER = "notifications.deliver"
# Rows for one person and course that come due within this window leave as one mail.
COALESCE = timedelta(minutes=3)
DIGEST_HOUR = 7  # the daily mail leaves at 07:00 in the course's time zone
ANNOUNCE_WITHIN = timedelta(days=1)  # an opening older than this is not announced any more

# Kinds, each told to one side of the course.
MESSAGE = "message"  # staff wrote in a student's feedback thread
CHECKIN_REPLY = "checkin_reply"  # staff answered a student's check-in
NUDGE = "nudge"  # a reminder to answer a check-in
INTRO_REPLY = "intro_reply"  # staff replied to a student's introduction
CHECKIN_OPEN = "checkin_open"
STUDENT_MESSAGE = "student_message"  # a tutee wrote: for tutors who want it at once
DIGEST = "digest"  # staff's day in the course
RETENTION = "retention"  # staff: the course will be deleted (services/archive/retention.py)


MAIL_ON = "rapport.mail"  # in a session's info when this app sends email (`enable`)


def enable(sessions: sessionmaker[Session]) -> None:
    """Sessions from `sessions` record notifications (the app has an SMTP server); without
    this, nothing is written to the outbox, so turning email on later mails no old news."""
    sessions.configure(info={MAIL_ON: True})


@dataclass(frozen=True)
class Event:
    key: str
    recipient_id: int
    actor_id: int | None
    kind: str
    subject_id: int | None


def next_digest(now: datetime, zone_name: str) -> datetime:
    """The next 07:00 in the course's zone after `now`."""
    zone = zone_named(zone_name)
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), time(DIGEST_HOUR), tzinfo=zone)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), time(DIGEST_HOUR), tzinfo=zone)
    return moment.astimezone(now.tzinfo)


def record(
    session: Session,
    course_id: int,
    events: Iterable[Event],
    now: datetime,
    modes: Mapping[int, NotificationMode] | None = None,
    due: datetime | None = None,
) -> int:
    """Write the events for those recipients who want mail, due when their mode says (or at
    `due`); how many rows were offered."""
    wanted = list(events)
    if not wanted or not session.info.get(MAIL_ON):
        return 0
    if modes is None:
        modes = modes_of(session, course_id, [e.recipient_id for e in wanted])
    daily: datetime | None = None
    rows = []
    for event in wanted:
        mode = modes.get(event.recipient_id, NotificationMode.OFF)
        if mode is NotificationMode.OFF:
            continue
        if due is not None:
            when = due
        elif mode is NotificationMode.DAILY:
            if daily is None:
                zone = str(course_settings(session, course_id)[COURSE_TIME_ZONE])
                daily = next_digest(now, zone)
            when = daily
        else:
            when = now + COALESCE
        rows.append(
            {
                "key": event.key,
                "course_id": course_id,
                "recipient_id": event.recipient_id,
                "actor_id": event.actor_id,
                "kind": event.kind,
                "subject_id": event.subject_id,
                "created_at": now,
                "due_at": when,
                "status": "waiting",
                "attempts": 0,
            }
        )
    if rows:
        insert_ignoring_conflicts(session, Notification, rows)
        enqueue_after_commit(session, DELIVER)
    return len(rows)


def message_written(session: Session, thread: FeedbackThread, message: FeedbackMessage) -> None:
    """A message in a feedback thread: the student hears of staff's words; a student's words
    reach their tutor at once when the tutor asked for that (else the tutor's digest)."""
    if not session.info.get(MAIL_ON):
        return  # not a statement more where no mail is sent
    if message.author_id == thread.student_id:
        tutors = set(current_tutor_ids(session, thread.course_id, [thread.student_id]).values())
        modes = modes_of(session, thread.course_id, tutors)
        wanted = {t for t, mode in modes.items() if mode is NotificationMode.IMMEDIATE}
        events = [
            Event(f"message:{message.id}:{t}", t, message.author_id, STUDENT_MESSAGE, thread.id)
            for t in sorted(wanted)
        ]
        record(session, thread.course_id, events, message.created_at, modes)
        return
    kind = CHECKIN_REPLY if thread.checkin_id is not None else MESSAGE
    key = f"message:{message.id}:{thread.student_id}"
    event = Event(key, thread.student_id, message.author_id, kind, thread.id)
    record(session, thread.course_id, [event], message.created_at)


def bulk_written(
    session: Session,
    course_id: int,
    bulk_id: int,
    author_id: int,
    threads: Mapping[int, int],
    nudge: bool,
    now: datetime,
) -> None:
    """A bulk start's messages (a nudge when it is about a check-in): `threads` maps each
    student to the thread their message went into."""
    kind = NUDGE if nudge else MESSAGE
    events = [
        Event(f"bulk:{bulk_id}:{student}", student, author_id, kind, thread)
        for student, thread in threads.items()
    ]
    record(session, course_id, events, now)


def reply_written(session: Session, post: Post, reply: Reply, by_staff: bool) -> None:
    """Staff answered a student's introduction: the student hears of it."""
    if not by_staff or post.kind is not PostKind.STUDENT_INTRODUCTION:
        return
    if reply.author_id == post.author_id:
        return
    event = Event(f"reply:{reply.id}:{post.author_id}", post.author_id, reply.author_id,
                  INTRO_REPLY, reply.id)  # fmt: skip
    record(session, post.course_id, [event], reply.created_at)


def deletion_planned(session: Session, course_id: int, due: datetime, now: datetime) -> int:
    """Tell the course's staff, at once, that it will be deleted on `due` (one mail per
    person and date, however often asked); how many were offered."""
    staff = _members(session, course_id, CourseRole.STAFF)
    day = due.date().isoformat()
    events = [Event(f"retention:{course_id}:{p}:{day}", p, None, RETENTION, None) for p in staff]
    return record(session, course_id, events, now, due=now)


def _members(session: Session, course_id: int, role: CourseRole) -> list[int]:
    query = select(Membership.person_id).where(
        Membership.course_id == course_id, Membership.role == role, Membership.active.is_(True)
    )
    return list(session.scalars(query))


def announce_openings(session: Session, now: datetime) -> int:
    """Tell the course's students of each check-in that has opened since the last run (once
    per opening: its announcement row is unique). How many openings were announced."""
    openings = session.execute(
        select(Occurrence.id, CheckIn.course_id, CheckIn.created_by_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .outerjoin(CheckInAnnouncement, CheckInAnnouncement.occurrence_id == Occurrence.id)
        .where(
            Occurrence.opens_at <= now,
            Occurrence.opens_at > now - ANNOUNCE_WITHIN,
            Occurrence.closes_at > now,
            CheckIn.archived_at.is_(None),
            CheckInAnnouncement.id.is_(None),
        )
    ).all()
    announced = 0
    for occurrence_id, course_id, author_id in openings:
        first = insert_ignoring_conflicts(
            session, CheckInAnnouncement, {"occurrence_id": occurrence_id, "announced_at": now}
        )
        if first is None:
            continue  # another run announced it
        students = _members(session, course_id, CourseRole.STUDENT)
        events = [
            Event(f"open:{occurrence_id}:{s}", s, author_id, CHECKIN_OPEN, occurrence_id)
            for s in students
        ]
        record(session, course_id, events, now)
        announced += 1
    return announced


def queue_digests(session: Session, now: datetime) -> int:
    """Each course's staff get their day's digest once the course's morning has come (one per
    person per course per local day: the key holds the date). Courses with nothing waiting
    are skipped here; a digest that finds nothing when it is written is not sent."""
    courses = session.scalars(
        select(Course.id).where(
            select(FeedbackThread.id)
            .where(
                FeedbackThread.course_id == Course.id,
                FeedbackThread.last_author_id == FeedbackThread.student_id,
            )
            .exists()
            | select(CheckIn.id)
            .join(Occurrence, Occurrence.checkin_id == CheckIn.id)
            .where(CheckIn.course_id == Course.id, Occurrence.opens_at <= now)
            .exists()
        )
    ).all()
    queued = 0
    for course_id in courses:
        zone = zone_named(course_settings(session, course_id)[COURSE_TIME_ZONE])
        local = now.astimezone(zone)
        if local.hour < DIGEST_HOUR:
            continue
        staff = _members(session, course_id, CourseRole.STAFF)
        modes = modes_of(session, course_id, staff)
        events = [
            Event(f"digest:{course_id}:{p}:{local.date().isoformat()}", p, None, DIGEST, None)
            for p, mode in modes.items()
            if mode is not NotificationMode.OFF
        ]
        queued += record(session, course_id, events, now, modes, due=now)
    return queued
