"""The grades service and its delivery queue: rules pinned one at a time, on the test database
(SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.i18n import keep, shown, speaking
from lti_tool.lti.ags import LineItem
from lti_tool.models import (
    Course,
    DeliveryStatus,
    GradableActivity,
    GradeDelivery,
    Person,
    Registration,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.grades import queue
from lti_tool.services.grades.queue import Outcome, Result, RetryPolicy
from lti_tool.services.grades.service import (
    ActivitySpec,
    InvalidScore,
    activity_deliveries,
    can_manage_grades,
    pick_line_item,
    record_score,
    retry_failed,
)
from tests.conftest import state
from tests.databases import TEST_DATABASE_URL

T0 = datetime(2026, 3, 2, 9, 0, 0, 250_000, tzinfo=UTC)
QUIZ = ActivitySpec("checkin:1", "Week 1 check-in", 10, resource_link_id="link-1")


# -- factories --------------------------------------------------------------------------------
def make_registration(session: Any, issuer: str = "https://lms.example.edu") -> Registration:
    row = Registration(
        issuer=issuer,
        client_id="c1",
        auth_login_url=issuer + "/auth",
        auth_token_url=issuer + "/token",
    )
    session.add(row)
    session.flush()
    return row


def make_course(session: Any, registration: Registration | None = None) -> Course:
    registration = registration or make_registration(session)
    course = Course(registration_id=registration.id, context_id="course-1", title="Poetry")
    session.add(course)
    session.flush()
    return course


def make_person(session: Any, course: Course, sub: str) -> Person:
    person = Person(registration_id=course.registration_id, sub=sub, name=sub.title())
    session.add(person)
    session.flush()
    return person


def statuses(session: Any) -> list[tuple[int, DeliveryStatus]]:
    rows = session.execute(
        select(GradeDelivery.id, GradeDelivery.status).order_by(GradeDelivery.id)
    )
    return [(i, DeliveryStatus(s)) for i, s in rows]


def claim_next(session: Any, now: datetime, paused: Any = ()) -> GradeDelivery | None:
    """The first row of the batch a worker would claim now."""
    batch = queue.claim_batch(session, now, paused)
    return batch[0].delivery if batch else None


def has_newer(session: Any, delivery: GradeDelivery) -> bool:
    return bool(session.scalar(queue.newer_score(delivery).select()))


@pytest.fixture
def db(app):
    with transaction(state(app).sessions) as session:
        yield session


# -- who may see and retry --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "allowed"),
    [(CourseRole.STAFF, True), (CourseRole.STUDENT, False), (CourseRole.GUEST, False)],
)
def test_only_staff_manage_grades(role, allowed):
    assert can_manage_grades(CourseGrant(1, 2, role)) is allowed


# -- recording --------------------------------------------------------------------------------
def test_a_score_creates_its_activity_once_and_waits_to_be_sent(db):
    course = make_course(db)
    ada = make_person(db, course, "ada")
    first = record_score(db, course, QUIZ, ada, 7, now=T0)
    renamed = ActivitySpec(QUIZ.key, "Week 1 check-in (renamed)", 10, "link-1")
    second = record_score(db, course, renamed, make_person(db, course, "alan"), 9, now=T0)
    activities = db.scalars(select(GradableActivity)).all()
    assert len(activities) == 1 and activities[0].label == "Week 1 check-in (renamed)"
    assert first.activity_id == second.activity_id == activities[0].id
    assert first.status is DeliveryStatus.WAITING and first.next_attempt_at == T0
    assert (first.score_given, first.score_maximum, first.scored_at) == (7, 10, T0)


def test_a_newer_score_supersedes_the_undelivered_ones_for_the_same_person_only(db):
    course = make_course(db)
    ada, alan = make_person(db, course, "ada"), make_person(db, course, "alan")
    waiting = record_score(db, course, QUIZ, ada, 3, now=T0)
    failed = record_score(db, course, ActivitySpec("other", "Other", 5), ada, 1, now=T0)
    db.execute(
        GradeDelivery.__table__.update()
        .where(GradeDelivery.id == failed.id)
        .values(status="failed")
    )
    record_score(db, course, QUIZ, alan, 4, now=T0)
    newer = record_score(db, course, QUIZ, ada, 8, now=T0 + timedelta(seconds=1))
    assert dict(statuses(db))[waiting.id] is DeliveryStatus.SUPERSEDED
    assert dict(statuses(db))[failed.id] is DeliveryStatus.FAILED  # another activity
    assert [s for _, s in statuses(db)].count(DeliveryStatus.WAITING) == 2
    assert dict(statuses(db))[newer.id] is DeliveryStatus.WAITING


@pytest.mark.parametrize(
    ("given", "maximum"), [(-1, 10), (float("nan"), 10), (5, 0), (5, float("inf"))]
)
def test_scores_that_cannot_be_sent_are_refused_at_once(db, given, maximum):
    course = make_course(db)
    with pytest.raises(InvalidScore):
        record_score(db, course, QUIZ, make_person(db, course, "ada"), given, maximum)


def test_a_person_from_another_platform_cannot_be_graded_here(db):
    course = make_course(db)
    elsewhere = make_course(db, make_registration(db, "https://other.example.edu"))
    with pytest.raises(InvalidScore):
        record_score(db, course, QUIZ, make_person(db, elsewhere, "ada"), 5)


def test_over_the_maximum_is_accepted_for_the_platform_to_judge(db):
    course = make_course(db)
    row = record_score(db, course, QUIZ, make_person(db, course, "ada"), 12)
    assert row.score_given == 12 and row.score_maximum == 10


# -- the queue --------------------------------------------------------------------------------
def test_a_newer_row_waits_while_an_older_one_for_the_pair_is_unsettled(db):
    course = make_course(db)
    ada, alan = make_person(db, course, "ada"), make_person(db, course, "alan")
    older = record_score(db, course, QUIZ, ada, 3, now=T0)
    # As if a worker held `older` while the newer score came: SKIP LOCKED left it waiting.
    newer = GradeDelivery(
        activity_id=older.activity_id,
        person_id=ada.id,
        score_maximum=10,
        score_given=9,
        scored_at=T0,
        next_attempt_at=T0,
    )
    db.add(newer)
    other = record_score(db, course, QUIZ, alan, 4, now=T0 + timedelta(seconds=5))
    now = T0 + timedelta(minutes=1)
    assert claim_next(db, now) is older
    # A batch holds one row of each pair: ada's oldest and alan's, never ada's newer too.
    batch = queue.claim_batch(db, now, limit=10)
    assert [(c.delivery, c.moot) for c in batch] == [(older, True), (other, False)]
    db.execute(
        GradeDelivery.__table__.update()
        .where(GradeDelivery.id == older.id)
        .values(next_attempt_at=T0 + timedelta(hours=1))
    )
    assert claim_next(db, now) is other  # ada's newer score still waits for the older
    assert has_newer(db, older)
    db.execute(
        GradeDelivery.__table__.update().where(GradeDelivery.id == older.id).values(status="sent")
    )
    db.execute(
        GradeDelivery.__table__.update().where(GradeDelivery.id == other.id).values(status="sent")
    )
    assert claim_next(db, now) is newer


def test_rows_of_a_paused_platform_are_left_alone(db):
    course = make_course(db)
    row = record_score(db, course, QUIZ, make_person(db, course, "ada"), 3, now=T0)
    later = T0 + timedelta(minutes=1)
    assert claim_next(db, later, [course.registration_id]) is None
    assert claim_next(db, later, [course.registration_id + 1]) is row
    assert claim_next(db, T0 - timedelta(seconds=1)) is None  # not due yet


@pytest.mark.parametrize(
    ("last_sent", "expected", "regrade"),
    [
        (None, T0, False),
        (T0.replace(microsecond=0), T0.replace(microsecond=0) + timedelta(seconds=1), True),
        (T0 + timedelta(milliseconds=500), T0.replace(microsecond=0) + timedelta(seconds=1), True),
        (T0 - timedelta(seconds=2), T0, True),
        (T0 + timedelta(seconds=30), T0.replace(microsecond=0) + timedelta(seconds=31), True),
    ],
)
def test_timestamps_move_to_a_later_whole_second_than_the_last_one_sent(
    db, last_sent, expected, regrade
):
    course = make_course(db)
    ada = make_person(db, course, "ada")
    if last_sent is not None:
        sent = record_score(db, course, QUIZ, ada, 1, now=last_sent)
        db.execute(
            GradeDelivery.__table__.update()
            .where(GradeDelivery.id == sent.id)
            .values(status="sent")
        )
    row = record_score(db, course, QUIZ, ada, 2, now=T0)
    last = queue.last_sent(db, [row]).get((row.activity_id, ada.id))
    assert queue.send_timestamp(row, last) == (expected, regrade)
    last = queue.last_sent(db, [row]).get((row.activity_id, ada.id))
    assert queue.send_timestamp(row, last) == (expected, regrade)  # the same on every attempt


def test_a_retry_is_rescheduled_and_a_refusal_keeps_the_platforms_words(db):
    course = make_course(db)
    ada, alan = make_person(db, course, "ada"), make_person(db, course, "alan")
    retry = record_score(db, course, QUIZ, ada, 3, now=T0)
    refused = record_score(db, course, QUIZ, alan, 3, now=T0)
    later = T0 + timedelta(minutes=5)
    queue.record_outcome(db, retry, Outcome(Result.RETRY, "503 busy"), T0, later, 25)
    queue.record_outcome(db, refused, Outcome(Result.REFUSED, "400 Incorrect score"), T0, later, 25)
    db.expire_all()
    assert (retry.status, retry.attempts, retry.next_attempt_at, retry.last_error) == (
        DeliveryStatus.WAITING,
        1,
        later,
        "503 busy",
    )
    assert (refused.status, refused.last_error) == (DeliveryStatus.FAILED, "400 Incorrect score")


def test_a_retry_gives_way_to_a_newer_score_and_gives_up_after_the_last_attempt(db):
    course = make_course(db)
    ada, alan = make_person(db, course, "ada"), make_person(db, course, "alan")
    older = record_score(db, course, QUIZ, ada, 3, now=T0)
    db.add(
        GradeDelivery(
            activity_id=older.activity_id,
            person_id=ada.id,
            score_maximum=10,
            score_given=9,
            scored_at=T0,
            next_attempt_at=T0,
        )
    )
    tired = record_score(db, course, QUIZ, alan, 3, now=T0)
    db.execute(
        GradeDelivery.__table__.update().where(GradeDelivery.id == tired.id).values(attempts=24)
    )
    db.expire_all()
    queue.record_outcome(db, older, Outcome(Result.RETRY, "timeout"), T0, T0, 25)
    busy = keep("the platform refused an access token: %(words)s", words="503")
    queue.record_outcome(db, tired, Outcome(Result.RETRY, busy), T0, T0, 25)
    db.expire_all()
    assert older.status is DeliveryStatus.SUPERSEDED
    assert tired.status is DeliveryStatus.FAILED
    # Kept with the last answer inside it, each shown in the reader's language.
    with speaking("en"):
        said = shown(tired.last_error)
    assert (
        said == "Gave up after 25 attempts. Last answer: the platform refused an access token: 503"
    )


def test_an_older_score_never_goes_out_after_a_newer_one(db):
    """A worker held the older row while the newer came (PostgreSQL skips locked rows)."""
    course = make_course(db)
    ada = make_person(db, course, "ada")
    older = record_score(db, course, QUIZ, ada, 3, now=T0)
    newer = GradeDelivery(
        activity_id=older.activity_id,
        person_id=ada.id,
        score_maximum=10,
        score_given=9,
        scored_at=T0,
        next_attempt_at=T0,
        status="sent",
    )
    db.add(newer)
    db.flush()
    assert has_newer(db, older)  # claimed now, it would be settled as superseded
    queue.record_outcome(db, older, Outcome(Result.REFUSED, "403"), T0, T0, 25)
    db.expire_all()
    assert (older.status, older.last_error) == (DeliveryStatus.SUPERSEDED, "403")
    db.execute(
        GradeDelivery.__table__.update().where(GradeDelivery.id == older.id).values(status="failed")
    )
    assert retry_failed(db, course.id, older.activity_id, older.id, now=T0) == 0


def test_backoff_grows_with_jitter_up_to_a_cap_and_retry_after_wins():
    policy = RetryPolicy(base_seconds=30, cap_seconds=3600)
    rng = random.Random(1)
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (8, 3600), (30, 3600)]:
        delays = {policy.delay(attempts, rng, None) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered
    assert policy.delay(5, rng, 7.0) == 7.0
    assert policy.delay(5, rng, 10**9) == policy.max_retry_after_seconds


# -- staff: the list and retry ----------------------------------------------------------------
def test_staff_retry_requeues_refused_scores_of_their_course_only(db):
    course = make_course(db)
    ada, alan = make_person(db, course, "ada"), make_person(db, course, "alan")
    one = record_score(db, course, QUIZ, ada, 3, now=T0)
    two = record_score(db, course, QUIZ, alan, 3, now=T0)
    for row in (one, two):
        db.execute(
            GradeDelivery.__table__.update()
            .where(GradeDelivery.id == row.id)
            .values(status="failed", attempts=3, last_error="403")
        )
    assert retry_failed(db, course.id + 1, one.activity_id) == 0
    assert retry_failed(db, course.id, one.activity_id, one.id, now=T0) == 1
    assert retry_failed(db, course.id, one.activity_id, now=T0) == 1
    assert retry_failed(db, course.id, one.activity_id, now=T0) == 0
    listing = activity_deliveries(db, course.id, one.activity_id)
    assert listing is not None
    assert [(d.id, d.status, d.attempts) for d in listing.deliveries] == [
        (two.id, DeliveryStatus.WAITING, 0),
        (one.id, DeliveryStatus.WAITING, 0),
    ]
    assert activity_deliveries(db, course.id + 1, one.activity_id) is None


# -- line items -------------------------------------------------------------------------------
def test_the_line_item_is_ours_by_resource_id_or_the_links_own_unclaimed_column():
    activity = GradableActivity(
        key="checkin:1", label="x", score_maximum=10, resource_link_id="link-1", tag="checkin"
    )
    theirs = LineItem("u/1", "A", 10, resource_link_id="link-1", resource_id="feedback:2")
    links_own = LineItem("u/2", "B", 10, resource_link_id="link-1")
    tagged = LineItem("u/3", "C", 10, resource_link_id="link-1", tag="checkin")
    ours = LineItem("u/4", "D", 10, resource_id="checkin:1")
    assert pick_line_item([theirs, links_own, tagged, ours], activity) is ours
    assert pick_line_item([theirs, links_own, tagged], activity) is tagged
    assert pick_line_item([theirs, links_own], activity) is links_own
    assert pick_line_item([theirs], activity) is None
    unlinked = GradableActivity(key="checkin:1", label="x", score_maximum=10)
    assert pick_line_item([links_own], unlinked) is None


# -- PostgreSQL: a row a worker holds ---------------------------------------------------------
@pytest.mark.skipif(not TEST_DATABASE_URL, reason="row locks need PostgreSQL (TEST_DATABASE_URL)")
def test_a_row_being_sent_is_not_superseded_under_the_worker(app):
    sessions = state(app).sessions
    with transaction(sessions) as session:
        course = make_course(session)
        ada = make_person(session, course, "ada")
        older = record_score(session, course, QUIZ, ada, 3, now=T0)
        ids = (course.id, ada.id, older.id, older.activity_id)
    with sessions() as worker, worker.begin():
        claimed = claim_next(worker, T0 + timedelta(seconds=1))
        assert claimed is not None and claimed.id == ids[2]
        with transaction(sessions) as request:
            assert queue.supersede_undelivered(request, ids[3], ids[1]) == 0  # locked: skipped
        with sessions() as second_worker, second_worker.begin():
            assert claim_next(second_worker, T0 + timedelta(seconds=1)) is None
    with transaction(sessions) as session:
        assert queue.supersede_undelivered(session, ids[3], ids[1]) == 1
