"""Fixtures: an app on a fresh database per test (SQLite, or PostgreSQL + Redis when
TEST_DATABASE_URL / TEST_REDIS_URL are set), served over real HTTP when a test needs it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import text

from lti_tool import create_app
from lti_tool.background import background
from lti_tool.db import Base, make_engine, transaction
from lti_tool.extensions import Rapport
from lti_tool.services import placements
from lti_tool.services.placements import PlaceableKind
from lti_tool.services.platforms import PlatformSpec, save_platform
from tests.platform import TestPlatform
from tests.servers import free_port, serve

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# Settings a developer's shell may carry that a test's app must not inherit.
APP_ENVIRONMENT = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "PUBLIC_URL",
    "KEYS_DIR",
    "LTI_CONFIG",
    "RAPPORT_DEMO",
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _fresh_database(tmp_path: Path, create_schema: bool) -> str:
    """An empty database for this test; with the schema from the models unless asked not to."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'rapport.db'}"
    engine = make_engine(url)
    if TEST_DATABASE_URL:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    if create_schema:
        Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Build an app; keyword arguments override settings (public_url, demo, …)."""
    for name in APP_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAPPORT_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("KEYS_DIR", str(tmp_path / "keys"))
    if TEST_REDIS_URL:
        monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
    apps: list[Flask] = []
    prefix = f"rapport-test-{uuid.uuid4().hex[:8]}:"

    def build(create_schema: bool = True, **overrides: Any) -> Flask:
        if not apps:
            monkeypatch.setenv("DATABASE_URL", _fresh_database(tmp_path, create_schema))
        overrides.setdefault("testing", True)
        if TEST_REDIS_URL:
            overrides.setdefault("CACHE_KEY_PREFIX", prefix)
        app = create_app(overrides)
        apps.append(app)
        return app

    yield build
    for app in apps:
        # Background work (a roster sync a staff launch started, the demo's grade worker) must
        # end before the next test drops the schema under it.
        background(app).join()
        background(app).shutdown()
        worker = app.extensions.get("rapport.grade_worker")
        if worker is not None:
            worker.stop()
        state(app).engine.dispose()


def state(app: Flask) -> Rapport:
    rapport: Rapport = app.extensions["rapport"]
    return rapport


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def live(make_app: Any) -> Iterator[Any]:
    """Start an app over real HTTP; call with settings overrides; returns (app, base_url)."""
    stack: list[Any] = []

    def start(**overrides: Any) -> tuple[Flask, str]:
        port = free_port()
        overrides.setdefault("public_url", f"http://127.0.0.1:{port}")
        app = make_app(**overrides)
        server = serve(app, port=port)
        url = server.__enter__()
        stack.append(server)
        return app, url

    yield start
    for server in reversed(stack):
        server.__exit__(None, None, None)


@pytest.fixture
def platform() -> Iterator[TestPlatform]:
    with TestPlatform().running() as running:
        yield running


def register(app: Flask, platform: TestPlatform, **changes: Any) -> None:
    spec = PlatformSpec(**{**platform.registration(), **changes})
    with transaction(state(app).sessions) as session:
        save_platform(session, spec)


@pytest.fixture
def tool(live: Any, platform: TestPlatform) -> tuple[Flask, str]:
    """A running Rapport with the test platform registered."""
    app, url = live()
    register(app, platform)
    return app, url


@pytest.fixture
def feedback_kind(monkeypatch: pytest.MonkeyPatch) -> PlaceableKind:
    """A gradable placeable kind, registered for one test (later features register real ones)."""
    kind = PlaceableKind(
        kind="practice_feedback",
        title="Practice feedback",
        description="Feedback from a named teacher.",
        gradable=True,
        view_endpoint="course.home",
        opens_placement=True,
    )
    monkeypatch.setitem(placements._KINDS, kind.kind, kind)
    return kind


@pytest.fixture
def browser() -> requests.Session:
    """A cookie-keeping HTTP client standing in for the person's browser."""
    session = requests.Session()
    session.headers["User-Agent"] = "rapport-tests"
    return session


@dataclass(frozen=True)
class RunningTool:
    app: Flask
    url: str
    platform: TestPlatform


@contextmanager
def running_tool(tmp: Path) -> Iterator[RunningTool]:
    """A Rapport served over HTTP with the test platform registered, built as `make_app` builds
    one, for a whole test module: tables of roles by actions work in courses of their own and
    share only the server, instead of starting one per cell."""
    with pytest.MonkeyPatch.context() as env, TestPlatform().running() as platform:
        for name in APP_ENVIRONMENT:
            env.delenv(name, raising=False)
        env.setenv("RAPPORT_INSTANCE_DIR", str(tmp / "instance"))
        env.setenv("KEYS_DIR", str(tmp / "keys"))
        env.setenv("DATABASE_URL", _fresh_database(tmp, create_schema=True))
        overrides: dict[str, Any] = {"testing": True}
        if TEST_REDIS_URL:
            env.setenv("REDIS_URL", TEST_REDIS_URL)
            overrides["CACHE_KEY_PREFIX"] = f"rapport-test-{uuid.uuid4().hex[:8]}:"
        port = free_port()
        app = create_app({**overrides, "public_url": f"http://127.0.0.1:{port}"})
        register(app, platform)
        try:
            with serve(app, port=port) as url:
                yield RunningTool(app, url, platform)
        finally:
            background(app).join()
            background(app).shutdown()
            state(app).engine.dispose()
