"""Grades and placements in the activity log, without Flask: refused scores sent again (one
student's, or several) and activities placed in the course each record one entry; a retry with
nothing to send records none."""

from __future__ import annotations

from sqlalchemy import update

from lti_tool.models import Course, GradeDelivery, Person
from lti_tool.models.grades import DeliveryStatus
from lti_tool.services.grades.service import ActivitySpec, record_score, retry_failed
from lti_tool.services.placements import PlacementChoice, create_placements
from tests.services.audit.world import T0, World

QUIZ = ActivitySpec("quiz:1", "Quiz 1", 10)


def refused_scores(world: World) -> tuple[int, dict[str, int]]:
    """A refused score in Quiz 1 for each student of the course: the activity's id, and each
    delivery's by the student's name."""
    ids = {}
    with world.session() as session:
        course = session.get_one(Course, world.course_id)
        for name in ("Amara Okafor", "Ben Adler"):
            person = session.get_one(Person, world.ids[name])
            delivery = record_score(session, course, QUIZ, person, 7, now=T0)
            ids[name] = delivery.id
        session.execute(update(GradeDelivery).values(status=DeliveryStatus.FAILED))
        return delivery.activity_id, ids


def retry(world: World, activity_id: int, delivery_id: int | None = None) -> int:
    with world.session() as session:
        return retry_failed(session, world.course_id, activity_id, delivery_id, now=T0,
                            actor_id=world.ids["Tomás Ruiz"])  # fmt: skip


def test_sending_refused_scores_again_is_logged_with_whose_and_how_many(world):
    quiz, deliveries = refused_scores(world)
    assert retry(world, quiz, deliveries["Ben Adler"]) == 1
    assert retry(world, quiz) == 1
    assert retry(world, quiz) == 0  # nothing refused is left: nothing to log
    ben, everyone = world.entries()
    assert (ben.action, ben.subject) == ("grades.resent", "Quiz 1")
    assert ben.about == world.ids["Ben Adler"]
    assert (everyone.about, everyone.details["count"]) == (None, 1)
    assert world.sentences() == [
        "Tomás Ruiz sent 1 refused score for “Quiz 1” to the LMS gradebook again",
        "Tomás Ruiz sent Ben Adler's refused score for “Quiz 1” to the LMS gradebook again",
    ]


def test_each_activity_placed_in_the_course_is_logged(world):
    choices = [PlacementChoice("course_home", "Our newsfeed"),
               PlacementChoice("feedback", "Essay feedback", graded=True, points=20)]  # fmt: skip
    margaret = world.ids["Margaret Chen"]
    with world.session() as session:
        placed = create_placements(session, world.course_id, margaret, choices, T0)
    assert [(e.action, e.subject, e.details["placement_id"]) for e in world.entries()] == [
        ("placement.created", "Our newsfeed", placed[0].id),
        ("placement.created", "Essay feedback", placed[1].id),
    ]
    assert world.sentences() == [
        "Margaret Chen added “Essay feedback” (Feedback activity) to the course in the LMS, "
        "graded out of 20 points",
        "Margaret Chen added “Our newsfeed” (Course newsfeed) to the course in the LMS",
    ]
