"""The roster and staff profiles in the activity log, without Flask: a roster refresh staff
asked for is one entry with who joined and who left, a sync a launch started none; a staff
profile changed is one entry naming what changed, an unchanged or refused one none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from lti_tool.lti.nrps import MemberStatus, RosterMember, RosterPage
from lti_tool.models import Course
from lti_tool.services.profiles import MAX_PRONOUNS, ProfileForm, save_profile
from lti_tool.services.refusals import Refused
from lti_tool.services.roster.service import RosterSync, claim_roster_sync
from tests.services.audit.world import T0, World

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


class Roster:
    """The LMS's roster: everyone in the world but Ben, and a new student, Chidi."""

    def pages(self, _platform, url):
        subs = ["margaret chen", "tomás ruiz", "amara okafor", "chidi anagonye"]
        members = [RosterMember(sub, (LEARNER,), MemberStatus.ACTIVE) for sub in subs]
        yield RosterPage(url, members, False)


def sync(world: World, started_by: int | None) -> None:
    with world.session() as session:
        session.execute(
            update(Course)
            .where(Course.id == world.course_id)
            .values(nrps_url="https://lms.example.edu/nrps", roster_synced_at=None)
        )
        lease = claim_roster_sync(session, world.course_id, T0, synced_before=T0)
    assert lease is not None
    clock = iter(T0 + timedelta(milliseconds=n) for n in range(1, 1_000))
    result = RosterSync(world.sessions, Roster(), lambda: next(clock), erasure_key="k").run(
        world.course_id, lease, started_by
    )
    assert result.error is None


def test_a_refresh_staff_asked_for_is_logged_with_who_joined_and_left(world):
    sync(world, world.ids["Tomás Ruiz"])
    [entry] = world.entries()
    assert (entry.action, entry.actor) == ("roster.refreshed", world.ids["Tomás Ruiz"])
    assert entry.details == {"listed": 4, "joined": 1, "left": 1}
    assert world.sentences() == [
        "Tomás Ruiz refreshed the roster from the LMS: 4 members listed, 1 new, "
        "1 no longer in the course"
    ]


def test_a_sync_a_launch_started_is_rapport_s_own_and_not_logged(world):
    sync(world, None)
    assert world.entries() == []


def test_a_staff_profile_change_names_what_changed(world):
    grant = world.grant("Tomás Ruiz")
    for form in (
        ProfileForm(pronouns="he/him", contact="Office hours on Tuesdays"),
        ProfileForm(pronouns="he/him", contact="Office hours on Tuesdays"),  # no change
    ):
        with world.session() as session:
            save_profile(session, grant, form, T0)
    with pytest.raises(Refused), world.session() as session:
        save_profile(session, grant, ProfileForm(pronouns="x" * (MAX_PRONOUNS + 1)), T0)
    [entry] = world.entries()
    assert (entry.action, entry.details) == (
        "profile.updated",
        {"changed": ["pronouns", "how to reach them"]},
    )
    assert world.sentences() == [
        "Tomás Ruiz updated their staff profile (pronouns and how to reach them)"
    ]
