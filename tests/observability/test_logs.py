"""The log format: one JSON object per line with the request's id and the event's fields,
chosen by LOG_FORMAT, written to stderr by an app that starts with logging not yet set up."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from lti_tool.config import load_settings
from lti_tool.observability import logs
from lti_tool.observability.logs import JsonFormatter, configure, event, request_id

CHILD = """
from lti_tool import create_app
create_app().test_client().get("/healthz", headers={"X-Request-ID": "probe-1"})
"""


def test_a_record_is_one_json_line_with_its_request_id_fields_and_exception():
    logger = logging.getLogger("rapport.test")
    token = request_id.set("req-42")
    try:
        try:
            raise ValueError("a\nmulti-line\nfailure")
        except ValueError:
            record = logger.makeRecord(
                logger.name,
                logging.ERROR,
                __file__,
                1,
                "%s went wrong",
                ("sync",),
                sys.exc_info(),
                extra={"fields": {"event": "roster_sync", "course_id": 3}},
            )
        line = JsonFormatter().format(record)
    finally:
        request_id.reset(token)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["time"].endswith("+00:00")
    assert {k: parsed[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "error",
        "logger": "rapport.test",
        "message": "sync went wrong",
        "request_id": "req-42",
    }
    assert (parsed["event"], parsed["course_id"]) == ("roster_sync", 3)
    assert "ValueError: a\nmulti-line\nfailure" in parsed["exception"]


def test_outside_a_request_a_line_has_no_request_id():
    record = logging.getLogger("rapport.test").makeRecord(
        "rapport.test", logging.INFO, __file__, 1, "worker idle", (), None
    )
    assert "request_id" not in json.loads(JsonFormatter().format(record))


def test_an_event_below_the_loggers_level_costs_no_record(caplog):
    logger = logging.getLogger("rapport.test.quiet")
    logger.setLevel(logging.WARNING)
    with caplog.at_level(logging.DEBUG):
        event(logger, logging.INFO, "not shown", "request", route="/")
        event(logger, logging.WARNING, "shown", "request", route="/")
    logger.setLevel(logging.NOTSET)
    assert [(r.getMessage(), logs.fields_of(r)) for r in caplog.records] == [
        ("shown", {"event": "request", "route": "/"})
    ]


@pytest.mark.parametrize(
    ("environment", "chosen"),
    [
        ({}, "json"),
        ({"RAPPORT_DEMO": "1"}, "text"),
        ({"RAPPORT_DEMO": "1", "LOG_FORMAT": "JSON"}, "json"),
        ({"LOG_FORMAT": "text"}, "text"),
    ],
)
def test_log_format_is_json_unless_the_demo_runs_or_text_is_asked_for(environment, chosen):
    assert load_settings({"SECRET_KEY": "x", **environment}).log_format == chosen


def test_an_unknown_log_format_stops_the_start():
    with pytest.raises(ValueError, match="LOG_FORMAT must be json or text"):
        load_settings({"SECRET_KEY": "x", "LOG_FORMAT": "yaml"})


def test_logging_set_up_before_rapport_is_left_as_it_is():
    root = logging.getLogger()
    assert root.handlers, "pytest sets up logging before every test"
    before = list(root.handlers)
    configure("json")
    assert root.handlers == before


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_started_app_writes_its_lines_to_stderr(make_app, log_format):
    make_app()  # the database and keys the child process starts on
    run = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**os.environ, "LOG_FORMAT": log_format},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert run.stdout == ""
    [line] = [line for line in run.stderr.splitlines() if "/healthz" in line]
    if log_format == "text":
        assert " INFO rapport.requests: GET /healthz 200 in " in line
        return
    parsed = json.loads(line)
    assert {k: parsed[k] for k in ("event", "request_id", "route", "status", "method")} == {
        "event": "request",
        "request_id": "probe-1",
        "route": "/healthz",
        "status": 200,
        "method": "GET",
    }
    assert parsed["duration_ms"] >= 0
