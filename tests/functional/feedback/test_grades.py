"""Grades given in a feedback thread, as far as the LMS gradebook: the built-in demo LMS, which
serves AGS as Moodle does (and answers 409 to a score not newer than the one it holds).

Issue 5: "a staff message can carry a grade for the thread's activity; it goes through the
grades service (durable queue) and the student sees the grade in the thread; changing the grade
sends the new one." AGS 2.0 §3.4: the platform keeps the score with the latest timestamp, so
scores must arrive in the order they were given — an older grade must never land after a newer
one. Every score the demo LMS accepts is recorded here, in the order it arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from lti_tool.db import transaction
from lti_tool.demo import Fault
from lti_tool.demo.platform import DemoPlatform
from lti_tool.models import DeliveryStatus, FeedbackMessage, GradeDelivery, Person
from lti_tool.services.placements import PlacementChoice, create_placements
from tests.conftest import state
from tests.demo.flow import platform
from tests.functional.grades.test_demo import AMARA, gradebook_text, launched_course, worker_for
from tests.newsfeed_flow import Visitor

SUPERSEDED, SENT, WAITING = DeliveryStatus.SUPERSEDED, DeliveryStatus.SENT, DeliveryStatus.WAITING


@dataclass
class Arrival:
    score: float | None
    timestamp_us: int
    kept: bool  # False: the demo LMS answered 409 (it holds a newer score)


@dataclass
class GradedThread:
    app: Any
    url: str
    demo: DemoPlatform
    staff: Visitor
    student: Visitor
    thread: int
    arrivals: list[Arrival]

    def grade(self, value: str, body: str = "") -> requests.Response:
        return self.staff.post(f"feedback/{self.thread}/messages", {"body": body, "grade": value})

    def deliveries(self) -> list[tuple[float | None, DeliveryStatus]]:
        with transaction(state(self.app).sessions) as session:
            rows = session.execute(
                select(GradeDelivery.score_given, GradeDelivery.status).order_by(GradeDelivery.id)
            ).all()
        return [(score, DeliveryStatus(status)) for score, status in rows]

    def in_gradebook(self) -> list[float | None]:
        (item,) = self.demo.store.line_items(self.demo.course.context_id)
        return [s.score_given for s in self.demo.store.scores(item.number)]


@pytest.fixture
def graded(live: Any, monkeypatch: pytest.MonkeyPatch) -> GradedThread:
    """The demo LMS and Rapport; Margaret Chen (instructor) and Amara Okafor (student) have
    launched; Margaret opened Amara's thread for a feedback activity graded out of 10."""
    app, url = live(demo=True)
    demo = platform(app)
    staff_browser, student_browser = requests.Session(), requests.Session()
    course = launched_course(staff_browser, url, "instructor-margaret-chen")
    assert launched_course(student_browser, url, AMARA) == course
    staff = Visitor(url, staff_browser, f"/courses/{course}/")
    student = Visitor(url, student_browser, f"/courses/{course}/")
    sub = demo.course.person(AMARA).sub  # type: ignore[union-attr]
    with transaction(state(app).sessions) as session:
        amara = session.scalars(select(Person.id).where(Person.sub == sub)).one()
        choice = PlacementChoice("feedback", "Essay 1", True, 10.0)
        [placement] = create_placements(session, course, None, [choice])
        placement_id = placement.id
    opened = staff.post(f"feedback/activities/{placement_id}/students/{amara}")
    assert opened.status_code == 303
    thread = int(re.search(r"/feedback/(\d+)", opened.headers["Location"]).group(1))  # type: ignore[union-attr]

    arrivals: list[Arrival] = []
    save_score = demo.store.save_score

    def recording(score: Any) -> bool:
        kept = save_score(score)
        arrivals.append(Arrival(score.score_given, score.timestamp_us, kept))
        return kept

    monkeypatch.setattr(demo.store, "save_score", recording)
    return GradedThread(app, url, demo, staff, student, thread, arrivals)


def assert_in_order(arrivals: list[Arrival]) -> None:
    """Each score the gradebook kept is newer than the one before: none overwrote a later one."""
    assert all(a.kept for a in arrivals), arrivals
    stamps = [a.timestamp_us for a in arrivals]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), stamps


