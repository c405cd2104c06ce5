"""Roster sync rules: upserts per page, who becomes inactive, names kept, the lease, statements."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from lti_tool.db import transaction
from lti_tool.i18n import keep, shown
from lti_tool.lti.nrps import MemberStatus, RosterMember, RosterPage
from lti_tool.lti.service_auth import PlatformEndpoint, ServiceError
from lti_tool.models import Course, Membership, Person, Registration
from lti_tool.models.course import CourseRole
from lti_tool.services.roster.service import (
    LEASE,
    MAX_ERROR_CHARS,
    RosterSync,
    claim_roster_sync,
    roster_is_stale,
    roster_refresh_allowed,
    roster_state,
    within,
)
from lti_tool.services.upsert import upsert
from tests.conftest import state

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def person(
    n: int,
    role: str = "Learner",
    *,
    private: bool = False,
    status: MemberStatus = MemberStatus.ACTIVE,
) -> RosterMember:
    if private:
        return RosterMember(f"user-{n}", (role,), status)
    return RosterMember(
        f"user-{n}", (role,), status, f"Person {n}", "Person", str(n), f"p{n}@example.edu"
    )


@dataclass
class Roster:
    """A platform's roster handed out in pages; records what the sync asked for."""

    members: list[RosterMember]
    page_size: int = 100
    fail_after: int | None = None
    words: str = "503 Service Unavailable"  # the status line a failing platform answers
    asked: list[tuple[PlatformEndpoint, str]] = field(default_factory=list)

    def pages(self, platform: PlatformEndpoint, url: str) -> Iterator[RosterPage]:
        self.asked.append((platform, url))
        for number, start in enumerate(range(0, len(self.members), self.page_size)):
            if self.fail_after is not None and number >= self.fail_after:
                refused = keep("the platform refused the roster: %(words)s", words=self.words)
                raise ServiceError(refused, 503)
            chunk = self.members[start : start + self.page_size]
            yield RosterPage(
                f"{url}?page={number}", chunk, start + self.page_size < len(self.members)
            )


@pytest.fixture
def course_id(app) -> int:
    with transaction(state(app).sessions) as session:
        registration = Registration(
            issuer="https://lms.example.edu",
            client_id="client-1",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
        )
        session.add(registration)
        session.flush()
        course = Course(
            registration_id=registration.id,
            context_id="course-1",
            nrps_url="https://lms.example.edu/nrps",
        )
        session.add(course)
        session.flush()
        return course.id


def sync(app, course_id: int, roster: Roster, at: datetime):
    sessions = state(app).sessions
    with transaction(sessions) as session:
        lease = claim_roster_sync(session, course_id, at, synced_before=at)
    assert lease is not None
    ticks = iter(range(1, 1_000_000))
    clock = lambda: at + timedelta(milliseconds=next(ticks))  # noqa: E731
    return RosterSync(sessions, roster, clock, erasure_key=state(app).settings.secret_key).run(
        course_id, lease
    )


def members(app, course_id: int) -> dict[str, Membership]:
    with transaction(state(app).sessions) as session:
        rows = session.scalars(select(Membership).where(Membership.course_id == course_id))
        return {m.person.sub: m for m in rows}


def test_a_roster_of_pages_becomes_people_and_memberships_with_their_roles(app, course_id):
    roster = Roster(
        [
            person(1, "Instructor"),
            person(2),
            person(3, LIS + "#Learner"),
            person(4, LIS + "/Instructor#TeachingAssistant"),
            person(5, "Mentor"),
        ],
        page_size=2,
    )
    result = sync(app, course_id, roster, T0)
    assert (result.pages, result.members, result.error) == (3, 5, None)
    assert roster.asked[0][1] == "https://lms.example.edu/nrps"
    assert roster.asked[0][0].token_url == "https://lms.example.edu/token"
    rows = members(app, course_id)
    assert {sub: m.role for sub, m in rows.items()} == {
        "user-1": CourseRole.STAFF,
        "user-2": CourseRole.STUDENT,
        "user-3": CourseRole.STUDENT,
        "user-4": CourseRole.STAFF,
        "user-5": CourseRole.GUEST,
    }
    assert rows["user-2"].person.name == "Person 2"
    assert rows["user-2"].person.email == "p2@example.edu"
    assert all(m.active and m.roster_status == "Active" for m in rows.values())
    with transaction(state(app).sessions) as session:
        course = session.get(Course, course_id)
        assert course.roster_synced_at > T0
        assert (course.roster_sync_started_at, course.roster_sync_error) == (None, None)


