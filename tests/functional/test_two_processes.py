"""Rapport as an institution runs it: two web processes (gunicorn) and two `rapport worker`
processes on PostgreSQL and Redis. A login on one web process and its launch on the other
succeed, a replay on either is refused, 500 scores reach the LMS exactly once, and a bulk start
whose workers are killed (a deploy) completes when a worker comes back."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import requests
from sqlalchemy import func, insert, select

from lti_tool.db import transaction, utcnow
from lti_tool.models import (
    BulkStart,
    DeliveryStatus,
    FeedbackThread,
    GradeDelivery,
    Membership,
    Person,
)
from lti_tool.models.course import CourseRole
from tests.conftest import TEST_REDIS_URL, register, state
from tests.databases import TEST_DATABASE_URL
from tests.functional.grades.test_delivery import lms, record_round, students  # noqa: F401
from tests.independent_platform import auto_post_form
from tests.servers import wait_until

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="two processes need PostgreSQL and Redis (the PostgreSQL pass of `make test`)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def _web(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "lti_tool:create_app()"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(BIN / "rapport"), "worker", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_two_web_processes_and_two_workers_share_one_installation(make_app, lms, tmp_path):  # noqa: F811
    redis_url = TEST_REDIS_URL.rsplit("/", 1)[0] + "/14"  # this test's own Redis database
    redis.Redis.from_url(redis_url).flushdb()
    first, second = _free_port(), _free_port()
    public = f"http://127.0.0.1:{first}"
    queue = f"rapport-two-{os.getpid()}"
    app = make_app(public_url=public, jobs_backend="redis", jobs_queue_name=queue)
    lms.platform.connect(public)
    register(app, lms.platform)
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "PUBLIC_URL": public,
        "JOBS_BACKEND": "redis",
        "JOBS_QUEUE_NAME": queue,
    }
    timings: dict[str, float] = {}
    with _processes() as running:
        running += [_web(env, first), _web(env, second)]
        a, b = f"http://127.0.0.1:{first}", f"http://127.0.0.1:{second}"
        assert wait_until(lambda: _up(a) and _up(b), 90), "the web processes did not start"

        # A login on one process, its launch on the other (a load balancer's way).
        browser = requests.Session()
        login = browser.post(
            a + "/lti/login",
            data=lms.platform.login_params("c-poetry", "u-grace"),
            allow_redirects=False,
        )
        assert login.status_code == 302, login.text[:300]
        action, form = auto_post_form(browser.get(login.headers["Location"]).text)
        assert action == public + "/lti/launch"
        launched = browser.post(b + "/lti/launch", data=form, allow_redirects=False)
        assert launched.status_code == 303, launched.text[:300]
        course_path = re.search(r"/courses/\d+/", launched.headers["Location"]).group(0)
        assert browser.get(b + course_path).status_code == 200
        for replay_to in (a, b):  # the same id_token again, on either process
            replayed = requests.post(replay_to + "/lti/launch", data=form, allow_redirects=False)
            assert replayed.status_code in {400, 403}, replayed.text[:300]
        course = int(course_path.strip("/").split("/")[1])

        # 500 scores, two workers: each reaches the LMS once.
        people = students(app, course, 250)
        started = time.monotonic()
        record_round(app, course, people, 7.0, utcnow())  # 250 people, 2 activities each
        running += [_worker(env), _worker(env)]

        def sent() -> int:
            with transaction(state(app).sessions) as session:
                return int(
                    session.scalar(
                        select(func.count())
                        .select_from(GradeDelivery)
                        .where(GradeDelivery.status == DeliveryStatus.SENT)
                    )
                    or 0
                )

        assert wait_until(lambda: sent() == 500, 180), sent()
        timings["500 scores"] = time.monotonic() - started
        assert len(lms.ags.accepted) == 500
        assert len({(s.line_item, s.user_id) for s in lms.ags.accepted}) == 500
        assert lms.ags.conflicts == []

        # A bulk start to 1,500 students; both workers killed partway (a deploy); one comes back.
        with transaction(state(app).sessions) as session:
            registration = session.scalar(
                select(Person.registration_id).where(Person.id == people[0])
            )
            more = session.scalars(
                insert(Person).returning(Person.id),
                [{"registration_id": registration, "sub": f"b-{n:04}", "name": f"B{n}"}
                 for n in range(1250)],
            ).all()  # fmt: skip
            session.execute(
                insert(Membership),
                [
                    {"course_id": course, "person_id": p, "role": CourseRole.STUDENT,
                     "active": True, "lti_roles": [], "created_at": utcnow()}
                    for p in [*people, *more]
                ],
            )  # fmt: skip
            chosen = list(
                session.scalars(
                    select(Membership.person_id).where(
                        Membership.course_id == course, Membership.role == CourseRole.STUDENT
                    )
                )
            )
        page = browser.get(b + course_path).text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        confirmed = browser.post(
            a + course_path + "snippets/start",
            data={"csrf_token": token, "student": chosen, "title": "Week 1", "body": "Hello."},
            allow_redirects=False,
        )
        assert confirmed.status_code == 303, confirmed.text[:300]
        bulk_id = int(urlsplit(confirmed.headers["Location"]).path.rsplit("/", 1)[1])

        def done() -> int:
            with transaction(state(app).sessions) as session:
                return int(session.get_one(BulkStart, bulk_id).done)

        def finished() -> bool:  # the last chunk counts before the run marks itself done
            with transaction(state(app).sessions) as session:
                return session.get_one(BulkStart, bulk_id).status == "done"

        assert wait_until(lambda: done() > 0, 90), "no worker took the bulk start"
        for worker in running[2:]:
            worker.kill()
            worker.wait(30)
        stopped_at = done()
        assert 0 < stopped_at < len(chosen), stopped_at
        started = time.monotonic()
        running.append(_worker(env))
        assert wait_until(finished, 90), done()
        timings["bulk start resumed"] = time.monotonic() - started
        with transaction(state(app).sessions) as session:
            assert session.get_one(BulkStart, bulk_id).status == "done"
            threads = session.scalars(
                select(FeedbackThread.student_id).where(FeedbackThread.bulk_start_id == bulk_id)
            ).all()
        assert sorted(threads) == sorted(chosen)
    print(
        f"\n500 scores by two workers in {timings['500 scores']:.1f} s; bulk start of "
        f"{len(chosen)} stopped at {stopped_at}, completed {timings['bulk start resumed']:.1f} s "
        "after a worker came back"
    )
