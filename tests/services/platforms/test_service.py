"""Registrations from the CLI and from LTI_CONFIG (pylti1p3's JSON format)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import PIPE, STDOUT

import pytest
from sqlalchemy import func, select

from lti_tool.cli import main as rapport_cli
from lti_tool.config import PROJECT_ROOT
from lti_tool.db import transaction
from lti_tool.models import Deployment, Registration
from lti_tool.services.platforms.service import (
    PlatformConfigError,
    import_platforms_file,
    specs_from_pylti_config,
)
from tests.conftest import state

RAPPORT = Path(sys.executable).with_name("rapport")


def _counts(app):
    with transaction(state(app).sessions) as session:
        return (
            session.scalar(select(func.count()).select_from(Registration)),
            session.scalar(select(func.count()).select_from(Deployment)),
        )


def test_example_config_is_valid_and_imports_idempotently(app):
    example = str(PROJECT_ROOT / "config.example.json")
    for _ in range(2):  # the same file again leaves the same rows
        result = app.test_cli_runner().invoke(rapport_cli, ["platform", "import", example])
        assert result.exit_code == 0, result.output
        assert "imported 2 platform registration(s)" in result.output
        assert _counts(app) == (2, 2)
    with transaction(state(app).sessions) as session:
        rows = {r.issuer: r for r in session.scalars(select(Registration))}
        canvas = rows["https://canvas.instructure.com"]
        assert canvas.client_id == "10000000000001"
        assert canvas.key_set_url == "https://sso.canvaslms.com/api/lti/security/jwks"
        assert [d.deployment_id for d in canvas.deployments] == [
            "1:4dde05e8ca1973bcca9bffc13e1548820eee93a3"
        ]


def _import(app, path: Path, data: dict) -> None:
    path.write_text(json.dumps(data))
    with transaction(state(app).sessions) as session:
        import_platforms_file(session, path)


def test_import_adds_new_deployments_and_clients(app, tmp_path: Path):
    data = json.loads((PROJECT_ROOT / "config.example.json").read_text())
    _import(app, tmp_path / "platforms.json", data)
    moodle = data["https://moodle.example.edu"][0]
    moodle["deployment_ids"].append("2")
    data["https://moodle.example.edu"].append(
        {**moodle, "client_id": "second", "deployment_ids": ["7"]}
    )
    _import(app, tmp_path / "platforms.json", data)
    assert _counts(app) == (3, 4)


def test_an_import_updates_what_a_file_changes(app, tmp_path: Path):
    data = json.loads((PROJECT_ROOT / "config.example.json").read_text())
    _import(app, tmp_path / "platforms.json", data)
    moodle = data["https://moodle.example.edu"][0]
    moodle["key_set_url"] = "https://moodle.example.edu/new-certs.php"
    moodle["name"] = "Moodle (new keys)"
    _import(app, tmp_path / "platforms.json", data)
    with transaction(state(app).sessions) as session:
        row = session.scalar(
            select(Registration).where(Registration.issuer == "https://moodle.example.edu")
        )
        assert (row.key_set_url, row.name) == (moodle["key_set_url"], "Moodle (new keys)")
    assert _counts(app) == (2, 2)


def test_two_imports_of_one_file_at_once_leave_one_set_of_rows(app):
    """Two hosts running `rapport db upgrade` in one deploy: the second import waits for the
    first one's uncommitted rows, then finds them, instead of failing on (issuer, client_id)."""
    path = PROJECT_ROOT / "config.example.json"
    sessions = state(app).sessions

    def second() -> int:
        with transaction(sessions) as session:
            return import_platforms_file(session, path)

    pool = ThreadPoolExecutor(1)
    with transaction(sessions) as session:
        assert import_platforms_file(session, path) == 2
        waiting = pool.submit(second)
        time.sleep(0.5)
        assert not waiting.done()  # held up by the first one's transaction
    assert waiting.result(timeout=60) == 2
    pool.shutdown()
    assert _counts(app) == (2, 2)


