"""Migration 0015 adds what triage orders by; `rapport db upgrade` fills it in at the head for
the answers a database already holds, as the refresh every write uses would have (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import make_engine
from lti_tool.migrate import upgrade
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Occurrence,
)
from lti_tool.services.checkins.urgency import rank_unranked
from tests.databases import fresh_database
from tests.services.checkins.test_urgency import kept, recomputed
from tests.test_migration_0013 import _write, lms_with_courses, people_named

T0 = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def test_0015_ranks_the_answers_a_database_holds(tmp_path):
    url = fresh_database(tmp_path, create_schema=False, templates=tmp_path)
    upgrade(url, "0014_settings_history")
    engine = make_engine(url)
    with engine.begin() as connection:
        lms, (course,) = lms_with_courses(connection, 1)
        ada, ben = people_named(connection, lms, ["ada", "ben"])
        named, anonymous = _write(connection, CheckIn, [
            {"course_id": course, "title": title, "questions": [], "schedule": {},
             "anonymous": hidden, "graded": False, "created_at": T0}
            for title, hidden in (("Weekly", False), ("Pulse", True))
        ])  # fmt: skip
        weeks = _write(connection, Occurrence, [
            {"checkin_id": checkin, "number": n, "opens_at": T0 + timedelta(weeks=n),
             "closes_at": T0 + timedelta(weeks=n, days=6)}
            for checkin in (named, anonymous)
            for n in (1, 2)
        ])  # fmt: skip
        _write(connection, CheckInResponse, [
            {"occurrence_id": week, "student_id": student, "answers": {}, "score": score,
             "wants_talk": talk, "submitted_at": T0 + timedelta(weeks=n % 2 + 1),
             "updated_at": T0, "status": "new"}
            for n, week in enumerate(weeks)
            for student, score, talk in ((ada, 5 - 2 * (n % 2), False), (ben, 3, n == 1))
        ])  # fmt: skip
    upgrade(url, "0015_triage_order")
    with Session(engine) as session:
        ranks = session.scalars(select(CheckInResponse.triage_rank)).all()
        assert len(ranks) == 8 and set(ranks) == {None}  # the code's to fill in
    upgrade(url)
    with Session(engine) as session:
        assert rank_unranked(session) == []  # every answer is ranked now
        stored, tallies = recomputed(session)
        assert kept(session) == (stored, tallies)
        ada_second = session.scalars(
            select(CheckInResponse).where(
                CheckInResponse.student_id == ada, CheckInResponse.occurrence_id == weeks[1]
            )
        ).one()
        assert (ada_second.previous_score, ada_second.score) == (5, 3)
    engine.dispose()
