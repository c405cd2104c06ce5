"""Check-ins in the activity log, without Flask: a check-in created (when it opens, how often,
whether it is graded) and reminders sent each record one entry; refusals record none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lti_tool.models import Occurrence
from lti_tool.services.checkins import replies
from lti_tool.services.checkins import service as checkins
from lti_tool.services.checkins.schedule import parse_schedule
from lti_tool.services.checkins.service import CheckInForm
from lti_tool.services.course_settings import course_settings
from lti_tool.services.refusals import Refused
from tests.services.audit.world import T0, World

WEEKLY = parse_schedule("2027-02-01T09:00", "7", "3", "48", "UTC")
FORM = CheckInForm(title="How is it going?", scale_prompt="How confident are you?")


def create(world: World, who: str = "Margaret Chen", form: CheckInForm = FORM) -> int:
    with world.session() as session:
        return checkins.create_checkin(session, world.grant(who), form, WEEKLY, T0).id


def test_creating_a_check_in_records_when_it_opens_and_how_it_is_graded(world):
    graded = CheckInForm(title="Weekly", scale_prompt="How confident?", graded=True, points="5")
    checkin_id = create(world, "Tomás Ruiz", graded)
    [entry] = world.entries()
    assert (entry.action, entry.actor, entry.subject) == (
        "checkin.created",
        world.ids["Tomás Ruiz"],
        "Weekly",
    )
    assert entry.details == {
        "checkin_id": checkin_id,
        "occurrences": 3,
        "first_opens_at": "2027-02-01T09:00:00+00:00",
        "graded": True,
        "points": 5.0,
        "anonymous": False,
    }
    assert world.sentences() == [
        "Tomás Ruiz created the check-in “Weekly”, first open on 2027-02-01T09:00:00+00:00, "
        "3 times in all; participation graded out of 5 points"
    ]


def test_a_refused_check_in_records_nothing(world):
    with pytest.raises(Refused):
        create(world, "Amara Okafor")
    with pytest.raises(Refused):
        create(world, form=CheckInForm(title="", scale_prompt="Anything?"))
    assert world.entries() == []


def test_reminding_those_who_have_not_answered_is_one_entry_with_how_many(world):
    checkin_id = create(world)
    opened = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)  # the first occurrence is open
    with world.session() as session:
        first = session.scalar(
            select(func.min(Occurrence.id)).where(Occurrence.checkin_id == checkin_id)
        )
        settings = course_settings(session, world.course_id)
        students = [world.ids["Amara Okafor"], world.ids["Ben Adler"]]
        sent = replies.nudge(
            session, world.grant("Margaret Chen"), first, "Hi {first_name}", students, settings,
            opened,
        )  # fmt: skip
        assert (sent.total, sent.checkin_id) == (2, checkin_id)
    assert world.actions() == ["checkin.created", "checkin.nudged"]
    assert world.entries()[1].details == {"checkin_id": checkin_id, "occurrence_id": first,
                                          "count": 2}  # fmt: skip
    assert world.sentences()[0] == (
        "Margaret Chen reminded 2 students who had not answered “How is it going?”"
    )
    with pytest.raises(Refused), world.session() as session:
        replies.nudge(session, world.grant("Margaret Chen"), first, "", students, settings, opened)
    assert len(world.entries()) == 2
