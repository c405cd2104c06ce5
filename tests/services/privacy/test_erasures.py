"""What is kept of an erased person, and the roster sync (NRPS) that must not bring them back
while the LMS still lists them — unless they come back by a launch of their own."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from lti_tool.lti.nrps import MemberStatus, RosterMember, RosterPage
from lti_tool.models import Course, Membership, Person
from lti_tool.services.privacy.erase import erase_person
from lti_tool.services.privacy.erasures import erasure_hash
from lti_tool.services.roster.service import RosterSync, claim_roster_sync
from tests.conftest import state
from tests.services.privacy.search import search
from tests.services.privacy.world import EMAIL, GIVEN, ISSUER, NAME, SUB, T0, World

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


class Roster:
    """The LMS still lists her, with her name, beside Margaret, Ben and someone new."""

    def __init__(self) -> None:
        self.members = [
            RosterMember(SUB, (LEARNER,), MemberStatus.ACTIVE, NAME, GIVEN, None, EMAIL),
            RosterMember("margaret", (INSTRUCTOR,), MemberStatus.ACTIVE, "Margaret Chen"),
            RosterMember("ben", (LEARNER,), MemberStatus.ACTIVE, "Ben Adler"),
            RosterMember("dana", (LEARNER,), MemberStatus.ACTIVE, "Dana New"),
        ]

    def pages(self, _platform, url):
        yield RosterPage(url, self.members, False)


def sync(world: World, key: str, at) -> None:
    with world.session() as session:
        session.execute(
            update(Course).where(Course.id == world.poetry).values(nrps_url=f"{ISSUER}/nrps")
        )
        lease = claim_roster_sync(session, world.poetry, at, synced_before=at)
    assert lease is not None
    result = RosterSync(world.sessions, Roster(), lambda: at, erasure_key=key).run(
        world.poetry, lease
    )
    assert result.error is None


def roster(world: World) -> dict[str, bool]:
    with world.session() as session:
        rows = session.execute(
            select(Person, Membership.active)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.course_id == world.poetry)
        ).all()
        return {person.name_as("Student"): active for person, active in rows}


def test_the_hash_is_keyed_and_names_the_issuer():
    hashed = erasure_hash("k", ISSUER, SUB)
    assert len(hashed) == 64 and SUB not in hashed
    assert hashed != erasure_hash("another key", ISSUER, SUB)
    assert hashed != erasure_hash("k", "https://other.example.edu", SUB)


def test_a_roster_sync_does_not_bring_back_whom_it_erased(app, world):
    key = state(app).settings.secret_key
    with world.session() as session:
        erase_person(session, key, ISSUER, SUB, "dpo", T0)
    sync(world, key, T0 + timedelta(hours=1))
    assert roster(world) == {
        "Former student": False, "Margaret Chen": True, "Ben Adler": True, "Dana New": True,
    }  # fmt: skip
    assert search(state(app).engine, [NAME, EMAIL, SUB]).found == {}


def test_someone_erased_who_launches_again_is_a_member_like_any_other(app, world):
    key = state(app).settings.secret_key
    with world.session() as session:
        erase_person(session, key, ISSUER, SUB, "dpo", T0)
        # What their launch writes (services/launches.py): a person row with their `sub` again.
        session.add(Person(registration_id=world.registration, sub=SUB, name=NAME))
    sync(world, key, T0 + timedelta(hours=1))
    assert roster(world)[NAME] is True
