"""Grade delivery to the demo LMS, against bare score POSTs to the same LMS in the same run
(AGS 2.0 §3.4 scores; issue 15: at least 200 scores/s delivered).

    .venv/bin/python -m benchmarks.grades [ACTIVITIES]
    BENCH_DATABASE_URL=postgresql://… also on PostgreSQL (an empty database: its tables are
    dropped and migrated again)

The demo LMS runs as `make run` starts it, `rapport run` with RAPPORT_DEMO=1, in a process of
its own (the worker's threads and the LMS's do not share one interpreter lock); BENCH_DEMO_SERVER=
gunicorn serves the same app with gunicorn's threaded worker instead, which keeps connections
alive (werkzeug's server closes each one). A staff launch stores the course; every one of the
demo course's 13 people gets a score in each of ACTIVITIES activities, one gradebook column
each:
- warm-up: the first person's scores, which find or create the columns and fetch the token;
- delivery: the other 12 people's scores (12 x ACTIVITIES, one per person-activity pair),
  recorded, then drained by one `GradeWorker` (claim in batches, send at once, settle), timed
  from the first claim to the last commit;
- baseline: the same number of score POSTs to the same columns with the worker's token, bare,
  one after another on one `requests.Session`; and the same at the worker's concurrency, which
  is what the LMS itself can take.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy import func, select, text

from benchmarks.results import Figure, report
from lti_tool import create_app
from lti_tool.db import Base, make_engine, transaction, utcnow
from lti_tool.demo.people import COURSE
from lti_tool.extensions import cache
from lti_tool.lti.ags import SCORE, AgsEndpoint, service_url
from lti_tool.lti.platform_keys import USER_AGENT
from lti_tool.lti.service_auth import PlatformEndpoint
from lti_tool.models import Course, GradableActivity, GradeDelivery, Person, Registration
from lti_tool.models.grades import DeliveryStatus
from lti_tool.services.grades.service import ActivitySpec, record_score
from lti_tool.services.grades.worker import CONCURRENCY, GradeWorker
from tests.demo.flow import launch_as
from tests.servers import free_port, wait_until

TARGET_PER_SECOND = 200.0
BIN = Path(sys.executable).parent
LINK = "demo-link-rapport"


@dataclass(frozen=True)
class Measured:
    database: str
    scores: int
    delivered_per_second: float
    bare_per_second: float
    bare_at_once_per_second: float


def _reset(url: str) -> None:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def _cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user and system) used so far by this process, or by another (by pid) and
    the processes it started (gunicorn's worker)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(_cpu_seconds(int(child)) for child in children)


@contextmanager
def _demo_lms(env: dict[str, str], port: int, folder: Path) -> Iterator[tuple[str, int]]:
    """Rapport with its demo LMS in a process of its own, as `make run` starts it."""
    url = f"http://127.0.0.1:{port}"
    upgrade = [str(BIN / "rapport"), "db", "upgrade"]
    subprocess.run(upgrade, env=env, check=True, timeout=120)
    if os.environ.get("BENCH_DEMO_SERVER") == "gunicorn":
        command = [str(BIN / "gunicorn"), "-k", "gthread", "--threads", "16", "-w", "1"]
        command += ["-b", f"127.0.0.1:{port}", "lti_tool:create_app()"]
    else:
        command = [str(BIN / "rapport"), "run", "--host", "127.0.0.1", "--port", str(port)]
    with (folder / "lms.log").open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: _up(url), 60), (folder / "lms.log").read_text()
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(30)


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _course(url: str) -> int:
    launch = launch_as(requests.Session(), url, COURSE.staff[0].person_id)
    found = re.search(r"/courses/(\d+)/", launch.launch.headers.get("Location", ""))
    assert found is not None, launch.launch.text[:500]
    return int(found.group(1))


def _people(app: Flask, course_id: int) -> list[int]:
    """Each of the demo course's people, as the roster sync would have stored them."""
    with transaction(app.extensions["rapport"].sessions) as session:
        registration = session.get_one(Course, course_id).registration_id
        known = dict(
            session.execute(
                select(Person.sub, Person.id).where(Person.registration_id == registration)
            ).all()
        )
        for person in COURSE.people:
            if person.sub not in known:
                row = Person(registration_id=registration, sub=person.sub, name=person.name)
                session.add(row)
                session.flush()
                known[person.sub] = row.id
        return [known[p.sub] for p in COURSE.people]


def _record(app: Flask, course_id: int, people: list[int], activities: int) -> None:
    with transaction(app.extensions["rapport"].sessions) as session:
        course = session.get_one(Course, course_id)
        for person_id in people:
            person = session.get_one(Person, person_id)
            for n in range(activities):
                spec = ActivitySpec(f"bench:{n}", f"Benchmark {n}", 10, resource_link_id=LINK)
                record_score(session, course, spec, person, 7)


