"""Feedback in the activity log, without Flask: staff starting a conversation, a grade given in
a thread, and a bulk start each record one entry about the student(s); replies, refused grades
and a double-clicked bulk start record none."""

from __future__ import annotations

import pytest

from lti_tool.services.course_settings import course_settings
from lti_tool.services.feedback import service as feedback
from lti_tool.services.feedback import viewers
from lti_tool.services.feedback.viewers import Viewer
from lti_tool.services.placements import PlacementChoice, create_placements
from lti_tool.services.refusals import Refused
from lti_tool.services.snippets import bulk_start
from tests.services.audit.world import T0, Logged, World

MARGARET, AMARA = "Margaret Chen", "Amara Okafor"


def viewer(world: World, session, who: str = MARGARET) -> Viewer:
    return viewers.viewer_for(session, world.grant(who), course_settings(session, world.course_id))


def essay_feedback(world: World) -> int:
    """A graded feedback activity out of 10, placed by Margaret; its entry is left out below."""
    with world.session() as session:
        choice = PlacementChoice("feedback", "Essay feedback", graded=True, points=10)
        [placement] = create_placements(session, world.course_id, world.ids[MARGARET], [choice])
        return placement.id


def logged(world: World) -> list[Logged]:
    return [e for e in world.entries() if e.action != "placement.created"]


def test_starting_a_conversation_records_whom_it_is_with_and_replies_do_not(world):
    amara = world.ids[AMARA]
    with world.session() as session:
        thread = feedback.start_thread(session, viewer(world, session), amara, "Essay", "Hi!", T0)
    with world.session() as session:
        feedback.post_message(session, viewer(world, session, AMARA), thread.id, "Thanks", T0)
        feedback.post_message(session, viewer(world, session), thread.id, "Welcome", T0)
    assert logged(world) == [
        Logged("feedback.started", world.ids[MARGARET], "Essay", amara,
               {"thread_id": thread.id, "placement_id": None}),
    ]  # fmt: skip
    assert world.sentences() == ["Margaret Chen started the conversation “Essay” with Amara Okafor"]


def test_a_grade_given_in_a_thread_records_the_score_and_whose_it_is(world):
    placement_id = essay_feedback(world)
    amara = world.ids[AMARA]
    with world.session() as session:
        thread = feedback.thread_for_activity(session, viewer(world, session, AMARA),
                                              placement_id, amara, T0)  # fmt: skip
    with world.session() as session:
        feedback.post_message(session, viewer(world, session, AMARA), thread.id, "Done", T0)
    with world.session() as session:
        feedback.post_message(session, viewer(world, session, "Tomás Ruiz"), thread.id,
                              "Well argued.", T0, grade="7.5")  # fmt: skip
    assert logged(world) == [
        Logged("feedback.graded", world.ids["Tomás Ruiz"], "Essay feedback", amara,
               {"thread_id": thread.id, "placement_id": placement_id, "score": 7.5,
                "maximum": 10.0}),
    ]  # fmt: skip
    assert world.sentences()[0] == "Tomás Ruiz gave Amara Okafor 7.5 out of 10 for “Essay feedback”"
    with pytest.raises(Refused), world.session() as session:
        feedback.post_message(session, viewer(world, session), thread.id, "", T0, grade="11")
    assert len(logged(world)) == 1


def test_a_bulk_start_is_one_entry_however_many_students(world):
    placement_id = essay_feedback(world)
    students = [world.ids[AMARA], world.ids["Ben Adler"]]
    for _double_click in range(2):
        with world.session() as session:
            bulk_start.start_bulk(session, world.grant(MARGARET), students, "Your essay",
                                  "Hello {first_name}", placement_id, T0)  # fmt: skip
    [entry] = logged(world)
    assert (entry.action, entry.subject, entry.details["count"]) == (
        "feedback.bulk_started",
        "Your essay",
        2,
    )
    assert world.sentences()[0] == (
        "Margaret Chen started “Your essay” with 2 students in the feedback activity "
        "“Essay feedback”"
    )
    with pytest.raises(Refused), world.session() as session:
        bulk_start.start_bulk(session, world.grant(MARGARET), [], "Nobody", "Hi", None, T0)
    assert len(logged(world)) == 1


def test_writing_first_in_an_activity_s_empty_thread_starts_it_and_later_words_do_not(world):
    placement_id = essay_feedback(world)
    amara, ben = world.ids[AMARA], world.ids["Ben Adler"]
    with world.session() as session:  # both students open the activity; only Ben writes
        for student, name in ((amara, AMARA), (ben, "Ben Adler")):
            opened = feedback.thread_for_activity(
                session, viewer(world, session, name), placement_id, student, T0
            )
            if student == ben:
                feedback.post_message(session, viewer(world, session, name), opened.id, "Hi", T0)
    for student in (amara, ben):
        with world.session() as session:
            feedback.start_thread(session, viewer(world, session), student, "", "Your essay", T0,
                                  placement_id)  # fmt: skip
    assert [(e.action, e.about, e.subject) for e in logged(world)] == [
        ("feedback.started", amara, "Essay feedback"),
    ]
