"""The student summary stays what a full recomputation says, after every kind of write that
changes a fact in it: feedback (personal, bulk, a student's answer that makes a bulk message
count, edits and deletions), check-in answers and their triage, check-in replies, replies under
introductions (hidden, shown again, the post deleted and restored), tutors, flags, memberships
(roles, activity, names), a check-in made anonymous or deleted, a person erased."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import Membership, StaffAnswer, StudentSummary
from lti_tool.models.course import CourseRole
from lti_tool.services.dashboard.summary import compute, summaries_for
from lti_tool.services.dashboard.tracking import UntrackedWriteError, defer_members
from tests.conftest import state
from tests.services.dashboard.summary_events import (
    EVENTS,
    make_world,
    staff_start_a_thread,
)


def stored_and_recomputed(session: Session, course_id: int) -> tuple[Any, Any]:
    """(what the summary tables hold, what a full recomputation says) for the course."""
    columns = [c.key for c in StudentSummary.__table__.columns]
    stored = {
        row.student_id: {c: getattr(row, c) for c in columns}
        for row in session.scalars(
            select(StudentSummary).where(StudentSummary.course_id == course_id)
        )
    }
    answers = sorted(
        session.execute(
            select(StaffAnswer.student_id, StaffAnswer.asked_at, StaffAnswer.answered_at).where(
                StaffAnswer.course_id == course_id
            )
        ).all()
    )
    rows, expected_answers = compute(session, course_id)
    expected = {row["student_id"]: row for row in rows}
    again = sorted((a["student_id"], a["asked_at"], a["answered_at"]) for a in expected_answers)
    return (stored, [tuple(a) for a in answers]), (expected, again)


def test_the_summary_equals_a_full_recomputation_after_every_kind_of_event(app):
    sessions = state(app).sessions
    world = make_world(sessions)
    changed = 0
    before = None
    for event in EVENTS:
        with transaction(sessions) as session:
            event(session, world)
        with sessions() as session:
            stored, recomputed = stored_and_recomputed(session, world.course)
        assert stored == recomputed, event.__name__
        changed += stored != before
        before = stored
    # Every event but the unanswered bulk start changed something the summary shows.
    assert changed >= len(EVENTS) - 2


def test_summaries_for_reads_the_facts_of_a_pages_students(app):
    sessions = state(app).sessions
    world = make_world(sessions)
    for event in EVENTS[:6]:
        with transaction(sessions) as session:
            event(session, world)
    with transaction(sessions) as session:
        ada, ben = world.ids["Ada"], world.ids["Ben"]
        found = summaries_for(session, world.course, [ada, ben, world.ids["Tess"]])
        assert set(found) == {ada, ben}  # staff have none
        assert found[ada].contact_by_id == world.ids["Theo"]
        assert found[ben].scores == [2] and found[ben].trend == "steady"
        assert found[ben].contact_kind == "feedback"  # the bulk message, now answered


def test_the_summary_is_current_within_the_transaction_that_wrote(app):
    """A page read in the same transaction as a write sees it (the summary is refreshed first)."""
    sessions = state(app).sessions
    world = make_world(sessions)
    with transaction(sessions) as session:
        staff_start_a_thread(session, world)
        found = summaries_for(session, world.course, [world.ids["Ada"]])
        assert found[world.ids["Ada"]].contact_at == world.clock


def test_a_write_whose_students_cannot_be_told_is_refused(app):
    """An executemany UPDATE that names its rows otherwise than by id: refused, not missed."""
    sessions = state(app).sessions
    world = make_world(sessions)
    members = Membership.__table__
    change_role = (
        update(members)
        .where(members.c.course_id == world.course, members.c.person_id == bindparam("who"))
        .values(role=CourseRole.STAFF)
    )
    with pytest.raises(UntrackedWriteError), transaction(sessions) as session:
        session.execute(change_role, [{"who": world.ids["Ada"]}, {"who": world.ids["Ben"]}])


LAUNCHES = {
    "a_member_of_staff_launches_as_a_student",
    "and_as_staff_again",
    "a_student_renamed_by_their_launch",
}


def test_what_a_launch_writes_is_summarised_by_a_job_after_it_commits(app):
    """A launch's person and membership (tracking.defer_members) reach the summary by the
    SUMMARISE_MEMBERS job: a change of role, back again and a new name each end as a full
    recomputation says, once the job has run."""
    sessions = state(app).sessions
    world = make_world(sessions)
    launches = 0
    for event in EVENTS:
        with transaction(sessions) as session:
            if event.__name__ in LAUNCHES:
                defer_members(session)
            event(session, world)
        if event.__name__ in LAUNCHES:
            launches += 1
            assert jobs(app).run_pending() == 1, event.__name__
        with sessions() as session:
            stored, recomputed = stored_and_recomputed(session, world.course)
        assert stored == recomputed, event.__name__
    assert launches == len(LAUNCHES)
