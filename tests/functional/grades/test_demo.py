"""Grades to Rapport's built-in demo LMS, as someone trying the README's demo sees them.

The demo answers like Moodle: service URLs carry `?type_id=1` (and it refuses a URL that lost
it), a score whose timestamp is not newer than the stored one gets 409; its fault queue adds
throttling and outages. The gradebook page shows what arrived.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lti_tool.db import transaction, utcnow
from lti_tool.demo import Fault
from lti_tool.extensions import cache
from lti_tool.i18n import shown
from lti_tool.models import Course, DeliveryStatus, GradableActivity, GradeDelivery, Person
from lti_tool.services.grades.service import ActivitySpec, record_score
from lti_tool.services.grades.worker import GradeWorker
from tests.conftest import state
from tests.demo.flow import launch_as, platform
from tests.independent_services import FakeClock

CHECKIN = ActivitySpec("checkin:1", "Week 1 check-in", 5, resource_link_id="demo-link-rapport")
AMARA, LIAM = "student-amara-okafor", "student-liam-obrien"


def launched_course(browser: Any, url: str, person_id: str) -> int:
    launch = launch_as(browser, url, person_id)
    assert launch.launch.status_code == 303, launch.launch.text
    found = re.search(r"/courses/(\d+)/", launch.launch.headers["Location"])
    assert found is not None
    return int(found.group(1))


def grade(app: Any, course_id: int, person_id: str, score: float) -> int:
    sub = platform(app).course.person(person_id).sub  # type: ignore[union-attr]
    with transaction(state(app).sessions) as session:
        course = session.get_one(Course, course_id)
        person = session.scalar(select(Person).where(Person.sub == sub))
        assert person is not None, "launch as this student first"
        return record_score(session, course, CHECKIN, person, score).id


def worker_for(app: Any) -> GradeWorker:
    cache_backend = app.extensions["cache"][cache]
    return GradeWorker.create(
        state(app).sessions,
        state(app).keyring,
        cache_backend,
        state(app).http,
        clock=FakeClock(utcnow()),
    )


def gradebook_text(browser: Any, url: str) -> str:
    page = browser.get(url + "/demo/gradebook")
    assert page.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def test_scores_reach_the_demo_gradebook_through_moodle_shaped_urls(live, browser):
    app, url = live(demo=True)
    demo = platform(app)
    course_id = launched_course(browser, url, "instructor-margaret-chen")
    for student in (AMARA, LIAM):
        launched_course(type(browser)(), url, student)
    demo.store.faults.push("token", Fault(status=503, retry_after=5))
    demo.store.faults.push("scores", Fault(status=429, retry_after=7))
    demo.store.faults.push("scores", Fault(status=503))
    grade(app, course_id, AMARA, 4)
    grade(app, course_id, LIAM, 5)
    worker = worker_for(app)
    assert worker.drain() >= 2
    (item,) = demo.store.line_items(demo.course.context_id)
    assert item.fields.resource_link_id == "demo-link-rapport"
    assert item.fields.resource_id == "checkin:1"
    subs = {demo.course.person(p).sub: p for p in (AMARA, LIAM)}  # type: ignore[union-attr]
    got = {subs[s.user_id]: s.score_given for s in demo.store.scores(item.number)}
    assert got == {AMARA: 4, LIAM: 5}
    with transaction(state(app).sessions) as session:
        activity = session.scalars(select(GradableActivity)).one()
        assert activity.lineitem_url == demo.lineitem_url(item.number)  # `?type_id=1` kept
        statuses = set(session.scalars(select(GradeDelivery.status)))
    assert statuses == {DeliveryStatus.SENT}
    assert demo.store.faults.pending("scores") == 0 and demo.store.faults.pending("token") == 0
    text = gradebook_text(browser, url)
    assert "Week 1 check-in" in text
    assert "Amara Okafor 4 / 5" in text and "Liam O'Brien 5 / 5" in text


def test_a_regrade_replaces_the_score_and_a_stale_resend_is_not_a_second_grade(live, browser):
    app, url = live(demo=True)
    demo = platform(app)
    course_id = launched_course(browser, url, "instructor-margaret-chen")
    launched_course(type(browser)(), url, AMARA)
    worker = worker_for(app)
    first = grade(app, course_id, AMARA, 2)
    worker.drain()
    regrade = grade(app, course_id, AMARA, 5)
    with transaction(state(app).sessions) as session:  # the regrade given in the same second
        earlier = session.get_one(GradeDelivery, first).scored_at
        session.get_one(GradeDelivery, regrade).scored_at = earlier
    worker.drain()
    (score,) = demo.store.scores()
    assert score.score_given == 5
    posts = demo.store.counter("score_posts")
    # The regrade again, as after a lost answer: same timestamp, the demo says 409.
    with transaction(state(app).sessions) as session:
        row = session.get_one(GradeDelivery, regrade)
        row.status, row.attempts = DeliveryStatus.WAITING, 0
    worker.drain()
    assert demo.store.counter("score_posts") == posts + 1
    (score,) = demo.store.scores()
    assert score.score_given == 5
    with transaction(state(app).sessions) as session:
        row = session.get_one(GradeDelivery, regrade)
        assert row.status is DeliveryStatus.SENT
        assert "already had this score" in shown(row.last_error)


def test_the_demo_s_worker_process_delivers_what_the_web_process_queued(live, browser):
    """`make run`: the web process queues (SQLite queue under the instance folder), a `rapport
    worker` beside it sends the score to the demo LMS; no thread in the web process."""
    app, url = live(demo=True, jobs_backend="sqlite")
    course_id = launched_course(browser, url, "instructor-margaret-chen")
    launched_course(type(browser)(), url, AMARA)
    grade(app, course_id, AMARA, 3)
    assert [t.name for t in threading.enumerate() if t.name.startswith("rapport")] == []
    env = {**os.environ, "JOBS_BACKEND": "sqlite", "RAPPORT_DEMO": "1"}
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("rapport")), "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        arrived = threading.Event()
        for _ in range(600):  # waits for the worker, at most a minute; asserts nothing on time
            if platform(app).store.scores():
                arrived.set()
                break
            arrived.wait(0.1)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert arrived.is_set(), output
    (score,) = platform(app).store.scores()
    assert score.score_given == 3
