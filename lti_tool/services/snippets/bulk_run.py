"""Writing a bulk start's threads: chunk by chunk, in the background, outside any request.

Each chunk is its own transaction with a fixed number of statements whatever its size: names
and tutors looked up for the whole chunk, threads and first messages inserted in bulk. `done`
is counted in the chunk's transaction, so the progress page shows it and a run repeated after
a crash resumes there; students who already have a thread from this bulk start are skipped
all the same. A student who already has a thread for the same activity gets the message added
to it instead of a second thread; a nudge (a bulk start with a check-in) goes into each
student's conversation about that check-in, started if need be.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import transaction
from lti_tool.i18n import _, lazy_gettext, speaking
from lti_tool.models import (
    BulkStart,
    CheckIn,
    Course,
    FeedbackMessage,
    FeedbackThread,
    Person,
    Placement,
)
from lti_tool.services.markup import render_markdown
from lti_tool.services.notifications import outbox as notifications
from lti_tool.services.snippets.service import (
    MergeValues,
    fill,
    fill_text,
    first_name_of,
    missing_for,
    tutor_name_of,
)
from lti_tool.services.tutors.service import current_tutor_ids
from lti_tool.services.upsert import insert_ignoring_conflicts

MAX_TITLE = 200
CHUNK = 100
RUNNING, DONE, FAILED = "running", "done", "failed"
# Why a run stopped: stored in English on the bulk start, shown in the reader's language.
NO_STARTER = lazy_gettext("the person who started it is no longer in Rapport.")


class RunStopped(RuntimeError):  # noqa: N818 - a stop, named for what happened
    """The run cannot go on; the message is recorded on the bulk start for staff to read."""


@dataclass(frozen=True)
class ThreadWords:
    """What filling needs, read once per run (or preview)."""

    bulk_id: int
    course_id: int
    author_id: int
    title: str
    body: str
    placement_id: int | None
    course_title: str
    activity_title: str | None
    checkin_id: int | None = None  # a nudge: into each student's check-in conversation
    locale: str | None = None  # the sender's: Rapport's own words in the messages speak it


@dataclass(frozen=True)
class Recipient:
    """One student's thread as it will be written: their name, title and merge values."""

    student_id: int
    name: str
    title: str
    values: MergeValues


def recipients(
    session: Session, words: ThreadWords, student_ids: Sequence[int]
) -> dict[int, Recipient]:
    """Each student's filled title and merge values, in two queries whatever their number."""
    tutors = current_tutor_ids(session, words.course_id, student_ids)
    wanted = set(student_ids) | set(tutors.values())
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(wanted)))}
    found = {}
    for student_id in student_ids:
        student = people.get(student_id)
        if student is None:
            continue  # removed from Rapport since the start was confirmed
        tutor = people.get(tutors.get(student_id) or 0)
        values = MergeValues(
            first_name=first_name_of(student),
            tutor_name=tutor_name_of(tutor),
            course_title=words.course_title,
            activity_title=words.activity_title or "",
            missing=missing_for(student, tutor),
        )
        title = fill_text(words.title, values)[:MAX_TITLE]
        if words.activity_title is None:  # without an activity, the thread's own title
            values = replace(values, activity_title=title)
        found[student_id] = Recipient(student_id, student.name_as("Student"), title, values)
    return found


def run_bulk(
    sessions: sessionmaker[Session],
    bulk_id: int,
    clock: Callable[[], datetime],
    chunk: int = CHUNK,
) -> int:
    """Start the threads of a bulk start, `chunk` students per transaction; the number of
    students handled by this call. A failure is recorded on the bulk start and raised."""
    handled = 0
    default = _default_locale()
    try:
        with transaction(sessions) as session:
            bulk = session.get(BulkStart, bulk_id)
            if bulk is None or bulk.status != RUNNING:
                return 0
            words = _prepare(session, bulk)
            student_ids = [int(i) for i in bulk.student_ids]
            resume_at = bulk.done
        for start in range(resume_at, len(student_ids), chunk):
            part = student_ids[start : start + chunk]
            with transaction(sessions) as session:
                if not _claim_chunk(session, bulk_id, start, start + len(part)):
                    return handled  # another runner has this bulk start in hand
                with speaking(words.locale, default):
                    _start_threads(session, words, part, clock())
            handled += len(part)
    except Exception as error:
        with speaking("en"):
            reason = str(error) if isinstance(error, RunStopped) else _unexpected(error)
        _finish(sessions, bulk_id, FAILED, clock(), reason)
        raise
    _finish(sessions, bulk_id, DONE, clock(), None)
    return handled


def _default_locale() -> str:
    """The install's DEFAULT_LOCALE, for a sender who has none stored."""
    state = current_app.extensions.get("rapport") if has_app_context() else None
    return str(state.settings.default_locale) if state is not None else "en"


def _unexpected(error: BaseException | str) -> str:
    kind = error if isinstance(error, str) else type(error).__name__
    return _("an unexpected %(kind)s; the server's log has the details.", kind=kind)


