"""The activity log itself, without Flask: recording only registered actions, who may read it
(a table of roles), the page newest first in pages of fifty, each course's own entries only,
names as they are now, and the same few queries for a log of any length."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, event, update

from lti_tool.models import Person
from lti_tool.models.course import CourseRole
from lti_tool.services import audit
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import (
    GONE,
    PAGE_SIZE,
    AuditAction,
    AuditFacts,
    activity_page,
    can_read_activity_log,
    person_ids_in,
    record,
    registered_actions,
)
from lti_tool.services.refusals import Refused
from tests.services.audit.world import T0, World, build_world

TEST_ACTION = "test.tutor_named"


@pytest.fixture(autouse=True)
def _test_action(monkeypatch):
    """An action naming a tutor in its details, registered for these tests only."""
    action = AuditAction(
        TEST_ACTION, lambda e: ("named ", e.name("tutor_person_id"), " tutor of ", e.subject_name)
    )
    monkeypatch.setitem(audit._ACTIONS, TEST_ACTION, action)


def log(world: World, count: int, actor: str = "Margaret Chen", start: int = 0) -> None:
    with world.session() as session:
        for n in range(start, start + count):
            record(
                session,
                world.course_id,
                world.ids[actor],
                TEST_ACTION,
                subject=f"entry {n}",
                details={"tutor_person_id": world.ids["Tomás Ruiz"], "n": n},
                about=world.ids["Amara Okafor"],
                now=T0 + timedelta(minutes=n),
            )


def page(world: World, number: int = 1, who: str = "Margaret Chen") -> audit.ActivityPage:
    with world.session() as session:
        return activity_page(session, world.grant(who), number)


def test_only_registered_actions_are_recorded(world):
    with pytest.raises(ValueError, match="no audit action"), world.session() as session:
        record(session, world.course_id, None, "news.publishd")
    assert world.entries() == []


@pytest.mark.parametrize(
    ("role", "leads", "allowed"),
    [
        (CourseRole.STAFF, True, True),  # instructor, course administrator
        (CourseRole.STAFF, None, True),  # staff whose LIS roles are not known: they run it
        (CourseRole.STAFF, False, False),  # teaching assistant
        (CourseRole.STUDENT, None, False),
        (CourseRole.GUEST, None, False),  # mentor and everyone else
    ],
)
def test_who_reads_the_activity_log(world, role, leads, allowed):
    grant = CourseGrant(world.course_id, world.ids["Margaret Chen"], role, leads=leads)
    assert can_read_activity_log(grant) is allowed
    log(world, 1)
    with world.session() as session:
        if allowed:
            assert len(activity_page(session, grant).lines) == 1
        else:
            with pytest.raises(Refused) as refused:
                activity_page(session, grant)
            assert refused.value.status == 403


def test_the_page_reads_newest_first_in_pages_of_fifty(world):
    log(world, PAGE_SIZE * 2 + 5)  # entry n is n minutes after T0
    first, third = page(world), page(world, 3)
    newest = PAGE_SIZE * 2 + 4
    assert [line.when for line in first.lines] == [
        T0 + timedelta(minutes=n) for n in range(newest, newest - PAGE_SIZE, -1)
    ]
    assert first.has_more
    assert [line.when for line in third.lines] == [
        T0 + timedelta(minutes=n) for n in range(4, -1, -1)
    ]
    assert not third.has_more
    assert page(world, 4).lines == []


def test_a_line_names_people_as_they_are_now(world):
    log(world, 1)
    with world.session() as session:
        session.execute(
            update(Person).where(Person.id == world.ids["Amara Okafor"]).values(name="Amara O.")
        )
    [line] = page(world).lines
    assert (line.who, line.what) == (
        "Margaret Chen",
        ("named ", "Tomás Ruiz", " tutor of ", "Amara O."),
    )


def test_someone_removed_from_rapport_is_named_as_gone_and_rapport_as_itself(world):
    log(world, 1, actor="Ben Adler")
    with world.session() as session:
        record(session, world.course_id, None, TEST_ACTION, now=T0 + timedelta(hours=1))
        session.execute(delete(Person).where(Person.id == world.ids["Ben Adler"]))
    rapport_line, gone_line = page(world).lines
    assert rapport_line.who == "Rapport"
    assert gone_line.who == GONE


def test_an_action_no_longer_registered_still_reads_as_a_change(world, monkeypatch):
    log(world, 1)
    monkeypatch.delitem(audit._ACTIONS, TEST_ACTION)
    assert page(world).lines[0].what == (f"made a change ({TEST_ACTION})",)


def test_a_long_subject_is_cut_to_fit(world):
    with world.session() as session:
        entry = record(session, world.course_id, None, TEST_ACTION, subject="x" * 400)
        assert entry.subject == "x" * 254 + "…"


def test_each_course_reads_only_its_own_entries(world, app):
    log(world, 3)
    other = build_world(world.sessions, "course-2")
    log(other, 2)
    assert len(page(world).lines) == 3
    assert len(page(other).lines) == 2
    assert page(other).course.id == other.course_id


def test_the_people_an_entry_names_are_found_for_export_and_erasure():
    details = {"tutor_person_id": 4, "tutor_person_ids": [5, 6, "x"], "post_id": 9, "n": 1}
    assert person_ids_in(details) == {4, 5, 6}


def statements_for_a_page(world: World) -> int:
    seen: list[str] = []

    def count(*_args: object) -> None:
        seen.append("statement")

    engine = world.sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        page(world)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_page_costs_the_same_few_queries_however_long_the_log(world):
    log(world, 3)
    short = statements_for_a_page(world)
    log(world, PAGE_SIZE * 4, actor="Tomás Ruiz", start=3)
    assert statements_for_a_page(world) == short <= 3


# Every action the log records, as the features register them once the app has started.
AUDITED = {
    *(f"{kind}.{done}" for kind in ("news", "introduction")
      for done in ("published", "scheduled", "edited", "withdrawn", "deleted", "restored",
                   "pinned", "unpinned")),
    "reply.hidden", "reply.shown",
    "settings.changed",
    "checkin.created", "checkin.nudged",
    "feedback.started", "feedback.graded", "feedback.bulk_started",
    "grades.resent",
    "tutor.allocated", "tutor.removed", "tutors.balanced",
    "placement.created",
    "roster.refreshed",
    "profile.updated",
    "course.brought_over",
    "course.downloaded", "course.deletion_planned",
}  # fmt: skip
ODD_DETAILS = {
    "changes": "nothing",
    "changed": 3,
    "publish_at": "not a time",
    "first_opens_at": 7,
    "count": "many",
    "score": None,
    "points": "ten",
    "tutor_person_id": "x",
    "tutor_person_ids": "x",
}


@pytest.mark.usefixtures("app")  # the app imports every feature, which registers its actions
@pytest.mark.parametrize("details", [{}, ODD_DETAILS], ids=["no details", "odd details"])
def test_every_action_reads_as_a_sentence_whatever_its_details(details):
    assert {action.key for action in registered_actions()} - {TEST_ACTION} == AUDITED
    for action in registered_actions():
        facts = AuditFacts(None, None, None, GONE, details, {})
        said = action.describe(facts)
        words = [said] if isinstance(said, str) else list(said)
        assert all(isinstance(part, str | datetime) for part in words), action.key
        assert str(words[0])[:1].islower(), action.key
