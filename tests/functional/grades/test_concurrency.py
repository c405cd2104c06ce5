"""Grades sent side by side, over real HTTP against the independent platform: a batch's sends
run at once, yet each (activity, person) still receives its scores in the order they were given,
each once, also when the worker is killed with sends in flight; and a batch costs the same
statements for 6 scores as for 40.

Time is the worker's fake clock; nothing here asserts on durations.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from lti_tool.db import transaction, utcnow
from lti_tool.models import Course, DeliveryStatus, Person
from lti_tool.services.grades.service import record_score
from tests.conftest import state
from tests.functional.grades.test_delivery import (  # noqa: F401 - fixtures
    ACTIVITIES,
    RAPPORT,
    all_deliveries,
    arrivals,
    course_id,
    lms,
    record_round,
    students,
    worker_for,
)

ROUNDS = 5


def test_a_newer_score_given_while_the_older_is_on_its_way_arrives_after_it(lms, course_id):  # noqa: F811
    """Five rounds for 40 pairs, eight sends at a time. Each pair's next score is given the
    moment the LMS receives the one before, so it is queued while that score's batch is still
    unsettled and other pairs' sends are in flight."""
    app, course = course_id
    people = students(app, course, 20)
    with transaction(state(app).sessions) as session:
        subs = {p.sub: p.id for p in session.query(Person).filter(Person.id.in_(people))}
    activity_by_maximum = {spec.score_maximum: spec for spec in ACTIVITIES}

    def give_the_next_round(score: Any) -> None:  # in the LMS's request thread
        value = score.body["scoreGiven"]
        if value >= ROUNDS:
            return
        spec = activity_by_maximum[score.body["scoreMaximum"]]
        with transaction(state(app).sessions) as session:
            person = session.get_one(Person, subs[score.user_id])
            record_score(session, session.get_one(Course, course), spec, person, value + 1)

    lms.ags.on_score = give_the_next_round
    record_round(app, course, people, 1.0, utcnow())
    worker = worker_for(app)
    assert worker.concurrency > 1
    worker.drain()

    got = arrivals(lms)
    assert len(got) == 40
    assert all(values == [1.0, 2.0, 3.0, 4.0, 5.0] for values in got.values())  # in order
    assert len(lms.ags.accepted) == 40 * ROUNDS and lms.ags.conflicts == []  # each once
    seconds: dict[tuple[int, str], list[int]] = {}
    for score in lms.ags.accepted:
        seconds.setdefault((score.line_item, score.user_id), []).append(score.second)
    assert all(s == sorted(set(s)) for s in seconds.values())  # later whole seconds each time
    assert Counter(r.status for r in all_deliveries(app)) == {DeliveryStatus.SENT: 40 * ROUNDS}


@pytest.mark.parametrize("refuses_repeats", [True, False])
def test_a_worker_process_killed_mid_batch_is_replaced_and_the_rest_arrives(
    lms,  # noqa: F811
    course_id,  # noqa: F811
    tmp_path,
    refuses_repeats,
):
    """kill -9 of a worker while eight sends are in flight at once; with an LMS that refuses
    a repeated timestamp and with one that stores every score it is given."""
    lms.ags.refuses_repeats = refuses_repeats
    app, course = course_id
    people = students(app, course, 15)
    record_round(app, course, people, 3.0, utcnow())
    reached, release = threading.Event(), threading.Event()

    def hold_from_the_twelfth(_score: Any) -> None:
        if len(lms.ags.accepted) >= 12:
            reached.set()
            release.wait(60)  # the worker is killed while waiting for these answers

    lms.ags.on_score = hold_from_the_twelfth
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # a worker starting sends what is due without waiting
            [str(RAPPORT), "worker", "--workers", "1"],
            env={**os.environ, "JOBS_BACKEND": "sqlite"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            assert reached.wait(120), log_path.read_text()
        finally:
            process.kill()
            process.wait(30)
            release.set()
    lms.ags.on_score = None
    arrived = len(lms.ags.accepted)
    assert 12 <= arrived < 30  # some sends of the batch arrived, some never left
    unsettled = 30 - Counter(r.status for r in all_deliveries(app))[DeliveryStatus.SENT]
    assert unsettled > 30 - arrived  # arrived, yet not recorded: what the next run must check
    restarted = subprocess.run(
        [str(RAPPORT), "grades", "worker", "--once"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert restarted.returncode == 0, restarted.stderr
    assert f"{unsettled} deliveries handled; nothing waiting" in restarted.stdout
    assert Counter(r.status for r in all_deliveries(app)) == {DeliveryStatus.SENT: 30}
    assert len(lms.ags.accepted) == 30  # each exactly once: the arrived ones confirmed
    assert len({(s.line_item, s.user_id) for s in lms.ags.accepted}) == 30
    assert lms.ags.conflicts == []  # none was sent again
    assert len(lms.ags.line_items) == 2


@contextmanager
def _statements(app: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = state(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_batch_costs_the_same_statements_for_6_scores_as_for_40(lms, course_id):  # noqa: F811
    app, course = course_id
    people = students(app, course, 23)
    record_round(app, course, people[:1], 1.0, utcnow())
    worker_for(app).drain()  # the gradebook columns and the token, before counting
    counts = []
    for group in (people[1:4], people[4:]):
        record_round(app, course, group, 2.0, utcnow())
        worker = worker_for(app)
        with _statements(app) as seen:
            assert worker.deliver_due() == 2 * len(group)
        counts.append(len(seen))
    assert counts[0] == counts[1] and counts[0] <= 15, counts
    assert len(lms.ags.accepted) == 2 * 23