def reason_shown(stored: str | None) -> str | None:
    """A stopped run's reason, stored in English, in the reader's language where Rapport wrote
    it (an older or unknown reason as stored)."""
    if stored is None:
        return None
    with speaking("en"):
        english, (before, _sep, after) = str(NO_STARTER), _unexpected("\x00").partition("\x00")
    if stored == english:
        return str(NO_STARTER)
    kind = stored[len(before) : len(stored) - len(after)]
    if stored == before + kind + after and kind.isidentifier():
        return _unexpected(kind)
    return stored


def _claim_chunk(session: Session, bulk_id: int, start: int, end: int) -> bool:
    """Count the chunk as done before writing it, in its transaction: the row lock this takes
    keeps a second runner of the same bulk start (a double submit, a retry racing the first
    run) off the chunk; it finds `done` moved on, and stops."""
    claimed = session.execute(
        update(BulkStart)
        .where(BulkStart.id == bulk_id, BulkStart.done == start, BulkStart.status == RUNNING)
        .values(done=end)
    )
    return bool(getattr(claimed, "rowcount", 0) == 1)


def _prepare(session: Session, bulk: BulkStart) -> ThreadWords:
    if bulk.started_by_id is None:
        raise RunStopped(NO_STARTER)
    sender_locale = select(Person.locale).where(Person.id == bulk.started_by_id)
    course, locale = session.execute(
        select(Course, sender_locale.scalar_subquery()).where(Course.id == bulk.course_id)
    ).one()
    placement = session.get(Placement, bulk.placement_id) if bulk.placement_id else None
    checkin = session.get(CheckIn, bulk.checkin_id) if bulk.checkin_id else None
    return ThreadWords(
        bulk_id=bulk.id,
        course_id=bulk.course_id,
        author_id=bulk.started_by_id,
        title=bulk.title,
        body=bulk.body,
        placement_id=placement.id if placement else None,
        course_title=course.display_title,
        activity_title=placement.title if placement else checkin.title if checkin else None,
        checkin_id=checkin.id if checkin else None,
        locale=locale,
    )


def _finish(
    sessions: sessionmaker[Session], bulk_id: int, status: str, now: datetime, error: str | None
) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(BulkStart)
            .where(BulkStart.id == bulk_id)
            .values(status=status, finished_at=now, error=error)
        )


def _start_threads(
    session: Session, words: ThreadWords, student_ids: list[int], now: datetime
) -> None:
    """One chunk: six statements (seven when threads are continued), whatever its size."""
    already = set(
        session.scalars(
            select(FeedbackThread.student_id).where(
                FeedbackThread.bulk_start_id == words.bulk_id,
                FeedbackThread.student_id.in_(student_ids),
            )
        )
    )
    todo = [s for s in student_ids if s not in already]
    found = recipients(session, words, todo) if todo else {}
    if not found:
        return
    # A conflict is a thread this student already has for the activity: continued below.
    insert_ignoring_conflicts(
        session, FeedbackThread, [_new_thread(words, r, now) for r in found.values()]
    )
    threads = _threads_for(session, words, list(found))
    messages = [
        _first_message(words, thread_id, fill(words.body, found[student_id].values), now)
        for student_id, (thread_id, _) in threads.items()
    ]
    session.execute(insert(FeedbackMessage).values(messages))
    written = {student: thread for student, (thread, _) in threads.items()}
    notifications.bulk_written(session, words.course_id, words.bulk_id, words.author_id, written,
                               words.checkin_id is not None, now)  # fmt: skip
    continued = [thread_id for thread_id, ours in threads.values() if not ours]
    if continued:
        session.execute(
            update(FeedbackThread)
            .where(FeedbackThread.id.in_(continued))
            .values(last_message_at=now, last_author_id=words.author_id)
        )


def _new_thread(words: ThreadWords, recipient: Recipient, now: datetime) -> dict[str, object]:
    return {
        "course_id": words.course_id,
        "student_id": recipient.student_id,
        "title": recipient.title,
        "placement_id": words.placement_id,
        "checkin_id": words.checkin_id,
        "started_by_id": words.author_id,
        "bulk_start_id": words.bulk_id,
        "created_at": now,
        "last_message_at": now,
        "last_author_id": words.author_id,
    }


def _threads_for(
    session: Session, words: ThreadWords, student_ids: list[int]
) -> dict[int, tuple[int, bool]]:
    """Each student's thread for this run as (id, made by this run): the new one, or the one
    they already had for the same activity (one per student, by the unique constraint)."""
    if words.checkin_id is not None:
        which = FeedbackThread.checkin_id == words.checkin_id
    elif words.placement_id is not None:
        which = FeedbackThread.placement_id == words.placement_id
    else:
        which = FeedbackThread.bulk_start_id == words.bulk_id
    rows = session.execute(
        select(FeedbackThread.id, FeedbackThread.student_id, FeedbackThread.bulk_start_id).where(
            FeedbackThread.course_id == words.course_id,
            FeedbackThread.student_id.in_(student_ids),
            which,
        )
    ).all()
    return {student: (thread, bulk == words.bulk_id) for thread, student, bulk in rows}


def _first_message(
    words: ThreadWords, thread_id: int, body: str, now: datetime
) -> dict[str, object]:
    return {
        "thread_id": thread_id,
        "author_id": words.author_id,
        "body": body,
        "body_html": render_markdown(body),
        "created_at": now,
        "automated": True,
        "score_given": None,
        "score_maximum": None,
        "edited_at": None,
    }