def _bare_posts(app: Flask, worker: GradeWorker, count: int, at_once: int) -> float:
    """Scores per second for `count` score POSTs to the same columns, token in hand."""
    with transaction(app.extensions["rapport"].sessions) as session:
        items = list(session.scalars(select(GradableActivity.lineitem_url)))
        registration = session.scalars(select(Registration)).one()
        claim = session.scalars(select(Course.ags_endpoint)).one()
    endpoint = AgsEndpoint.from_claim(claim)
    assert endpoint is not None
    token = worker.client.tokens.token(PlatformEndpoint.of(registration), endpoint.token_scopes)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCORE, "User-Agent": USER_AGENT}
    http = requests.Session()
    later = utcnow() + timedelta(minutes=at_once)
    people = [p.sub for p in COURSE.people]

    def post(n: int) -> None:
        item = items[n % len(items)]
        body = {
            "userId": people[n // len(items) % len(people)],
            "scoreGiven": 8,
            "scoreMaximum": 10,
            "timestamp": (later + timedelta(seconds=n // (len(items) * len(people)))).isoformat(),
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
        }
        answer = http.post(service_url(str(item), "scores"), json=body, headers=headers)
        assert answer.status_code == 204, answer.text

    started = time.perf_counter()
    with ThreadPoolExecutor(at_once) as pool:
        list(pool.map(post, range(count)))
    return count / (time.perf_counter() - started)


def measure(url: str, folder: Path, activities: int) -> Measured:
    _reset(url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RAPPORT_INSTANCE_DIR": str(folder / "instance"),
        "KEYS_DIR": str(folder / "keys"),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RAPPORT_DEMO": "1",
        "JOBS_BACKEND": "memory",  # the worker below delivers; nothing else runs jobs
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "RAPPORT_INSTANCE_DIR", "KEYS_DIR")})
    os.environ.update(PUBLIC_URL=env["PUBLIC_URL"], JOBS_BACKEND="memory")
    with _demo_lms(env, port, folder) as (lms, lms_pid):
        course_id = _course(lms)
        app = create_app({})
        rapport = app.extensions["rapport"]
        worker = GradeWorker.create(
            rapport.sessions, rapport.keyring, app.extensions["cache"][cache], rapport.http
        )
        people = _people(app, course_id)
        _record(app, course_id, people[:1], activities)
        assert worker.drain() == activities  # the columns and the token, outside the timing
        _record(app, course_id, people[1:], activities)
        scores = activities * (len(people) - 1)
        started = time.perf_counter()
        cpu = (_cpu_seconds(), _cpu_seconds(lms_pid))
        delivered = worker.drain()
        seconds = time.perf_counter() - started
        cpu = (_cpu_seconds() - cpu[0], _cpu_seconds(lms_pid) - cpu[1])
        print(
            f"CPU per delivered score: worker {cpu[0] / delivered * 1000:.2f} ms, "
            f"demo LMS {cpu[1] / delivered * 1000:.2f} ms"
        )
        with transaction(rapport.sessions) as session:
            sent = session.scalar(
                select(func.count()).where(GradeDelivery.status == DeliveryStatus.SENT)
            )
        assert delivered == scores and sent == scores + activities, (delivered, sent)
        bare = _bare_posts(app, worker, scores, 1)
        bare_at_once = _bare_posts(app, worker, scores, CONCURRENCY)
        database = rapport.engine.dialect.name
        rapport.engine.dispose()
    return Measured(database, scores, scores / seconds, bare, bare_at_once)


def figures(activities: int = 50) -> list[Figure]:
    found: list[Figure] = []
    urls = ["sqlite:///{folder}/bench.db"]
    if os.environ.get("BENCH_DATABASE_URL"):
        urls.append(os.environ["BENCH_DATABASE_URL"])
    server = (
        "gunicorn gthread" if os.environ.get("BENCH_DEMO_SERVER") == "gunicorn" else "rapport run"
    )
    for url in urls:
        with tempfile.TemporaryDirectory() as tmp:
            m = measure(url.format(folder=tmp), Path(tmp), activities)
        print(
            f"{m.database}, demo LMS under {server}: {m.scores} scores delivered at "
            f"{m.delivered_per_second:.0f}/s; bare POSTs {m.bare_per_second:.0f}/s one at a "
            f"time, {m.bare_at_once_per_second:.0f}/s {CONCURRENCY} at once"
        )
        name = f"grades delivered to the demo LMS, {m.database}"
        found.append(
            Figure.at_least(
                name,
                round(m.delivered_per_second, 1),
                "scores/s",
                TARGET_PER_SECOND,
                round(m.bare_per_second, 1),
            )
        )
        found.append(
            Figure.at_least(
                f"bare score POSTs to the demo LMS, {CONCURRENCY} at once, {m.database}",
                round(m.bare_at_once_per_second, 1),
                "scores/s",
                TARGET_PER_SECOND,
            )
        )
    return found


if __name__ == "__main__":
    report(figures(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