def test_withheld_names_fall_back_and_never_erase_a_name_a_launch_brought(app, course_id):
    with transaction(state(app).sessions) as session:
        registration_id = session.get(Course, course_id).registration_id
        upsert(
            session,
            Person,
            {"registration_id": registration_id, "sub": "user-1"},
            {"name": "Ada Lovelace", "email": "ada@example.edu"},
        )
    sync(app, course_id, Roster([person(1, private=True), person(2, private=True)]), T0)
    rows = members(app, course_id)
    assert rows["user-1"].person.name_as("Student") == "Ada Lovelace"
    assert rows["user-1"].person.email == "ada@example.edu"
    fallback = rows["user-2"].person.name_as("Student")
    assert fallback == f"Student {rows['user-2'].person.short_code}"
    assert len(fallback) == len("Student 4f2a")
    # A launch brings user-2's name; the next privacy-limited roster keeps it.
    with transaction(state(app).sessions) as session:
        upsert(
            session,
            Person,
            {"registration_id": registration_id, "sub": "user-2"},
            {"name": "Grace Hopper"},
        )
    sync(
        app,
        course_id,
        Roster([person(1, private=True), person(2, private=True)]),
        T0 + timedelta(hours=1),
    )
    assert members(app, course_id)["user-2"].person.name == "Grace Hopper"


def test_members_who_leave_become_inactive_and_come_back_active(app, course_id):
    everyone = [person(n) for n in range(10)]
    sync(app, course_id, Roster(everyone, page_size=3), T0)
    result = sync(app, course_id, Roster(everyone[:8], page_size=3), T0 + timedelta(hours=1))
    assert result.deactivated == 2
    rows = members(app, course_id)
    assert len(rows) == 10  # never deleted
    assert {s for s, m in rows.items() if not m.active} == {"user-8", "user-9"}
    sync(app, course_id, Roster(everyone, page_size=3), T0 + timedelta(hours=2))
    assert all(m.active for m in members(app, course_id).values())


def test_inactive_and_deleted_statuses_are_honoured(app, course_id):
    sync(app, course_id, Roster([person(1), person(2), person(3)]), T0)
    later = [
        person(1),
        person(2, status=MemberStatus.INACTIVE),
        person(3, status=MemberStatus.DELETED),
    ]
    sync(app, course_id, Roster(later), T0 + timedelta(hours=1))
    rows = members(app, course_id)
    assert [(rows[s].active, rows[s].roster_status) for s in ("user-1", "user-2", "user-3")] == [
        (True, "Active"),
        (False, "Inactive"),
        (False, "Deleted"),
    ]


def test_launchers_missing_from_the_roster_become_inactive_unless_they_launched_meanwhile(
    app, course_id
):
    with transaction(state(app).sessions) as session:
        course = session.get(Course, course_id)
        for sub, launched in (("early", T0 - timedelta(days=1)), ("during", T0 + timedelta(1))):
            person_id = upsert(
                session, Person, {"registration_id": course.registration_id, "sub": sub}, {}
            )
            session.add(
                Membership(
                    course_id=course_id,
                    person_id=person_id,
                    role=CourseRole.STUDENT,
                    last_launch_at=launched,
                )
            )
    sync(app, course_id, Roster([person(1)]), T0)
    rows = members(app, course_id)
    assert (rows["early"].active, rows["during"].active, rows["user-1"].active) == (
        False,
        True,
        True,
    )


def test_an_empty_roster_deactivates_nobody(app, course_id):
    sync(app, course_id, Roster([person(1), person(2)]), T0)
    result = sync(app, course_id, Roster([]), T0 + timedelta(hours=1))
    assert result.deactivated == 0
    assert all(m.active for m in members(app, course_id).values())


