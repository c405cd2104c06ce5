"""The one job runner (lti_tool.jobs): where jobs wait, that requests only queue them (after
their transaction commits, never for one rolled back), that a real `rapport worker` process
runs them, and that what a crash interrupted is resumed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from huey import MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import select

from lti_tool.config import load_settings
from lti_tool.db import transaction, utcnow
from lti_tool.jobs import enqueue_after_commit, jobs, make_huey
from lti_tool.models import BulkStart, FeedbackThread, Membership, Person
from lti_tool.models.course import CourseRole
from lti_tool.tasks import RESUME, ROSTER_SYNC
from tests.conftest import TEST_REDIS_URL, register, state
from tests.newsfeed_flow import enter, teacher
from tests.servers import free_port, wait_until

RAPPORT = Path(sys.executable).with_name("rapport")


def test_jobs_wait_in_redis_with_redis_and_in_sqlite_without(tmp_path):
    base = {"RAPPORT_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "x"}
    queue = make_huey(load_settings(base))
    assert isinstance(queue, SqliteHuey)
    assert (tmp_path / "jobs.sqlite3").exists()
    # WAL without a disk sync per commit (one cost a launch 2.3 ms on this machine's disk)
    connection = queue.storage.conn
    assert connection.execute("pragma journal_mode").fetchone() == ("wal",)
    assert connection.execute("pragma synchronous").fetchone() == (1,)  # NORMAL
    with_redis = load_settings({**base, "REDIS_URL": "redis://127.0.0.1:6379/15"})
    assert isinstance(make_huey(with_redis), RedisHuey)
    chosen = load_settings({**base, "REDIS_URL": "redis://x", "JOBS_BACKEND": "sqlite"})
    assert isinstance(make_huey(chosen), SqliteHuey)
    assert isinstance(make_huey(load_settings({**base, "JOBS_BACKEND": "memory"})), MemoryHuey)
    with pytest.raises(ValueError, match="JOBS_BACKEND"):
        make_huey(load_settings({**base, "JOBS_BACKEND": "celery"}))
    with pytest.raises(ValueError, match="REDIS_URL"):
        make_huey(load_settings({**base, "JOBS_BACKEND": "redis"}))


def test_a_job_is_queued_when_its_transaction_commits_and_never_when_it_rolls_back(app):
    queue = jobs(app)
    with state(app).sessions() as session:
        enqueue_after_commit(session, RESUME)
        assert queue.backlog() == 0  # not before the commit
        session.commit()
    assert queue.backlog() == 1
    with state(app).sessions() as session:
        enqueue_after_commit(session, ROSTER_SYNC, 1, None, None)
        session.rollback()
        session.commit()
    assert queue.backlog() == 1
    assert queue.run_pending() == 1


def _bulk_start(staff, students: list[int]) -> int:
    confirmed = staff.post(
        "snippets/start", {"student": students, "title": "Week 1", "body": "Hi {first_name}."}
    )
    assert confirmed.status_code == 303, confirmed.text[:300]
    return int(urlsplit(confirmed.headers["Location"]).path.rsplit("/", 1)[1])


def _student_ids(app) -> list[int]:
    with transaction(state(app).sessions) as session:
        return list(session.scalars(select(Person.id).where(Person.sub.startswith("s-"))))


def test_a_bulk_start_a_crash_interrupted_is_resumed_by_the_minute_s_sweep(tool, platform):
    app, url = tool
    staff = teacher(platform, url)
    for n in range(3):
        enter(platform, url, f"s-{n}", name=f"Student {n}")
    queue = jobs(app)
    queue.run_pending()
    bulk_id = _bulk_start(staff, _student_ids(app))
    queue.huey.flush()  # the worker that took the job died with it
    with transaction(state(app).sessions) as session:
        assert session.get_one(BulkStart, bulk_id).status == "running"
        assert session.scalars(select(FeedbackThread)).all() == []
    queue.enqueue(RESUME)
    assert queue.run_pending() == 2  # the sweep, and the bulk start it queued again
    with transaction(state(app).sessions) as session:
        bulk = session.get_one(BulkStart, bulk_id)
        assert (bulk.status, bulk.done) == ("done", 3)
        assert len(session.scalars(select(FeedbackThread)).all()) == 3
    queue.enqueue(RESUME)
    assert queue.run_pending() == 1  # nothing running: nothing queued again


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(RAPPORT), "worker", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_worker_process_killed_mid_bulk_start_is_replaced_and_the_start_completes(
    live, platform, backend
):
    """A real `rapport worker` takes the job from the queue the web process wrote to; killed
    (-9) partway, the next worker resumes the bulk start where its chunks got to, and every
    student gets exactly one thread."""
    if backend == "redis" and not TEST_REDIS_URL:
        pytest.skip("Redis runs in the PostgreSQL pass (TEST_REDIS_URL)")
    queue_name = f"rapport-test-{os.getpid()}-{threading.get_ident()}"
    app, url = live(jobs_backend=backend, jobs_queue_name=queue_name)
    register(app, platform)
    staff = teacher(platform, url)
    with transaction(state(app).sessions) as session:
        registration = session.scalars(select(Person.registration_id)).first()
        people = [
            Person(registration_id=registration, sub=f"s-{n:04d}", name=f"Student {n}")
            for n in range(1500)
        ]
        session.add_all(people)
        session.flush()
        course = int(staff.course.strip("/").split("/")[1])
        session.add_all(
            Membership(course_id=course, person_id=p.id, role=CourseRole.STUDENT) for p in people
        )
    students = _student_ids(app)
    bulk_id = _bulk_start(staff, students)
    env = {
        **os.environ,
        "JOBS_BACKEND": backend,
        "JOBS_QUEUE_NAME": queue_name,
        "PUBLIC_URL": url,
    }

    def done_so_far() -> int:
        with transaction(state(app).sessions) as session:
            return int(session.get_one(BulkStart, bulk_id).done)

    def finished() -> bool:  # the last chunk counts before the run marks itself done
        with transaction(state(app).sessions) as session:
            return session.get_one(BulkStart, bulk_id).status == "done"

    first = _worker(env)
    try:
        assert wait_until(lambda: done_so_far() > 0), "the worker never started the threads"
    finally:
        first.kill()
        first.wait(30)
    stopped_at = done_so_far()
    assert 0 < stopped_at < len(students), stopped_at
    second = _worker(env)
    try:
        assert wait_until(finished), done_so_far()
    finally:
        second.terminate()
        second.communicate(timeout=30)
    with transaction(state(app).sessions) as session:
        bulk = session.get_one(BulkStart, bulk_id)
        threads = session.scalars(select(FeedbackThread.student_id)).all()
    assert bulk.status == "done"
    assert sorted(threads) == sorted(students)  # one each, none twice


def _metric(app, line_start: str) -> float:
    text = app.test_client().get("/metrics").get_data(as_text=True)
    found = [line for line in text.splitlines() if line.startswith(line_start)]
    return float(found[0].rsplit(" ", 1)[1]) if found else 0.0


def test_the_backlog_and_failed_jobs_show_in_the_metrics(app, monkeypatch):
    queue = jobs(app)
    failed = 'rapport_jobs_failed_total{job="roster.sync"}'
    before = _metric(app, failed)
    queue.enqueue(ROSTER_SYNC, 1, None, None)
    queue.enqueue(RESUME)
    assert _metric(app, "rapport_jobs_queued ") == 2

    def unreachable() -> None:
        raise ConnectionError("the LMS is down")

    monkeypatch.setattr("lti_tool.tasks.roster_sync", unreachable)
    assert queue.run_pending() == 2
    assert _metric(app, "rapport_jobs_queued ") == 0
    assert _metric(app, failed) == before + 1


def test_health_names_the_jobs_waiting(app):
    jobs(app).enqueue(RESUME)
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json["jobs_waiting"] == 1
    jobs(app).run_pending()
    assert app.test_client().get("/healthz").json["jobs_waiting"] == 0


def test_a_worker_on_another_machine_serves_its_own_metrics(live, tmp_path):
    """A worker that shares no PROMETHEUS_MULTIPROC_DIR with the web processes (another
    machine) serves its own /metrics: a roster sync that failed in it is counted there."""
    queue_name = f"rapport-test-{os.getpid()}-{threading.get_ident()}"
    app, url = live(jobs_backend="sqlite", jobs_queue_name=queue_name)
    jobs(app).enqueue(ROSTER_SYNC, 987_654, utcnow(), None)  # no such course: the sync fails
    port = free_port()
    env = {**os.environ, "JOBS_BACKEND": "sqlite", "JOBS_QUEUE_NAME": queue_name, "PUBLIC_URL": url}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [str(RAPPORT), "worker", "--workers", "1", "--metrics-port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    failed = 'rapport_roster_syncs_total{outcome="failed"} '

    def counted() -> bool:
        try:
            page = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
        except requests.ConnectionError:
            return False
        return any(line.startswith(failed + "1") for line in page.text.splitlines())

    try:
        assert wait_until(counted), "the worker's /metrics never counted the sync"
        page = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
        assert page.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert "\nrapport_jobs_queued " in page.text  # the queue as this worker reads it
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 404
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"/metrics on http://127.0.0.1:{port}" in output