def test_three_grades_given_before_the_worker_runs_reach_the_gradebook_as_the_last(graded):
    for value, words in (("6", "A first look."), ("8", "Better on a second read."), ("7.5", "")):
        assert graded.grade(value, words).status_code == 303
    # Each newer grade made the older undelivered one moot, at once: it will never be sent.
    assert graded.deliveries() == [(6.0, SUPERSEDED), (8.0, SUPERSEDED), (7.5, WAITING)]
    assert "on its way to the gradebook" in graded.staff.text(f"feedback/{graded.thread}")

    worker_for(graded.app).drain()

    assert [a.score for a in graded.arrivals] == [7.5]  # the only score the LMS ever saw
    assert graded.in_gradebook() == [7.5]
    assert graded.deliveries() == [(6.0, SUPERSEDED), (8.0, SUPERSEDED), (7.5, SENT)]
    page = graded.student.text(f"feedback/{graded.thread}")
    assert "Grade: <strong>7.5 / 10</strong>" in page
    # Every grade message stays in the conversation, signed; the heading shows the current one.
    assert page.count('class="grade-line"') == 3 and "Better on a second read." in page
    assert "in the gradebook" in graded.staff.text(f"feedback/{graded.thread}")
    assert "Amara Okafor 7.5 / 10" in gradebook_text(requests.Session(), graded.url)


def test_each_grade_sent_as_it_is_given_arrives_in_the_order_given(graded):
    worker = worker_for(graded.app)
    for value in ("6", "8", "7.5"):  # within a second or two: the worker spaces the timestamps
        assert graded.grade(value).status_code == 303
        worker.drain()
    assert [a.score for a in graded.arrivals] == [6.0, 8.0, 7.5]
    assert_in_order(graded.arrivals)
    assert graded.in_gradebook() == [7.5]
    assert graded.deliveries() == [(6.0, SENT), (8.0, SENT), (7.5, SENT)]
    assert "Grade: <strong>7.5 / 10</strong>" in graded.student.text(f"feedback/{graded.thread}")


def test_a_grade_stuck_in_an_outage_is_never_sent_after_the_newer_one(graded):
    assert graded.grade("6").status_code == 303
    worker_for(graded.app).drain()
    graded.demo.store.faults.push("scores", Fault(status=503), times=2)
    assert graded.grade("8").status_code == 303
    assert worker_for(graded.app).deliver_due() == 1  # tried once, refused: waits for a retry
    assert graded.deliveries() == [(6.0, SENT), (8.0, WAITING)]
    assert graded.grade("7.5").status_code == 303  # meanwhile, the grade changes again
    assert graded.deliveries() == [(6.0, SENT), (8.0, SUPERSEDED), (7.5, WAITING)]

    worker_for(graded.app).drain()  # the outage ends (a last 503 for 7.5, then it is sent)

    assert graded.demo.store.faults.pending("scores") == 0
    assert [a.score for a in graded.arrivals] == [6.0, 7.5]
    assert_in_order(graded.arrivals)
    assert graded.in_gradebook() == [7.5]
    assert graded.deliveries() == [(6.0, SENT), (8.0, SUPERSEDED), (7.5, SENT)]


def test_a_grade_given_while_the_last_one_is_on_its_way_waits_for_it(graded):
    """The worker has sent 6 and not yet recorded it when 8, then 7.5, are given: 8 is moot,
    7.5 goes after 6, with a later timestamp (on PostgreSQL the row being sent is locked, and
    the newer grade skips it rather than wait)."""
    given: list[int] = []

    def regrade_meanwhile(_: GradeDelivery) -> None:
        if not given:
            for value in ("8", "7.5"):
                form = {"body": "", "grade": value, "csrf_token": graded.staff.csrf()}
                answer = graded.staff.http.post(
                    f"{graded.url}{graded.staff.course}feedback/{graded.thread}/messages",
                    data=form,
                    allow_redirects=False,
                    timeout=30,
                )
                given.append(answer.status_code)

    assert graded.grade("6").status_code == 303
    worker = worker_for(graded.app)
    worker.after_send = regrade_meanwhile
    worker.drain()

    assert given == [303, 303]
    assert [a.score for a in graded.arrivals] == [6.0, 7.5]
    assert_in_order(graded.arrivals)
    assert graded.in_gradebook() == [7.5]
    assert graded.deliveries() == [(6.0, SENT), (8.0, SUPERSEDED), (7.5, SENT)]


@pytest.mark.parametrize(
    "value", ["11", "10.01", "-1", "-0.5", "ten", "7/10", "nan", "inf", "-inf", "1e400", "0x8"]
)
def test_a_grade_out_of_range_or_not_a_number_is_refused_with_the_reason(graded, value):
    before = graded.deliveries()
    with transaction(state(graded.app).sessions) as session:
        messages = session.scalar(select(func.count()).select_from(FeedbackMessage))
    refused = graded.grade(value, "Kept as typed.")
    assert refused.status_code == 400
    assert "Give a grade from 0 to 10." in refused.text  # the reason, by the field
    assert 'aria-invalid="true"' in refused.text and "Kept as typed." in refused.text
    assert graded.deliveries() == before == []
    with transaction(state(graded.app).sessions) as session:
        assert session.scalar(select(func.count()).select_from(FeedbackMessage)) == messages
    worker_for(graded.app).drain()
    assert graded.arrivals == []
