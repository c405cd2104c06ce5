"""Participation grades for a graded check-in, from a student's answers to the LMS gradebook.

Issue 6: "participation graded or not (points), through the grades service". A student's grade
is the points in proportion to the occurrences they have answered, out of all of them, queued
as one `GradeDelivery` when they first answer an occurrence (a changed answer is no new
participation); a newer grade supersedes one not yet sent (AGS 2.0 §3.4). The last test
delivers them to the built-in demo LMS, which keeps the score with the latest timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import func, select

from lti_tool.db import transaction
from lti_tool.models import DeliveryStatus, GradableActivity, GradeDelivery, Person
from tests.conftest import state
from tests.demo.flow import platform as demo_of
from tests.functional.checkins.test_checkins import answer, create, occurrence_ids
from tests.functional.grades.test_demo import AMARA, gradebook_text, launched_course, worker_for
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock

SUPERSEDED, SENT, WAITING = DeliveryStatus.SUPERSEDED, DeliveryStatus.SENT, DeliveryStatus.WAITING
# Monday 25 January 2027, 10:00 UTC: the first of the weekly occurrences (09:00 London) is open.
MONDAY = datetime(2027, 1, 25, 10, 0, tzinfo=UTC)
GRADED = {"graded": "on", "points": "10", "count": "4"}


def deliveries(app: Any, sub: str | None = None) -> list[tuple[float | None, DeliveryStatus]]:
    """Every grade queued (for one person, when named), in the order queued."""
    query = select(GradeDelivery.score_given, GradeDelivery.status).order_by(GradeDelivery.id)
    if sub is not None:
        query = query.join(Person, Person.id == GradeDelivery.person_id).where(Person.sub == sub)
    with transaction(state(app).sessions) as session:
        return [(score, DeliveryStatus(status)) for score, status in session.execute(query)]


def test_each_occurrence_first_answered_queues_the_share_answered_so_far(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock(MONDAY))
    staff = teacher(platform, url)
    checkin = create(staff, **GRADED)
    first, second = occurrence_ids(app, checkin)[:2]
    amara = enter(platform, url, "amara", name="Amara Okafor")

    assert answer(amara, first, scale="4").status_code == 303
    assert deliveries(app) == [(2.5, WAITING)]  # one of four occurrences, of 10 points
    with transaction(state(app).sessions) as session:
        activity = session.scalars(select(GradableActivity)).one()
        assert (activity.key, activity.label) == (f"checkin:{checkin}", "Weekly check-in")
        assert (activity.score_maximum, activity.tag) == (10.0, "checkin")
        delivery = session.scalars(select(GradeDelivery)).one()
        assert (delivery.score_maximum, delivery.scored_at) == (10.0, MONDAY)

    assert answer(amara, first, scale="2", text="Actually lost").status_code == 303
    assert deliveries(app) == [(2.5, WAITING)]  # a changed answer is no new participation

    clock.advance(days=7)
    assert answer(amara, second, scale="3").status_code == 303
    assert deliveries(app) == [(2.5, SUPERSEDED), (5.0, WAITING)]  # the newer share only

    ben = enter(platform, url, "ben", name="Ben Brook")  # starts in week two: his own share
    assert answer(ben, second, scale="5").status_code == 303
    assert deliveries(app, "ben") == [(2.5, WAITING)]
    assert deliveries(app, "amara") == [(2.5, SUPERSEDED), (5.0, WAITING)]


def test_an_ungraded_check_in_queues_no_grade(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock(MONDAY))
    staff = teacher(platform, url)
    checkin = create(staff, count="4")
    first, second = occurrence_ids(app, checkin)[:2]
    amara = enter(platform, url, "amara", name="Amara Okafor")
    assert answer(amara, first, scale="4").status_code == 303
    assert answer(amara, first, scale="1").status_code == 303
    clock.advance(days=7)
    assert answer(amara, second, scale="3").status_code == 303
    with transaction(state(app).sessions) as session:
        assert session.scalar(select(func.count()).select_from(GradableActivity)) == 0
    assert deliveries(app) == []


def test_participation_reaches_the_demo_gradebook_as_the_latest_share(live, monkeypatch):
    app, url = live(demo=True)
    clock = use_clock(app, Clock(MONDAY))
    demo = demo_of(app)
    staff_browser, student_browser = requests.Session(), requests.Session()
    course = launched_course(staff_browser, url, "instructor-margaret-chen")
    assert launched_course(student_browser, url, AMARA) == course
    staff = Visitor(url, staff_browser, f"/courses/{course}/")
    student = Visitor(url, student_browser, f"/courses/{course}/")
    checkin = create(staff, **GRADED)
    first, second = occurrence_ids(app, checkin)[:2]

    arrivals: list[float | None] = []
    save_score = demo.store.save_score

    def recording(score: Any) -> bool:
        kept = save_score(score)
        arrivals.append(score.score_given if kept else None)
        return kept

    monkeypatch.setattr(demo.store, "save_score", recording)
    worker = worker_for(app)

    assert answer(student, first, scale="4").status_code == 303
    worker.drain()
    assert answer(student, first, scale="2").status_code == 303  # changed: nothing to send
    clock.advance(days=7)
    assert answer(student, second, scale="3").status_code == 303
    worker.drain()

    assert arrivals == [2.5, 5.0]  # each kept, in the order given
    assert deliveries(app) == [(2.5, SENT), (5.0, SENT)]
    (item,) = demo.store.line_items(demo.course.context_id)
    assert (item.fields.resource_id, item.fields.label) == (f"checkin:{checkin}", "Weekly check-in")
    assert [s.score_given for s in demo.store.scores(item.number)] == [5.0]
    assert "Amara Okafor 5 / 10" in gradebook_text(requests.Session(), url)
