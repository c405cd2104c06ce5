"""A web process on a database that is not migrated: it starts, says so in one line, answers
503 pages, and serves once someone runs `rapport db upgrade`, without a restart."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event

from lti_tool.cli import main as rapport_cli
from lti_tool.migrate import upgrade
from lti_tool.startup import NOT_MIGRATED
from tests.conftest import state

PAGES = ["/courses/1/", "/lti/jwks.json", "/lti/canvas.json"]


def _not_migrated_lines(caplog: pytest.LogCaptureFixture) -> int:
    return sum(record.getMessage() == NOT_MIGRATED for record in caplog.records)


@pytest.mark.parametrize("revision", [None, "0009_pending_registrations"])
def test_until_migrated_every_page_is_503_and_the_log_says_once_what_to_run(
    make_app, caplog, revision
):
    """No tables at all, or a revision behind the head: the same answer."""
    app = make_app(create_schema=False)
    url = state(app).settings.database_url
    if revision:
        upgrade(url, revision)
    client = app.test_client()
    caplog.set_level(logging.INFO)
    for path in PAGES * 2:
        page = client.get(path)
        assert page.status_code == 503, path
        assert "Rapport is being updated" in page.text
        assert "rapport db upgrade" not in page.text  # the operator's words are in the log
    service = client.get("/courses/1/grades/", headers={"Accept": "application/json"})
    assert service.status_code == 503
    assert service.json["error"] == "Service Unavailable"
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["database"] == "not migrated"
    assert _not_migrated_lines(caplog) == 1
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere

    result = app.test_cli_runner().invoke(rapport_cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert client.get("/healthz").status_code == 200
    assert client.get("/lti/jwks.json").status_code == 200
    assert client.get("/courses/1/").status_code == 403  # a page like any other: no launch yet
    assert _not_migrated_lines(caplog) == 1


def test_the_demo_page_names_the_command_to_whoever_runs_it(make_app):
    app = make_app(create_schema=False, demo=True)
    page = app.test_client().get("/demo")
    assert page.status_code == 503
    assert "Run `rapport db upgrade`, then reload." in page.text


def test_once_migrated_requests_do_not_ask_again(app):
    """The answer is kept: a migrated database is not asked for its revision per request."""
    statements: list[str] = []
    event.listen(
        state(app).engine, "before_cursor_execute", lambda *args: statements.append(args[2])
    )

    def asked() -> int:
        return sum("alembic_version" in statement for statement in statements)

    client = app.test_client()
    assert client.get("/lti/jwks.json").status_code == 200
    assert asked() > 0
    after_the_first = asked()
    for _ in range(3):
        assert client.get("/lti/jwks.json").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert asked() == after_the_first
