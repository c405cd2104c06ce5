"""gunicorn.conf.py, the production server's settings: gunicorn loads it and the app with it,
with the database and Redis unreachable (a web process never needs them to start)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from lti_tool.config import PROJECT_ROOT
from tests.servers import BIN, free_port

CONFIG = str(PROJECT_ROOT / "gunicorn.conf.py")


def _gunicorn(option: str, **env: str) -> subprocess.CompletedProcess[str]:
    nowhere = free_port()  # nothing listens there
    return subprocess.run(
        [str(BIN / "gunicorn"), option, "-c", CONFIG, "lti_tool:create_app()"],
        env={
            **os.environ,
            "DATABASE_URL": f"postgresql://rapport@127.0.0.1:{nowhere}/rapport",
            "REDIS_URL": f"redis://127.0.0.1:{nowhere}/0",
            "LTI_CONFIG": str(PROJECT_ROOT / "config.example.json"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True)
def _instance(monkeypatch, tmp_path):
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAPPORT_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("KEYS_DIR", str(tmp_path / "keys"))


def test_it_loads_the_app_with_nothing_to_connect_to():
    checked = _gunicorn("--check-config")
    assert checked.returncode == 0, checked.stderr


def _settings(**env: str) -> dict[str, str]:
    printed = _gunicorn("--print-config", **env)
    assert printed.returncode == 0, printed.stderr
    return dict(re.findall(r"^(\w+)\s+= (.*)$", printed.stdout, re.MULTILINE))


def test_port_and_workers_come_from_the_environment():
    settings = _settings(PORT="9123", WEB_CONCURRENCY="3")
    assert settings["bind"] == "['0.0.0.0:9123']"
    assert settings["workers"] == "3"
    assert settings["preload_app"] == "False"
    assert settings["accesslog"] == "-"


def test_by_default_port_8000_and_two_workers_a_core_plus_one_at_most_eight():
    settings = _settings()
    assert settings["bind"] == "['0.0.0.0:8000']"
    assert int(settings["workers"]) == min(2 * (os.cpu_count() or 1) + 1, 8)


def test_a_worker_sets_what_the_app_made_at_start_apart_from_the_cycle_collector(monkeypatch, app):
    import gc
    import runpy
    from types import SimpleNamespace

    settings = runpy.run_path(CONFIG)
    monkeypatch.setattr("lti_tool.startup.check_at_start", lambda wsgi: None)
    gc.unfreeze()
    try:
        settings["post_worker_init"](SimpleNamespace(wsgi=app))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.freeze()  # as tests/conftest.py leaves the test process
