"""How much the grade queue costs on top of the HTTP calls it makes (AGS 2.0 §3.4 scores).

    .venv/bin/python -m benchmarks.grades [SCORES]    (DATABASE_URL picks the database)

Both sides post the same number of scores to the same lti1p3platform server, over HTTP:
- baseline: the score POSTs alone, with one access token, in a loop;
- queue: `record_score` for each, then one worker drains them (claim, order, timestamp, send,
  settle), one transaction per score.
Reported as ratios against the baseline measured in the same run, so machines compare.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import requests

from lti_tool import create_app
from lti_tool.db import Base, make_engine, transaction, utcnow
from lti_tool.extensions import cache
from lti_tool.lti.ags import SCORE
from lti_tool.lti.platform_keys import USER_AGENT
from lti_tool.models import Course, Person
from lti_tool.services.grades.service import ActivitySpec, record_score
from lti_tool.services.grades.worker import GradeWorker
from lti_tool.services.platforms.service import PlatformSpec, save_platform
from tests.independent_platform import INSTRUCTOR, auto_post_form
from tests.independent_services import FakeClock, services_platform
from tests.servers import free_port, serve

ACTIVITY = ActivitySpec("bench:1", "Benchmark", 10, resource_link_id="c-bench-rapport")


def _app(folder: Path, port: int) -> object:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'bench.db'}")
    os.environ.update(RAPPORT_INSTANCE_DIR=str(folder / "instance"), KEYS_DIR=str(folder / "k"))
    engine = make_engine(os.environ["DATABASE_URL"])
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    return create_app({"testing": True, "public_url": f"http://127.0.0.1:{port}"})


def _launch(lms: object, url: str) -> int:
    browser = requests.Session()
    params = lms.platform.login_params("c-bench", "u-staff")  # type: ignore[attr-defined]
    login = browser.post(url + "/lti/login", data=params, allow_redirects=False)
    action, form = auto_post_form(browser.get(login.headers["Location"]).text)
    found = re.search(
        r"/courses/(\d+)/",
        browser.post(action, data=form, allow_redirects=False).headers["Location"],
    )
    assert found is not None
    return int(found.group(1))


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        app = _app(Path(tmp), port)
        lms = services_platform()
        lms.platform.add_user("u-staff", "Staff")
        lms.platform.add_course("c-bench", "Bench")
        lms.platform.enrol("c-bench", "u-staff", INSTRUCTOR)
        with lms.platform.running(), serve(app, port=port) as url:  # type: ignore[arg-type]
            lms.platform.connect(url)
            state = app.extensions["rapport"]  # type: ignore[attr-defined]
            with transaction(state.sessions) as session:
                save_platform(session, PlatformSpec(**lms.platform.registration()))
            course_id = _launch(lms, url)
            with transaction(state.sessions) as session:
                course = session.get_one(Course, course_id)
                people = [
                    Person(registration_id=course.registration_id, sub=f"b{n}")
                    for n in range(count)
                ]
                session.add_all(people)
                session.flush()
                started = time.perf_counter()
                for person in people:
                    record_score(session, course, ACTIVITY, person, 7)
            recorded = time.perf_counter() - started
            worker = GradeWorker.create(
                state.sessions,
                state.keyring,
                app.extensions["cache"][cache],  # type: ignore[attr-defined]
                state.http,
                clock=FakeClock(utcnow()),
            )
            worker.deliver_one()  # the line item and the token, outside both timings
            started = time.perf_counter()
            worker.drain()
            queue = time.perf_counter() - started
            baseline = _baseline(lms, count - 1)
    print(f"{count - 1} scores; baseline (bare POSTs) {baseline:.2f} s")
    print(f"queue: delivery {queue / baseline:.2f}x baseline, recording {recorded / baseline:.2f}x")


def _baseline(lms: object, count: int) -> float:
    """The same POSTs to the same line item, token in hand, nothing else."""
    item = next(iter(lms.ags.line_items.values()))["id"]  # type: ignore[attr-defined]
    token = next(iter(lms.tokens.issued))  # type: ignore[attr-defined]
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCORE, "User-Agent": USER_AGENT}
    started = time.perf_counter()
    for n in range(count):
        body = {
            "userId": f"x{n}",
            "scoreGiven": 7,
            "scoreMaximum": 10,
            "timestamp": utcnow().isoformat(),
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
        }
        assert http.post(item + "/scores", json=body, headers=headers).ok
    return time.perf_counter() - started


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
