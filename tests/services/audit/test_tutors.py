"""Tutors in the activity log, without Flask: a tutor chosen, changed or removed by hand is one
entry about the student naming the tutors; a balance is one entry however many students moved;
no change and refusals record none."""

from __future__ import annotations

import pytest

from lti_tool.services.refusals import Refused
from lti_tool.services.tutors.balance import balance
from lti_tool.services.tutors.service import allocate
from tests.services.audit.world import T0, World

MARGARET, TOMAS, AMARA, BEN = "Margaret Chen", "Tomás Ruiz", "Amara Okafor", "Ben Adler"


def give(world: World, student: str, tutor: str | None) -> None:
    with world.session() as session:
        tutor_id = world.ids[tutor] if tutor else None
        allocate(session, world.grant(MARGARET), world.ids[student], tutor_id, T0)


def test_choosing_changing_and_removing_a_tutor_by_hand(world):
    give(world, AMARA, TOMAS)
    give(world, AMARA, TOMAS)  # no change
    give(world, AMARA, MARGARET)
    give(world, AMARA, None)
    give(world, AMARA, None)  # no change
    assert [(e.action, e.about, e.details) for e in world.entries()] == [
        ("tutor.allocated", world.ids[AMARA],
         {"tutor_person_id": world.ids[TOMAS], "previous_tutor_person_id": None}),
        ("tutor.allocated", world.ids[AMARA],
         {"tutor_person_id": world.ids[MARGARET], "previous_tutor_person_id": world.ids[TOMAS]}),
        ("tutor.removed", world.ids[AMARA],
         {"tutor_person_id": None, "previous_tutor_person_id": world.ids[MARGARET]}),
    ]  # fmt: skip
    assert world.sentences() == [
        "Margaret Chen removed Margaret Chen as the tutor of Amara Okafor",
        "Margaret Chen made Margaret Chen the tutor of Amara Okafor instead of Tomás Ruiz",
        "Margaret Chen made Tomás Ruiz the tutor of Amara Okafor",
    ]


def test_a_refused_allocation_records_nothing(world):
    with pytest.raises(Refused):
        give(world, AMARA, BEN)  # a student cannot tutor
    with pytest.raises(Refused), world.session() as session:
        allocate(session, world.grant(AMARA), world.ids[BEN], world.ids[TOMAS], T0)
    assert world.entries() == []


def test_a_balance_is_one_entry_with_how_many_students_and_among_whom(world):
    give(world, AMARA, TOMAS)
    tutors = [world.ids[MARGARET], world.ids[TOMAS]]
    with world.session() as session:
        done = balance(session, world.grant(TOMAS), T0, by_section=False, tutor_ids=tutors)
    with world.session() as session:
        again = balance(session, world.grant(TOMAS), T0, by_section=False, tutor_ids=tutors)
    assert (done.count, again.count) == (1, 0)
    assert world.actions() == ["tutor.allocated", "tutors.balanced"]
    assert world.entries()[1].details == {
        "count": 1,
        "tutor_person_ids": tutors,
        "only_unallocated": True,
        "by_section": False,
    }
    assert world.sentences()[0] == (
        "Tomás Ruiz shared 1 student without a tutor among Margaret Chen and Tomás Ruiz"
    )