def test_two_processes_import_one_file_at_once(app):
    """`rapport platform import` twice at the same moment, as two real processes."""
    command = [str(RAPPORT), "platform", "import", str(PROJECT_ROOT / "config.example.json")]
    for _ in range(2):
        processes = [subprocess.Popen(command, stdout=PIPE, stderr=STDOUT) for _ in range(2)]
        for process in processes:
            output = process.communicate(timeout=60)[0].decode()
            assert process.returncode == 0, output
            assert "imported 2 platform registration(s)" in output
    assert _counts(app) == (2, 2)


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"https://x": {"client_id": "c"}},
        {"https://x": {"client_id": "c", "auth_login_url": "a", "auth_token_url": "t"}},
        {"https://x": ["not an object"]},
        {
            "https://x": {
                "client_id": "c",
                "auth_login_url": "a",
                "auth_token_url": "t",
                "key_set": {"no": "keys"},
            }
        },
    ],
)
def test_bad_platform_files_are_refused_clearly(data):
    def check_all() -> None:
        for spec in specs_from_pylti_config(data):
            spec.check()

    with pytest.raises(PlatformConfigError):
        check_all()


def test_cli_add_list_remove(app):
    runner = app.test_cli_runner()
    base = [
        "platform",
        "add",
        "--issuer",
        "https://lms.example.edu",
        "--client-id",
        "abc",
        "--login-url",
        "https://lms.example.edu/auth",
        "--token-url",
        "https://lms.example.edu/token",
        "--key-set-url",
        "https://lms.example.edu/jwks",
    ]
    assert runner.invoke(rapport_cli, [*base, "--deployment-id", "1"]).exit_code == 0
    assert runner.invoke(rapport_cli, [*base, "--deployment-id", "2"]).exit_code == 0
    listed = json.loads(runner.invoke(rapport_cli, ["platform", "list", "--json"]).output)
    assert listed[0]["deployment_ids"] == ["1", "2"]
    result = runner.invoke(
        rapport_cli,
        [
            "platform",
            "remove",
            "--issuer",
            "https://lms.example.edu",
            "--client-id",
            "abc",
            "--deployment-id",
            "1",
        ],
    )
    assert result.exit_code == 0
    assert _counts(app) == (1, 1)
    runner.invoke(
        rapport_cli,
        ["platform", "remove", "--issuer", "https://lms.example.edu", "--client-id", "abc"],
    )
    assert _counts(app) == (0, 0)
    missing = runner.invoke(rapport_cli, [*base[:-2]])
    assert missing.exit_code != 0
    assert "key_set_url or key_set" in missing.output


def test_cli_add_deployment(app):
    runner = app.test_cli_runner()
    runner.invoke(
        rapport_cli,
        [
            "platform",
            "add",
            "--issuer",
            "https://lms.example.edu",
            "--client-id",
            "abc",
            "--login-url",
            "https://lms.example.edu/a",
            "--token-url",
            "https://lms.example.edu/t",
            "--key-set-url",
            "https://lms.example.edu/k",
        ],
    )
    added = runner.invoke(
        rapport_cli, ["platform", "add-deployment", "https://lms.example.edu", "abc", "dep-9"]
    )
    assert added.exit_code == 0, added.output
    assert _counts(app) == (1, 1)
    unknown = runner.invoke(rapport_cli, ["platform", "add-deployment", "https://x", "y", "z"])
    assert unknown.exit_code != 0 and "no platform is registered" in unknown.output


def test_a_registration_invite_works_once_and_not_after_it_expires(app):
    from datetime import UTC, datetime, timedelta

    from lti_tool.services.platforms.service import create_invite, use_invite

    now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    with transaction(state(app).sessions) as session:
        fresh = create_invite(session, now, days=7)
        old = create_invite(session, now - timedelta(days=8), days=7)
    with transaction(state(app).sessions) as session:
        assert use_invite(session, fresh, now + timedelta(days=6))
        assert not use_invite(session, fresh, now + timedelta(days=6))  # spent
        assert not use_invite(session, old, now)  # expired
        assert not use_invite(session, "made-up", now)
        assert not use_invite(session, "", now)
