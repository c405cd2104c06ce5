"""Rapport through outages of its database and Redis: it starts while they are down, answers
503 pages naming what is down while they are, and serves again as soon as they are back,
without a restart.

An outage is a TCP link between the app and the shared PostgreSQL or Redis that the test cuts
and restores (tests/links.py), so the services keep running for every other test; on SQLite,
a database in a folder that does not exist yet.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from lti_tool.config import PROJECT_ROOT
from lti_tool.startup import NOT_MIGRATED
from tests.conftest import TEST_REDIS_URL, register
from tests.databases import database_url
from tests.links import Link, link_to
from tests.servers import BIN, gunicorn, server_process

CONFIG = ["-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "-w", "2"]
EXAMPLE_PLATFORMS = str(PROJECT_ROOT / "config.example.json")
DATABASE_DOWN = "cannot reach its database"
BOOTED_WITHOUT_DATABASE = "(answering 503 until it is back)"
postgres_only = pytest.mark.skipif(
    database_url() is None, reason="cuts the link to PostgreSQL of an app already serving"
)


@dataclass
class DatabaseOutage:
    """The app's DATABASE_URL, and the database behind it going away and coming back."""

    url: str
    restore: Any
    cut: Any = None  # PostgreSQL only: SQLite's open connections do not notice a file moved


@pytest.fixture
def database_outage(make_app: Any, tmp_path: Path) -> Iterator[DatabaseOutage]:
    """Starts cut. Builds the test's database first (`make_app`), which the outage hides."""
    make_app()
    real = database_url()
    if real is None:
        ready = tmp_path / "rapport.db"
        later = tmp_path / "not-yet" / "rapport.db"

        def arrive() -> None:
            later.parent.mkdir()
            shutil.copyfile(ready, later)

        yield DatabaseOutage(f"sqlite:///{later}", arrive)
        return
    with link_to(real) as (link, url):
        link.cut()
        yield DatabaseOutage(url, link.restore, link.cut)


def _launch(platform: Any, url: str) -> tuple[requests.Session, str]:
    """A person signed in by a launch: their browser and the course page it opened."""
    browser = requests.Session()
    launched = platform.full_launch(browser, url)
    assert launched.status_code == 303, launched.text
    return browser, url + launched.headers["Location"]


