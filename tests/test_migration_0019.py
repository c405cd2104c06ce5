"""Migration 0019 adds to each student's summary whether their membership is active, filled in
from the memberships a database already holds (issue 15)."""

from __future__ import annotations

from sqlalchemy import column, select, table

from lti_tool.db import make_engine
from lti_tool.migrate import upgrade
from lti_tool.models import Membership, StudentSummary
from tests.databases import fresh_database
from tests.test_migration_0013 import T0, _write, lms_with_courses, people_named


def test_0019_tells_active_students_from_those_who_left(tmp_path):
    url = fresh_database(tmp_path, create_schema=False, templates=tmp_path)
    upgrade(url, "0018_notifications")
    engine = make_engine(url)
    with engine.begin() as connection:
        lms, (course,) = lms_with_courses(connection, 1)
        stays, left = people_named(connection, lms, ["stays", "left"])
        _write(connection, Membership, [
            {"course_id": course, "person_id": person, "role": "student", "active": active,
             "lti_roles": [], "created_at": T0}
            for person, active in ((stays, True), (left, False))
        ])  # fmt: skip
        # The summary's columns as 0018 has them (the model's defaults name later ones).
        summary = table("student_summary", column("course_id"), column("student_id"))
        connection.execute(
            summary.insert(),
            [{"course_id": course, "student_id": person} for person in (stays, left)],
        )
    upgrade(url, "0019_summary_active")
    with engine.connect() as connection:
        found = dict(
            connection.execute(
                select(StudentSummary.student_id, StudentSummary.active).order_by(
                    StudentSummary.student_id
                )
            ).all()
        )
    assert found == {stays: True, left: False}
    engine.dispose()