def test_a_failed_sync_keeps_the_platforms_words_and_changes_no_one(app, course_id):
    sync(app, course_id, Roster([person(n) for n in range(5)]), T0)
    at = T0 + timedelta(hours=2)
    result = sync(app, course_id, Roster([person(n) for n in range(3)], 1, fail_after=2), at)
    assert result.error == "the platform refused the roster: 503 Service Unavailable"
    assert all(m.active for m in members(app, course_id).values())  # roster incomplete
    with transaction(state(app).sessions) as session:
        course = session.get(Course, course_id)
        # Stored as its msgid and values, to be shown in each reader's language.
        assert course.roster_sync_error.startswith('{"said": ')
        assert shown(course.roster_sync_error) == result.error
        assert roster_state(course, at).error == result.error
        assert course.roster_synced_at < at  # the last good sync
        assert not roster_is_stale(course, at + timedelta(minutes=1))  # no retry at once
        assert roster_is_stale(course, at + timedelta(minutes=6))
        assert not roster_refresh_allowed(course, at + timedelta(seconds=30))
        assert roster_refresh_allowed(course, at + timedelta(minutes=2))
        assert (
            claim_roster_sync(session, course_id, at + timedelta(minutes=1), synced_before=at)
            is not None
        )


def test_one_sync_at_a_time_and_a_stuck_one_gives_way(app, course_id):
    sessions = state(app).sessions
    with transaction(sessions) as session:
        first = claim_roster_sync(session, course_id, T0, synced_before=T0)
    with transaction(sessions) as session:
        assert claim_roster_sync(session, course_id, T0 + LEASE / 2, synced_before=T0) is None
        late = T0 + LEASE + timedelta(seconds=1)
        second = claim_roster_sync(session, course_id, late, synced_before=late)
    assert first and second
    stuck = RosterSync(sessions, Roster([person(1)]), lambda: late, erasure_key="k").run(
        course_id, first
    )
    assert stuck.error == "another roster sync of this course took over"
    assert members(app, course_id) == {}
    done = RosterSync(sessions, Roster([person(1)]), lambda: late, erasure_key="k").run(
        course_id, second
    )
    assert (done.members, done.error) == (1, None)


def test_a_fresh_roster_is_not_claimed_again(app, course_id):
    sync(app, course_id, Roster([person(1)]), T0)
    with transaction(state(app).sessions) as session:
        soon = T0 + timedelta(minutes=30)
        assert (
            claim_roster_sync(session, course_id, soon, synced_before=soon - timedelta(hours=1))
            is None
        )


def _course(**fields) -> Course:
    values = {
        "nrps_url": "https://lms/nrps",
        "roster_synced_at": None,
        "roster_sync_started_at": None,
        "roster_sync_error": None,
        **fields,
    }
    return Course(**values)


@pytest.mark.parametrize(
    ("fields", "stale"),
    [
        ({}, True),
        ({"nrps_url": None}, False),
        ({"roster_synced_at": T0 - timedelta(minutes=59)}, False),
        ({"roster_synced_at": T0 - timedelta(minutes=60)}, True),
        ({"roster_sync_started_at": T0 - timedelta(minutes=2)}, False),  # running
        ({"roster_sync_started_at": T0 - LEASE - timedelta(seconds=1)}, True),  # stuck
        ({"roster_sync_started_at": T0 - timedelta(minutes=2), "roster_sync_error": "x"}, False),
        ({"roster_sync_started_at": T0 - timedelta(minutes=5), "roster_sync_error": "x"}, True),
    ],
)
def test_when_a_staff_launch_syncs_the_roster(fields, stale):
    assert roster_is_stale(_course(**fields), T0) is stale


def test_the_interval_is_configurable():
    course = _course(roster_synced_at=T0 - timedelta(minutes=10))
    assert not roster_is_stale(course, T0)
    assert roster_is_stale(course, T0, timedelta(minutes=5))


