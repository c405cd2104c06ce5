"""Migration 0021 keeps, in each student's summary, how many conversations owe them a reply
and since when, and since when their oldest request to talk waits: filled in from the threads
and check-in answers a database already holds, as a refresh would (issue 15)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from lti_tool.db import make_engine
from lti_tool.migrate import upgrade
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Occurrence,
    StudentSummary,
)
from lti_tool.services.dashboard.summary import compute
from tests.databases import fresh_database
from tests.test_migration_0013 import T0, _write, lms_with_courses, people_named

WAITS = ("owed", "owed_since", "talk_requests", "asked_since")


def _threads(connection: object, course: int, staff: int, written: list[tuple[int, int]]) -> None:
    """One thread per (student, last author), its one message written by that author."""
    threads = _write(connection, FeedbackThread, [
        {"course_id": course, "student_id": student, "title": f"t{i}",
         "created_at": T0, "last_message_at": T0 + timedelta(hours=i), "last_author_id": author}
        for i, (student, author) in enumerate(written)
    ])  # fmt: skip
    _write(connection, FeedbackMessage, [
        {"thread_id": thread, "author_id": author, "body": "b", "body_html": "b",
         "created_at": T0 + timedelta(hours=i), "automated": False}
        for i, (thread, (_, author)) in enumerate(zip(threads, written, strict=True))
    ])  # fmt: skip


def _check_ins(connection: object, course: int, answers: list[tuple[bool, int, bool, str]]) -> None:
    """Answers as (anonymous check-in, student, wants to talk, status)."""
    checkins = _write(connection, CheckIn, [
        {"course_id": course, "title": f"c{anonymous}", "questions": [], "schedule": {},
         "anonymous": anonymous, "graded": False, "created_at": T0}
        for anonymous in (False, True)
    ])  # fmt: skip
    occurrences = _write(connection, Occurrence, [  # one a week, each answered once
        {"checkin_id": checkins[anonymous], "number": i + 1,
         "opens_at": T0 + timedelta(days=7 * i), "closes_at": T0 + timedelta(days=7 * i + 7)}
        for i, (anonymous, *_) in enumerate(answers)
    ])  # fmt: skip
    _write(connection, CheckInResponse, [
        {"occurrence_id": occurrence, "student_id": student, "answers": {},
         "score": 3, "wants_talk": talk, "status": status,
         "submitted_at": T0, "updated_at": T0 + timedelta(minutes=i)}
        for i, (occurrence, (_, student, talk, status)) in enumerate(
            zip(occurrences, answers, strict=True)
        )
    ])  # fmt: skip


def test_0021_counts_what_waits_for_each_student_as_a_refresh_does(tmp_path):
    url = fresh_database(tmp_path, create_schema=False, templates=tmp_path)
    upgrade(url, "0020_waiting_indexes")
    engine = make_engine(url)
    with engine.begin() as connection:
        lms, (course,) = lms_with_courses(connection, 1)
        owed_two, answered, asks, quiet, staff = people_named(
            connection, lms, ["Owed", "Answered", "Asks", "Quiet", "Staff"]
        )
        _write(connection, Membership, [
            {"course_id": course, "person_id": person, "role": role, "active": True,
             "lti_roles": [], "created_at": T0}
            for person, role in ((owed_two, "student"), (answered, "student"), (asks, "student"),
                                 (quiet, "student"), (staff, "staff"))
        ])  # fmt: skip
        _threads(connection, course, staff, [
            (owed_two, owed_two), (owed_two, owed_two), (answered, staff), (asks, asks),
        ])  # fmt: skip
        _check_ins(connection, course, [
            (False, asks, True, "new"), (False, asks, True, "new"), (False, asks, True, "handled"),
            (True, quiet, True, "new"), (False, owed_two, False, "new"),
        ])  # fmt: skip
        # The summary's columns as 0020 has them (the model's defaults name later ones).
        summary = table(
            "student_summary", column("course_id"), column("student_id"), column("talk_requests")
        )
        connection.execute(summary.insert(), [
            {"course_id": course, "student_id": person, "talk_requests": 2 if person == asks else 0}
            for person in (owed_two, answered, asks, quiet)
        ])  # fmt: skip
    upgrade(url, "0021_summary_waiting")
    with Session(engine) as session:
        found = {
            row.student_id: tuple(getattr(row, name) for name in WAITS)
            for row in session.execute(select(StudentSummary)).scalars().all()
        }
    upgrade(url)  # today's refresh reads today's columns (a person's `erased_at`, 0023)
    with Session(engine) as session:
        computed, _ = compute(session, course)
    assert found == {row["student_id"]: tuple(row[name] for name in WAITS) for row in computed}
    assert found[owed_two][:3] == (2, T0, 0)
    assert found[answered] == (0, None, 0, None)
    assert found[asks] == (1, T0 + timedelta(hours=3), 2, T0)
    assert found[quiet] == (0, None, 0, None)  # an anonymous check-in's answer has no name
    engine.dispose()
