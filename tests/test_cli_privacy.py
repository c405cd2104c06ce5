"""`rapport privacy export` and `rapport privacy erase` through click's runner: JSON out, a
question before erasing (unless --yes), a clear refusal and exit code 1 for nobody by that
`sub`, and an erasure logged with who asked and when — not whom or what."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from lti_tool.cli import main as rapport_cli
from lti_tool.models import Person, PersonErasure
from tests.conftest import state
from tests.services.privacy.world import (
    EMAIL,
    ISSUER,
    MARKERS,
    NAME,
    SUB,
    World,
    build_world,
    write_everything,
)

WHO = ["--issuer", ISSUER, "--sub", SUB]


@pytest.fixture
def world(app) -> World:
    built = build_world(state(app).sessions)
    write_everything(built)
    return built


def run(app, *args: str, answer: str | None = None):
    return app.test_cli_runner().invoke(rapport_cli, ["privacy", *args], input=answer)


def names(world: World) -> list[str | None]:
    with world.session() as session:
        return list(session.scalars(select(Person.name).order_by(Person.id)))


def test_export_prints_everything_as_json(app, world):
    result = run(app, "export", *WHO)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["sub"] == SUB
    assert [m for m in MARKERS if m not in result.output] == []
    assert names(world)[0] == NAME  # reading changes nothing


def test_erase_asks_first_and_a_no_changes_nothing(app, world):
    refused = run(app, "erase", *WHO, answer="n\n")
    assert refused.exit_code == 1
    assert "Erase everything Rapport holds about" in refused.output
    assert "(1 record(s), 2 course(s))? This cannot be undone." in refused.output
    assert "Aborted" in refused.output
    assert names(world)[0] == NAME

    agreed = run(app, "erase", *WHO, answer="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert "erased zq-7781-f3a9c2" in agreed.output and "in 2 course(s)" in agreed.output
    assert names(world)[0] is None


def test_erase_with_yes_asks_nothing_and_logs_who_asked_not_whom(app, world, monkeypatch, caplog):
    monkeypatch.setattr("getpass.getuser", lambda: "ops-alice")
    with caplog.at_level(logging.INFO, logger="rapport.privacy"):
        result = run(app, "erase", *WHO, "--yes")
    assert result.exit_code == 0, result.output
    assert "Erase everything" not in result.output
    assert "logged as erasure 1, asked by ops-alice" in result.output
    [line] = [r for r in caplog.records if r.name == "rapport.privacy"]
    assert line.getMessage() == "a person's data was erased (erasure 1), asked by ops-alice"
    assert SUB not in line.getMessage() and EMAIL not in line.getMessage()
    with world.session() as session:
        [erasure] = session.scalars(select(PersonErasure)).all()
        assert erasure.requested_by == "ops-alice"

    named = run(app, "erase", "--issuer", ISSUER, "--sub", "ben", "--yes", "--by", "DPO #42")
    assert "asked by DPO #42" in named.output


@pytest.mark.parametrize("command", ["export", "erase"])
def test_nobody_by_that_sub_is_a_clear_error_and_exit_code_1(app, world, command):
    asks = ["--yes"] if command == "erase" else []
    result = run(app, command, "--issuer", ISSUER, "--sub", "nobody", *asks)
    assert result.exit_code == 1
    assert result.output.startswith("Error: Rapport holds nobody with sub 'nobody'")
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