@pytest.mark.parametrize(
    ("fields", "allowed"),
    [
        ({}, True),
        ({"nrps_url": None}, False),
        ({"roster_synced_at": T0 - timedelta(seconds=30)}, False),
        ({"roster_synced_at": T0 - timedelta(seconds=61)}, True),
        ({"roster_sync_started_at": T0 - timedelta(seconds=5)}, False),
        ({"roster_sync_started_at": T0 - timedelta(seconds=61), "roster_sync_error": "x"}, True),
    ],
)
def test_when_the_refresh_button_may_start_a_sync(fields, allowed):
    assert roster_refresh_allowed(_course(**fields), T0) is allowed


def _statements_per_page(app, course_id: int, size: int, page_size: int, at: datetime):
    """Statements each page of the sync sent, counted at the database driver."""
    engine = state(app).engine
    count = [0]
    inserts: list[int] = []

    def counter(
        _conn: object, _cursor: object, statement: str, parameters: object, *_rest: object
    ) -> None:
        count[0] += 1
        if statement.startswith(("INSERT INTO person", "INSERT INTO membership")):
            inserts.append(len(parameters))  # type: ignore[arg-type]

    class Counted(Roster):
        def pages(self, platform: PlatformEndpoint, url: str) -> Iterator[RosterPage]:
            for page in super().pages(platform, url):
                before = count[0]
                yield page  # the sync writes this page before asking for the next
                per_page.append(count[0] - before)

    per_page: list[int] = []
    event.listen(engine, "before_cursor_execute", counter)
    try:
        started = time.perf_counter()
        result = sync(app, course_id, Counted([person(n) for n in range(size)], page_size), at)
        elapsed = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert result.members == size and result.error is None
    # Each INSERT carries a whole page: parameters for every member, in one statement.
    assert inserts and min(inserts) >= min(page_size, 1000) * 3
    return per_page, count[0], elapsed


def test_five_thousand_members_sync_with_a_constant_number_of_statements_per_page(app, course_id):
    small, total_small, _ = _statements_per_page(app, course_id, 5000, 100, T0)
    assert len(small) == 50
    # renew the lease; upsert people, returning their ids; upsert memberships
    assert set(small) == {3}
    large, _, _ = _statements_per_page(app, course_id, 5000, 1000, T0 + timedelta(hours=1))
    assert large == [3] * 5
    # A second sync of the same roster (every row now an update) costs the same per page; at
    # its end, one query finds every student's dashboard summary already there (the first
    # sync wrote them: a few statements more, once).
    again, total, elapsed = _statements_per_page(app, course_id, 5000, 100, T0 + timedelta(hours=2))
    assert again == small and total <= total_small <= total + 10
    assert total <= 3 * 50 + 10
    print(f"\n5,000 members in 50 pages: {total} statements, {elapsed:.2f} s")


def test_a_long_failure_is_kept_whole_with_its_words_cut(app, course_id):
    """The platform's words may be long (a status line, a URL): the stored message stays a
    message Rapport can show, its values cut to fit the column."""
    at = T0 + timedelta(hours=2)
    words = "503 " + "x" * 5000
    result = sync(app, course_id, Roster([person(1)], 1, fail_after=0, words=words), at)
    assert result.error == f"the platform refused the roster: {words}"  # the log has it all
    with transaction(state(app).sessions) as session:
        stored = session.get(Course, course_id).roster_sync_error
    assert len(stored) <= MAX_ERROR_CHARS
    assert shown(stored).startswith("the platform refused the roster: 503 xxx")


def test_within_cuts_values_nested_or_not_and_plain_text():
    inner = keep("%(host)s cannot be resolved", host="h" * 3000)
    outer = keep("token request to %(url)s failed: %(reason)s", url="u" * 3000, reason=inner)
    cut = within(outer, 1000)
    assert len(cut) <= 1000
    said = shown(cut)
    assert said.startswith("token request to uuu") and said.endswith("hhh cannot be resolved")
    assert within(outer, 10_000) == outer
    assert within("x" * 3000, 2000) == "x" * 2000
