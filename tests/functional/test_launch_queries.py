"""A launch is fast at the size Rapport exists for (issue 15): the OIDC login costs at most one
SQL statement, the launch POST four (person, course, membership, resource link, one statement
each), and the course home it lands on six, for a student and for staff, on a first launch
and a returning one.

Registrations and deployments are kept per process (`services/platforms/directory.py`): two
Rapport instances sharing a database and cache both stop using a registration or deployment as
soon as an administrator changes it on either, without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import event, select

from lti_tool.cli import main as rapport_cli
from lti_tool.db import transaction, utcnow
from lti_tool.extensions import cache
from lti_tool.models import Course, Person
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.tutors.service import allocate
from tests.conftest import TEST_REDIS_URL, register, state
from tests.platform import INSTRUCTOR, LTI, TestPlatform

MOST = {"login": 1, "launch": 4, "course home": 6}
# Commands to the Redis that holds launch state and caches (the rate limits' are apart). Each
# request reads the platform stamp once (registrations, and the platforms' origins for the
# Content-Security-Policy); the login stores its parameters with its nonce, in one key; the
# launch reads them, uses them up and marks the state answered.
MOST_REDIS = {"login": 2, "launch": 4, "course home": 1}


def counted(app: Flask, step: Callable[[], Any]) -> tuple[Any, list[str]]:
    """What `step` returned, and the SQL statements the app sent while it ran."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    engine = state(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        return step(), sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def launch_steps(
    app: Flask, url: str, platform: TestPlatform, sub: str, staff: bool = False
) -> dict[str, list[str]]:
    """A whole launch in a new browser: the statements of its login, launch and course home
    (whose page is kept as `steps["page"]`)."""
    browser = requests.Session()
    roles = {LTI + "roles": [INSTRUCTOR]} if staff else {}
    login, statements = counted(app, lambda: platform.login(browser, url))
    assert login.response.status_code == 302, login.response.text
    steps = {"login": statements}
    token = platform.sign(platform.claims(login.nonce, sub=sub, **roles))
    launched, steps["launch"] = counted(
        app, lambda: platform.launch(browser, url, token, login.state)
    )
    assert launched.status_code == 303, launched.text
    home, steps["course home"] = counted(
        app, lambda: browser.get(url + launched.headers["Location"])
    )
    assert home.status_code == 200
    assert ("People Rapport knows" in home.text) is staff
    steps["page"] = [home.text]
    return steps


def within_budget(steps: dict[str, list[str]]) -> None:
    for step, statements in steps.items():
        if step == "page":
            continue
        assert len(statements) <= MOST[step], (step, len(statements), statements)


def test_a_first_and_a_returning_launch_stay_within_their_statements(tool, platform):
    app, url = tool
    # The process's first request checks the schema, and its first page reads the platforms'
    # origins for the Content-Security-Policy (kept in the shared cache): once per process.
    requests.get(url + "/", timeout=10)
    for staff in (False, True):
        sub = "teacher" if staff else "student"
        first = launch_steps(app, url, platform, sub, staff)
        within_budget(first)
        returning = launch_steps(app, url, platform, sub, staff)
        within_budget(returning)
        # Under the same platform stamp, the registration is not read again.
        assert returning["login"] == []


def test_a_student_with_a_tutor_sees_them_within_the_same_statements(tool, platform):
    app, url = tool
    launch_steps(app, url, platform, "tutor", staff=True)
    before = launch_steps(app, url, platform, "student")
    assert "Your tutor" not in before["page"][0]
    with transaction(state(app).sessions) as session:
        people = dict(session.execute(select(Person.sub, Person.id)).all())
        course_id = session.scalars(select(Course.id)).one()
        grant = CourseGrant(course_id, people["tutor"], CourseRole.STAFF)
        allocate(session, grant, people["student"], people["tutor"], utcnow())
    steps = launch_steps(app, url, platform, "student")
    assert "Your tutor: Ada Lovelace" in steps["page"][0]
    within_budget(steps)


def test_two_instances_stop_using_a_deployment_or_registration_an_administrator_changed(
    live, platform
):
    one, _ = live()
    other, other_url = live()
    register(one, platform)
    cli = one.test_cli_runner()
    names = ["--issuer", platform.issuer, "--client-id", platform.client_id]
    launch_steps(other, other_url, platform, "student")  # `other` now keeps the registration

    platform.deployment_id = "dep-2"
    refused = platform.login(requests.Session(), other_url).response
    assert refused.status_code == 403 and "Deployment dep-2 is not registered" in refused.text

    added = cli.invoke(
        rapport_cli,
        ["platform", "add-deployment", platform.issuer, platform.client_id, "dep-2"],
    )
    assert added.exit_code == 0, added.output
    assert launch_steps(other, other_url, platform, "student")["login"]  # read anew, once

    removed = cli.invoke(
        rapport_cli,
        ["platform", "remove", *names, "--deployment-id", "dep-2"],
    )
    assert removed.exit_code == 0, removed.output
    refused = platform.login(requests.Session(), other_url).response
    assert refused.status_code == 403 and "Deployment dep-2 is not registered" in refused.text

    platform.deployment_id = "dep-1"
    launch_steps(other, other_url, platform, "student")
    gone = cli.invoke(rapport_cli, ["platform", "remove", *names])
    assert gone.exit_code == 0, gone.output
    refused = platform.login(requests.Session(), other_url).response
    assert refused.status_code == 400 and "No platform is registered" in refused.text


@pytest.mark.skipif(not TEST_REDIS_URL, reason="counts commands to Redis (the PostgreSQL pass)")
def test_a_returning_launch_stays_within_its_redis_commands(tool, platform, monkeypatch):
    app, url = tool
    launch_steps(app, url, platform, "student")
    client = app.extensions["cache"][cache]._write_client
    sent: list[tuple[Any, ...]] = []
    command = client.execute_command

    def counted_command(*args: Any, **kwargs: Any) -> Any:
        sent.append(args[:2])
        return command(*args, **kwargs)

    monkeypatch.setattr(client, "execute_command", counted_command)
    found: dict[str, list[tuple[Any, ...]]] = {}
    browser = requests.Session()
    for step, run in _steps(platform, browser, url):
        sent.clear()
        run()
        found[step] = list(sent)
    for step, commands in found.items():
        assert len(commands) <= MOST_REDIS[step], (step, commands)


def _steps(
    platform: TestPlatform, browser: requests.Session, url: str
) -> list[tuple[str, Callable[[], Any]]]:
    done: dict[str, Any] = {}

    def login() -> None:
        done["login"] = platform.login(browser, url)

    def launch() -> None:
        login = done["login"]
        token = platform.sign(platform.claims(login.nonce, sub="student"))
        done["launch"] = platform.launch(browser, url, token, login.state)

    def home() -> None:
        assert browser.get(url + done["launch"].headers["Location"]).status_code == 200

    return [("login", login), ("launch", launch), ("course home", home)]