def test_starts_with_the_database_down_and_serves_once_it_is_back(live, platform, database_outage):
    app, url = live(database_url=database_outage.url)
    health = requests.get(url + "/healthz", timeout=30)
    assert (health.status_code, health.json()["database"]) == (503, "down")
    login = platform.login(requests.Session(), url)
    assert login.response.status_code == 503
    assert DATABASE_DOWN in login.response.text
    service = requests.get(
        url + "/lti/login",
        params={"iss": platform.issuer, "login_hint": "x", "target_link_uri": url},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert service.status_code == 503
    assert DATABASE_DOWN in service.json()["message"]

    database_outage.restore()
    assert requests.get(url + "/healthz", timeout=30).status_code == 200
    register(app, platform)
    browser, course = _launch(platform, url)
    assert browser.get(course, timeout=30).status_code == 200


@postgres_only
def test_a_course_page_during_an_outage_is_a_503_page_then_itself_again(
    live, platform, database_outage
):
    database_outage.restore()
    app, url = live(database_url=database_outage.url)
    register(app, platform)
    browser, course = _launch(platform, url)
    database_outage.cut()
    during = browser.get(course, timeout=30)
    assert during.status_code == 503
    assert DATABASE_DOWN in during.text
    assert requests.get(url + "/healthz", timeout=30).json()["database"] == "down"
    database_outage.restore()
    assert browser.get(course, timeout=30).status_code == 200


@pytest.mark.skipif(not TEST_REDIS_URL, reason="cuts a link to Redis (REDIS_URL)")
def test_starts_with_redis_down_and_lets_people_in_once_it_is_back(live, platform):
    assert TEST_REDIS_URL is not None
    with link_to(TEST_REDIS_URL) as (redis, url_through_link):
        redis.cut()
        app, url = live(redis_url=url_through_link)
        register(app, platform)
        login = platform.login(requests.Session(), url)
        assert login.response.status_code == 503
        assert "Redis is not answering" in login.response.text
        assert requests.get(url + "/healthz", timeout=30).json()["redis"] == "down"
        redis.restore()
        assert requests.get(url + "/healthz", timeout=30).status_code == 200
        browser, course = _launch(platform, url)
        assert browser.get(course, timeout=30).status_code == 200


# -- gunicorn, as in production ---------------------------------------------------------------
def _workers(master: subprocess.Popen[bytes]) -> set[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text()
    return {int(pid) for pid in children.split()}


def _wait_for(check: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def test_gunicorn_boots_with_the_database_down_and_lti_config_set(database_outage, tmp_path):
    """The issue's failure: a worker restarted during the outage stopped gunicorn for good."""
    env = {"DATABASE_URL": database_outage.url, "LTI_CONFIG": EXAMPLE_PLATFORMS}
    with server_process(gunicorn(*CONFIG), env, tmp_path / "gunicorn.log") as server:

        def booted() -> int:  # each worker that booted says the database is down
            return server.output().count(BOOTED_WITHOUT_DATABASE)

        _wait_for(lambda: booted() == 2)
        assert requests.get(server.url + "/healthz", timeout=30).status_code == 503
        os.kill(min(_workers(server.process)), signal.SIGKILL)  # dies mid-outage
        _wait_for(lambda: booted() == 3)  # and its replacement boots
        page = requests.get(server.url + "/lti/jwks.json", timeout=30)
        assert (page.status_code, DATABASE_DOWN in page.text) == (503, True)
        database_outage.restore()
        health = requests.get(server.url + "/healthz", timeout=30)
        assert health.status_code == 200, health.text
        assert requests.get(server.url + "/lti/jwks.json", timeout=30).status_code == 200
    log = server.output()
    assert "Worker failed to boot" not in log
    assert "Traceback" not in log


@pytest.mark.parametrize(
    "command", [gunicorn(*CONFIG), [str(BIN / "rapport"), "run", "--port", "{port}"]]
)
def test_on_an_unmigrated_database_it_says_what_to_run_once_and_serves_after_it(
    make_app, tmp_path, command
):
    make_app(create_schema=False)
    env = {"LTI_CONFIG": EXAMPLE_PLATFORMS}
    booted = 2 if "gunicorn" in command[0] else 1
    # Waiting on a file that needs no database: the line comes at start, not on a request.
    log = tmp_path / "server.log"
    with server_process(command, env, log, ready="/static/rapport.css") as server:
        _wait_for(lambda: server.output().count(NOT_MIGRATED) == booted)
        health = requests.get(server.url + "/healthz", timeout=30)
        assert (health.status_code, health.json()["database"]) == (503, "not migrated")
        page = requests.get(server.url + "/lti/jwks.json", timeout=30)
        assert page.status_code == 503
        assert "Rapport is being updated" in page.text
        upgrade = subprocess.run(
            [str(BIN / "rapport"), "db", "upgrade"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert upgrade.returncode == 0, upgrade.stderr
        assert "imported 2 platform registration(s)" in upgrade.stdout
        assert requests.get(server.url + "/healthz", timeout=30).status_code == 200
        assert requests.get(server.url + "/lti/jwks.json", timeout=30).status_code == 200
    assert "Traceback" not in server.output()
    assert server.output().count(NOT_MIGRATED) == booted  # not one more for all those requests


# -- under traffic: timings for the README ----------------------------------------------------
@dataclass
class Traffic:
    """Requests sent in a loop from a thread per page: when each was sent and answered (in
    seconds from the start), and what it answered."""

    started: float = field(default_factory=time.monotonic)
    answers: list[tuple[float, float, str, int | str]] = field(default_factory=list)
    running: bool = True

    def send(self, name: str, request: Any) -> None:
        while self.running:
            sent = time.monotonic() - self.started
            try:
                status: int | str = request().status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            self.answers.append((sent, time.monotonic() - self.started, name, status))
            time.sleep(0.05)  # 20 a second: under the sign-in rate limit

    def within(self, name: str, start: float, end: float) -> set[int | str]:
        """What requests sent after `start` and answered before `end` answered."""
        return {s for sent, done, n, s in self.answers if n == name and start <= sent < done < end}

    def first(self, name: str, status: int, after: float) -> float:
        """How long after `after` the first answer `status` came."""
        answered = [done for _, done, n, s in self.answers if n == name and s == status]
        return min(done for done in answered if done >= after) - after


@postgres_only
@pytest.mark.skipif(not TEST_REDIS_URL, reason="cuts a link to Redis too")
def test_gunicorn_under_traffic_through_a_database_and_a_redis_outage(make_app, platform, tmp_path):
    app = make_app()
    register(app, platform)
    real_database = database_url()
    assert real_database is not None and TEST_REDIS_URL is not None
    with (
        link_to(real_database) as (database, database_url_through_link),
        link_to(TEST_REDIS_URL) as (redis, redis_url_through_link),
    ):
        env = {"DATABASE_URL": database_url_through_link, "REDIS_URL": redis_url_through_link}
        with server_process(gunicorn(*CONFIG), env, tmp_path / "gunicorn.log") as server:
            browser, course = _launch(platform, server.url)
            traffic = Traffic()
            pages = {
                "course": lambda: browser.get(course, timeout=30),
                "login": lambda: platform.login(requests.Session(), server.url).response,
            }
            with ThreadPoolExecutor(len(pages)) as pool:
                for name, request in pages.items():
                    pool.submit(traffic.send, name, request)
                timeline = _outages(traffic, database, redis)
                traffic.running = False
        log = server.output()
    _report(traffic, timeline)
    assert "Traceback" not in log
    cut_db, back_db, cut_redis, back_redis, end = timeline
    statuses = {status for _, _, _, status in traffic.answers}
    assert statuses <= {200, 302, 503}, statuses  # never a 500, never a refused connection
    assert traffic.within("course", cut_db, back_db) == {503}
    assert traffic.within("course", back_db + 1, end) == {200}  # a session needs no Redis
    assert traffic.within("login", cut_redis, back_redis) == {503}
    assert traffic.within("login", back_redis + 1, end) == {302}


def _outages(traffic: Traffic, database: Link, redis: Link) -> tuple[float, ...]:
    """Up 1.5 s; the database cut for 3 s; up 2 s; Redis cut for 3 s; up 2 s. Each moment is
    when a cut was complete, or just before a link came back."""
    moments = []
    for link in (database, redis):
        time.sleep(1.5 if link is database else 2)
        link.cut()
        moments.append(time.monotonic() - traffic.started)
        time.sleep(3)
        moments.append(time.monotonic() - traffic.started)
        link.restore()
    time.sleep(2)
    moments.append(time.monotonic() - traffic.started)
    return tuple(moments)


def _report(traffic: Traffic, timeline: tuple[float, ...]) -> None:
    """What an operator would see, printed for `pytest -s`."""
    cut_db, back_db, cut_redis, back_redis, _ = timeline
    refusals = [done - sent for sent, done, _, status in traffic.answers if status == 503]
    print(
        f"\n{len(traffic.answers)} requests, {len(refusals)} of them 503 (the slowest in "
        f"{max(refusals):.3f} s). Course page: first 503 answered "
        f"{traffic.first('course', 503, cut_db):.3f} s after the database was cut, first 200 "
        f"{traffic.first('course', 200, back_db):.3f} s after it was back. Sign-in: first 503 "
        f"{traffic.first('login', 503, cut_redis):.3f} s after Redis was cut, first 302 "
        f"{traffic.first('login', 302, back_redis):.3f} s after it was back."
    )
