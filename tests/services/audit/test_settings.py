"""Course settings in the activity log, without Flask: one entry per save naming every option
that changed, from what to what; a save that changes nothing or is refused records none."""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.services.course_settings import course_settings, registered_settings
from lti_tool.services.feedback.settings import ALL_STAFF, TUTOR_AND_INSTRUCTORS, VISIBILITY
from lti_tool.services.newsfeed.settings import REPLIES
from lti_tool.services.refusals import Refused
from lti_tool.services.settings_changes import change_settings
from tests.services.audit.world import T0, World


def save(world: World, **changed: Any) -> None:
    """Submit the settings form as it stands, with `changed` (by key) changed."""
    with world.session() as session:
        current = course_settings(session, world.course_id)
        form = {spec.key: spec.form_value(current[spec.key]) for spec in registered_settings()}
        form.update(changed)
        change_settings(session, world.course_id, world.ids["Margaret Chen"], form, T0)


def test_one_save_is_one_entry_naming_each_change_from_old_to_new(world):
    save(world, **{REPLIES: None, VISIBILITY: TUTOR_AND_INSTRUCTORS})
    [entry] = world.entries()
    assert (entry.action, entry.actor) == ("settings.changed", world.ids["Margaret Chen"])
    # In the order features registered their options, which is the order they were imported.
    assert sorted(entry.details["changes"], key=lambda c: c["key"]) == [
        {"key": VISIBILITY, "old": ALL_STAFF, "new": TUTOR_AND_INSTRUCTORS},
        {"key": REPLIES, "old": True, "new": False},
    ]
    [sentence] = world.sentences()
    said = sentence.removeprefix("Margaret Chen changed ")
    assert sorted(said.split("; ")) == [
        "Replies from On to Off",
        "Who reads a student's feedback threads from All staff of the course to The "
        "student's tutor and the instructors",
    ]


def test_a_save_that_changes_nothing_records_nothing(world):
    save(world)
    assert world.entries() == []


def test_a_refused_save_records_nothing(world):
    with pytest.raises(Refused):
        save(world, **{REPLIES: None, "course.time_zone": "Mars/Olympus"})
    assert world.entries() == []
