"""Migration 0013 makes the student summary; `rapport db upgrade` fills it in at the head for the
courses a database already holds, as the refresh every write uses would have (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, column, insert, select, table
from sqlalchemy.orm import Session

from lti_tool.db import UTCDateTime, make_engine
from lti_tool.migrate import upgrade
from lti_tool.models import (
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Person,
    Registration,
    StudentSummary,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.dashboard.summary import summarise_unsummarised
from tests.databases import fresh_database
from tests.services.dashboard.test_summary import stored_and_recomputed

T0 = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def _write(connection: object, model: type, rows: list[dict[str, object]]) -> list[int]:
    """Rows written as 0012's code would have: past any session, so nothing summarises them."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    found = connection.execute(insert(table).returning(table.c.id), rows)  # type: ignore[attr-defined]
    return [int(row[0]) for row in found]


def lms_with_courses(connection: object, count: int) -> tuple[int, list[int]]:
    """A registration and `count` courses of it, written as an older schema's rows."""
    (lms,) = _write(connection, Registration, [
        {"issuer": "https://lms.example.edu", "client_id": "c", "frame_origins": [],
         "auth_login_url": "https://lms.example.edu/a",
         "auth_token_url": "https://lms.example.edu/t"},
    ])  # fmt: skip
    # The course's columns as 0012 has them (later revisions add to the model's).
    course = table(
        "course", column("id"), column("registration_id"), column("context_id"),
        column("created_at", UTCDateTime()), column("updated_at", UTCDateTime()),
    )  # fmt: skip
    found = connection.execute(  # type: ignore[attr-defined]
        insert(course).returning(course.c.id),
        [{"registration_id": lms, "context_id": f"c{n}", "created_at": T0, "updated_at": T0}
         for n in range(count)],
    )  # fmt: skip
    return lms, [int(row[0]) for row in found]


def people_named(connection: object, lms: int, names: list[str]) -> list[int]:
    """People of the registration, each named and with their name (lowercased) as `sub`."""
    return _write(connection, Person, [
        {"registration_id": lms, "sub": name.lower(), "name": name, "created_at": T0,
         "updated_at": T0}
        for name in names
    ])  # fmt: skip


def test_0013_backfills_every_courses_students(tmp_path):
    url = fresh_database(tmp_path, create_schema=False, templates=tmp_path)
    upgrade(url, "0012_nudges_as_bulk_starts")
    engine = make_engine(url)
    with engine.begin() as connection:
        lms, courses = lms_with_courses(connection, 2)
        names = ["Tess", "Ada", "Ben", "Chloé"]
        staff, ada, ben, chloe = people_named(connection, lms, names)
        _write(connection, Membership, [
            {"course_id": course, "person_id": person, "role": role, "lti_roles": [],
             "active": True, "created_at": T0}
            for course in courses
            for person, role in ((staff, CourseRole.STAFF), (ada, CourseRole.STUDENT),
                                 (ben, CourseRole.STUDENT), (chloe, CourseRole.STUDENT))
        ])  # fmt: skip
        _write(connection, TutorAllocation, [
            {"course_id": courses[1], "student_id": chloe, "tutor_id": staff, "assigned_at": T0}
        ])  # fmt: skip
        threads = _write(connection, FeedbackThread, [
            {"course_id": course, "student_id": student, "title": "Essay", "created_at": T0,
             "last_message_at": T0}
            for course, student in ((courses[0], ada), (courses[1], ben))
        ])  # fmt: skip
        _write(connection, FeedbackMessage, [
            {"thread_id": thread, "author_id": author, "body": "…", "body_html": "…",
             "created_at": T0 + timedelta(hours=hours), "automated": False}
            for thread in threads
            for author, hours in ((staff, 0), (ada if thread == threads[0] else ben, 2))
        ])  # fmt: skip
    upgrade(url, "0013_student_summary")
    with Session(engine) as session:
        # the code's to fill in (read by a column 0013 has: later ones add to the table)
        assert session.scalars(select(StudentSummary.student_id)).all() == []
    upgrade(url)
    with Session(engine) as session:
        assert summarise_unsummarised(session) == []  # every student has a summary now
        for course in courses:
            stored, recomputed = stored_and_recomputed(session, course)
            assert stored == recomputed
            assert len(stored[0]) == 3  # Ada, Ben and Chloé
        first = session.get_one(StudentSummary, (courses[0], ada))
        assert (first.contact_by_id, first.contact_at) == (staff, T0)
        assert first.waiting_since == T0 + timedelta(hours=2)
        tutored = session.scalar(
            select(StudentSummary.tutor_id).where(
                StudentSummary.course_id == courses[1], StudentSummary.student_id == chloe
            )
        )
        assert tutored == staff
    engine.dispose()
