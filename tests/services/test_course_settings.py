"""Course settings rules, without Flask: defaults, parsing, refusals, the change log, queries
(on the test database: SQLite, or PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select

from lti_tool.db import transaction
from lti_tool.models import Course, CourseSetting, Person, Registration
from lti_tool.models.course import CourseRole
from lti_tool.services import course_settings as cs
from lti_tool.services.access import CourseGrant
from lti_tool.services.archive.settings import END_DATE, GRACE_DAYS
from lti_tool.services.course_settings import (
    COURSE_TIME_ZONE,
    SettingSpec,
    course_settings,
    register_setting,
    registered_settings,
    settings_by_feature,
)
from lti_tool.services.feedback.settings import ALL_STAFF, STUDENTS_START, VISIBILITY
from lti_tool.services.newsfeed.settings import REACTIONS, REPLIES, STUDENT_INTRODUCTIONS
from lti_tool.services.refusals import Refused
from lti_tool.services.settings_changes import (
    GONE,
    can_change_settings,
    change_settings,
    recent_changes,
)
from tests.conftest import state

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
ALL_ON = {
    REPLIES: "on",
    REACTIONS: "on",
    STUDENT_INTRODUCTIONS: "on",
    STUDENTS_START: "on",
    COURSE_TIME_ZONE: "UTC",
}
GOAL = SettingSpec(
    key="test.contact_goal",
    feature="Relationships",
    label="Contact goal",
    help="Every student hears from a person within this many days.",
    default=14,
    kind="int",
    minimum=1,
    maximum=90,
)
TUTORS = SettingSpec(
    key="test.tutors",
    feature="Relationships",
    label="Tutor allocation",
    help="How students get their personal tutor.",
    default="manual",
    kind="choice",
    choices=(("manual", "Staff choose"), ("balanced", "Spread evenly")),
)


@pytest.fixture
def extra_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    """An int and a choice option, registered for one test (later features add real ones)."""
    for spec in (GOAL, TUTORS):
        monkeypatch.setitem(cs._SPECS, spec.key, spec)


@pytest.fixture
def sessions(app: Any) -> Any:
    return state(app).sessions


@pytest.fixture
def course(sessions: Any) -> tuple[int, int]:
    """(course id, id of a staff member called Grace Hopper)."""
    with transaction(sessions) as session:
        registration = Registration(
            issuer="https://lms.example.edu",
            client_id="c1",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
        )
        session.add(registration)
        session.flush()
        course = Course(registration_id=registration.id, context_id="course-1", title="Poetry")
        person = Person(registration_id=registration.id, sub="teacher", name="Grace Hopper")
        session.add_all([course, person])
        session.flush()
        return course.id, person.id


@contextmanager
def statements(sessions: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = sessions.kw["bind"]  # the app's engine, which every session of the app uses
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def save(sessions: Any, course: tuple[int, int], form: dict[str, Any], **kw: Any) -> list[Any]:
    with transaction(sessions) as session:
        changes = change_settings(session, course[0], course[1], form, kw.get("now", T0))
        return [(c.key, c.old_value, c.new_value) for c in changes]


# -- the registry -----------------------------------------------------------------------------
def test_the_registry_groups_options_by_feature_in_the_course_s_order():
    groups = dict(settings_by_feature())
    assert [feature for feature, _ in settings_by_feature()] == [
        "Course",
        "Newsfeed",
        "Feedback",
        "Check-ins",
        "Contact",
        "Notifications",  # not in FEATURE_ORDER: after those that are
    ]
    assert [s.key for s in groups["Course"]] == [COURSE_TIME_ZONE, END_DATE, GRACE_DAYS]
    assert [s.key for s in groups["Newsfeed"]] == [REPLIES, REACTIONS, STUDENT_INTRODUCTIONS]
    assert [s.key for s in groups["Feedback"]] == [VISIBILITY, STUDENTS_START]
    assert all(spec.help.endswith(".") for spec in registered_settings())


def test_an_option_whose_default_it_would_refuse_is_not_registered(monkeypatch):
    monkeypatch.setattr(cs, "_SPECS", {})
    with pytest.raises(ValueError, match="default"):
        register_setting(SettingSpec("x.y", "X", "Y", "Why.", default=0, kind="int", minimum=1))
    with pytest.raises(ValueError, match="default"):
        register_setting(
            SettingSpec("x.z", "X", "Z", "Zed.", default="Mars/Olympus", kind="time_zone")
        )
    assert cs._SPECS == {}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(CourseRole.STAFF, True), (CourseRole.STUDENT, False), (CourseRole.GUEST, False)],
)
def test_only_staff_change_settings(role, allowed):
    assert can_change_settings(CourseGrant(1, 2, role)) is allowed


# -- reading ----------------------------------------------------------------------------------
def test_a_course_without_choices_has_every_default_in_one_query(sessions, course):
    with transaction(sessions) as session, statements(sessions) as seen:
        values = course_settings(session, course[0])
    assert dict(values) == {spec.key: spec.default for spec in registered_settings()}
    assert (values[COURSE_TIME_ZONE], values[REPLIES], values[VISIBILITY]) == (
        "UTC",
        True,
        ALL_STAFF,
    )
    assert len(seen) == 1


def test_unknown_keys_are_ignored_and_stale_values_fall_back_to_the_default(
    sessions, course, extra_specs
):
    with transaction(sessions) as session:
        for key, value in [
            ("removed.feature", True),
            (REPLIES, "yes"),  # not a bool
            (REACTIONS, False),
            (GOAL.key, 400),  # out of today's range
            (TUTORS.key, "random"),  # a choice since withdrawn
            (COURSE_TIME_ZONE, "Europe/Berlin"),
        ]:
            session.add(CourseSetting(course_id=course[0], key=key, value=value))
    with transaction(sessions) as session, statements(sessions) as seen:
        values = course_settings(session, course[0])
        assert values[REPLIES] is True
        assert values[REACTIONS] is False
        assert values.number(GOAL.key) == 14
        assert values.text(TUTORS.key) == "manual"
        assert values[COURSE_TIME_ZONE] == "Europe/Berlin"
        assert "removed.feature" not in values
        assert len(values) == len(registered_settings())
    assert len(seen) == 1


# -- parsing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "value"),
    [(None, False), ("", False), ("on", True), ("ON ", True), ("1", True), ("off", False)],
)
def test_a_checkbox_absent_from_the_form_means_off(raw, value):
    assert cs._SPECS[REPLIES].parse(raw) is value


@pytest.mark.parametrize(
    ("spec", "raw", "value"),
    [
        (GOAL, " 7 ", 7),
        (GOAL, "1", 1),
        (GOAL, "90", 90),
        (TUTORS, "balanced", "balanced"),
        (cs._SPECS[COURSE_TIME_ZONE], " Australia/Perth ", "Australia/Perth"),
    ],
)
def test_values_that_fit_are_parsed(spec, raw, value):
    assert spec.parse(raw) == value


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        (cs._SPECS[REPLIES], "maybe", "Choose on or off."),
        (GOAL, "0", "Enter a whole number from 1 to 90."),
        (GOAL, "91", "Enter a whole number from 1 to 90."),
        (GOAL, "7.5", "Enter a whole number from 1 to 90."),
        (GOAL, "", "Enter a whole number from 1 to 90."),
        (GOAL, None, "Enter a whole number from 1 to 90."),
        (GOAL, "9" * 5000, "Enter a whole number from 1 to 90."),
        (TUTORS, "random", "Choose one of: Staff choose, Spread evenly."),
        (cs._SPECS[COURSE_TIME_ZONE], "Mars/Olympus", "“Mars/Olympus” is not a time zone"),
        (cs._SPECS[COURSE_TIME_ZONE], "", "Choose a time zone"),
        (cs._SPECS[COURSE_TIME_ZONE], "../../etc/passwd", "is not a time zone"),
        (cs._SPECS[COURSE_TIME_ZONE], "x" * 500, "is not a time zone"),
    ],
)
def test_values_that_do_not_fit_are_refused_with_what_to_enter(spec, raw, message):
    with pytest.raises(cs.SettingInvalid) as refused:
        spec.parse(raw)
    assert message in str(refused.value)
    assert len(str(refused.value)) < 200


# -- changing ---------------------------------------------------------------------------------
def test_a_save_records_only_what_changed_with_the_default_as_old_value(sessions, course):
    form = {**ALL_ON, REACTIONS: None, COURSE_TIME_ZONE: "Europe/London"}
    assert save(sessions, course, form) == [
        (COURSE_TIME_ZONE, "UTC", "Europe/London"),
        (REACTIONS, True, False),
    ]
    assert save(sessions, course, form) == []  # the same form again changes nothing
    later = {**form, REPLIES: None, REACTIONS: "on"}
    assert save(sessions, course, later, now=T0 + timedelta(hours=1)) == [
        (REPLIES, True, False),
        (REACTIONS, False, True),
    ]
    with transaction(sessions) as session:
        values = course_settings(session, course[0])
        assert (values[REPLIES], values[REACTIONS], values[COURSE_TIME_ZONE]) == (
            False,
            True,
            "Europe/London",
        )
        # One row per key however often it changes; each change in the history.
        assert session.scalar(select(func.count()).select_from(CourseSetting)) == 3
        assert len(recent_changes(session, course[0])) == 4


def test_a_refused_form_names_every_error_and_saves_nothing(sessions, course, extra_specs):
    form = {
        **ALL_ON,
        REPLIES: None,
        GOAL.key: "200",
        TUTORS.key: "nobody",
        COURSE_TIME_ZONE: "Mars/Olympus",
    }
    with pytest.raises(Refused) as refused:
        save(sessions, course, form)
    assert set(refused.value.errors) == {GOAL.key, TUTORS.key, COURSE_TIME_ZONE}
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(CourseSetting)) == 0
        assert recent_changes(session, course[0]) == []


def test_settings_are_per_course(sessions, course):
    with transaction(sessions) as session:
        other = Course(
            registration_id=session.get(Course, course[0]).registration_id, context_id="c2"
        )
        session.add(other)
        session.flush()
        other_id = other.id
    save(sessions, course, {**ALL_ON, REPLIES: None})
    with transaction(sessions) as session:
        assert course_settings(session, other_id)[REPLIES] is True
        assert recent_changes(session, other_id) == []


def test_two_saves_at_once_both_land_without_a_conflict(sessions, course, monkeypatch):
    """Both read "no row yet", then both write: the second updates the row the first made."""
    both_read = threading.Barrier(2, timeout=10)
    reading = cs.course_settings

    def read_then_wait(session: Any, course_id: int) -> Any:
        values = reading(session, course_id)
        both_read.wait()
        return values

    monkeypatch.setattr(cs, "course_settings", read_then_wait)
    failures: list[BaseException] = []

    def run(zone: str) -> None:
        try:
            save(sessions, course, {**ALL_ON, COURSE_TIME_ZONE: zone})
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(z,)) for z in ("Asia/Tokyo", "Europe/Paris")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    monkeypatch.setattr(cs, "course_settings", reading)
    with transaction(sessions) as session:
        assert course_settings(session, course[0])[COURSE_TIME_ZONE] in {
            "Asia/Tokyo",
            "Europe/Paris",
        }
        assert len(recent_changes(session, course[0])) == 2


# -- the change log ---------------------------------------------------------------------------
def test_the_change_log_is_newest_first_readable_and_one_query(sessions, course, extra_specs):
    save(sessions, course, {**ALL_ON, GOAL.key: "14", TUTORS.key: "balanced"})
    later = T0 + timedelta(days=1)
    save(
        sessions,
        course,
        {**ALL_ON, REPLIES: None, GOAL.key: "21", TUTORS.key: "balanced"},
        now=later,
    )
    with transaction(sessions) as session, statements(sessions) as seen:
        rows = recent_changes(session, course[0])
    assert len(seen) == 1
    assert [(r.who, r.when, r.label, r.old, r.new) for r in rows] == [
        ("Grace Hopper", later, "Contact goal", "14", "21"),
        ("Grace Hopper", later, "Replies", "On", "Off"),
        ("Grace Hopper", T0, "Tutor allocation", "Staff choose", "Spread evenly"),
    ]
    with transaction(sessions) as session:
        assert len(recent_changes(session, course[0], limit=2)) == 2


def test_the_change_log_outlives_people_and_removed_options(
    sessions, course, extra_specs, monkeypatch
):
    save(sessions, course, {**ALL_ON, GOAL.key: "30", TUTORS.key: "manual"})
    with transaction(sessions) as session:
        registration_id = session.get(Course, course[0]).registration_id
        nameless = Person(registration_id=registration_id, sub="nameless")
        session.add(nameless)
        session.flush()
    save(
        sessions,
        (course[0], nameless.id),
        {**ALL_ON, REACTIONS: None, GOAL.key: "30", TUTORS.key: "manual"},
    )
    with transaction(sessions) as session:
        session.execute(delete(Person).where(Person.id == course[1]))
    monkeypatch.delitem(cs._SPECS, GOAL.key)  # the feature that offered it is gone
    with transaction(sessions) as session:
        rows = recent_changes(session, course[0])
    assert [(r.who, r.label, r.old, r.new) for r in rows] == [
        (rows[0].who, "Reactions", "On", "Off"),
        (GONE, GOAL.key, "14", "30"),
    ]
    assert rows[0].who.startswith("Staff ")  # a stable fallback for a withheld name


def test_an_option_missing_from_the_form_keeps_its_value_but_a_missing_checkbox_is_off(
    sessions, course
):
    # (Options come in the order features registered them, which import order decides.)
    assert sorted(save(sessions, course, {COURSE_TIME_ZONE: "Europe/Paris", REPLIES: "on"})) == [
        (COURSE_TIME_ZONE, "UTC", "Europe/Paris"),
        (STUDENTS_START, True, False),
        (REACTIONS, True, False),
        (STUDENT_INTRODUCTIONS, True, False),
    ]
    # A form from before the time zone option existed: the zone stays, the boxes say what's on.
    assert sorted(
        save(sessions, course, {REPLIES: "on", REACTIONS: "on", STUDENTS_START: "on"})
    ) == [
        (STUDENTS_START, False, True),
        (REACTIONS, False, True),
    ]
    with transaction(sessions) as session:
        assert course_settings(session, course[0])[COURSE_TIME_ZONE] == "Europe/Paris"
