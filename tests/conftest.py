"""Fixtures: an app on a fresh database per test (SQLite, or PostgreSQL + Redis when
TEST_DATABASE_URL / TEST_REDIS_URL are set), served over real HTTP when a test needs it."""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from hypothesis import settings
from jinja2 import MemcachedBytecodeCache
from werkzeug.routing import Rule

from lti_tool import create_app, limits
from lti_tool.db import transaction
from lti_tool.extensions import Rapport
from lti_tool.jobs import jobs
from lti_tool.services import placements
from lti_tool.services.placements import PlaceableKind
from lti_tool.services.platforms.service import PlatformSpec, save_platform
from tests import keys as test_keys
from tests.databases import fresh_database
from tests.platform import TestPlatform
from tests.servers import serving

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
PROPERTY_EXAMPLES = 40

# Property tests (tests/properties). In CI ("ci", the default) each runs the same examples every
# time: derandomised, with no example database, so a failure is reproduced by any run of the
# same code; a few dozen examples each, which keeps the suite's wall time. No deadline: an
# example is a whole HTTP exchange whose time varies with the machine. HYPOTHESIS_PROFILE=thorough
# explores from a random seed with twenty times the examples (past pytest-timeout's 120 s: run it
# with `--timeout 0`), and keeps failures in .hypothesis/ to try first next time.
settings.register_profile(
    "ci", max_examples=PROPERTY_EXAMPLES, deadline=None, derandomize=True, database=None
)
settings.register_profile("thorough", max_examples=20 * PROPERTY_EXAMPLES, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("templates")


@pytest.fixture(autouse=True)
def _key_draws() -> Iterator[None]:
    """Every test draws test-platform keys from the same point of the shared pool."""
    test_keys.begin_test()
    yield
    test_keys.end_test()


def _prepare_instance(env: pytest.MonkeyPatch, tmp: Path, first_start: bool = False) -> None:
    """The environment an app of one test starts from: nothing from the developer's shell,
    its own instance folder, and the keys a first start would have made (made once per test
    process), unless the test is about that first start (`@pytest.mark.first_start`)."""
    for name in APP_ENVIRONMENT:
        env.delenv(name, raising=False)
    env.setenv("RAPPORT_INSTANCE_DIR", str(tmp / "instance"))
    env.setenv("KEYS_DIR", str(tmp / "keys"))
    if not first_start:
        test_keys.seed_tool_keys(tmp / "keys")
        test_keys.seed_demo_key(tmp / "instance")
    if TEST_REDIS_URL:
        env.setenv("REDIS_URL", TEST_REDIS_URL)


class _Compiled(dict[str, bytes]):
    """What Jinja's bytecode cache asks of a memcached client, kept in this process."""

    def set(self, key: str, value: bytes, timeout: int | None = None) -> None:
        self[key] = value


# Every test builds an app, and every app its own Jinja environment, which compiled each
# template it drew anew (a tenth of the server's time in a test). Apps of one test process
# share the compiled templates; a changed template has another checksum, so is compiled again.
TEMPLATES_COMPILED = MemcachedBytecodeCache(_Compiled())

# Likewise the URL builders: werkzeug writes and compiles two Python functions for each route
# of each app (93% of create_app's 30 ms). A builder depends only on its rule's parts and
# defaults, and reads the converters of the rule it is bound to when called, so apps of one
# test process share them.
_BUILDERS: dict[tuple[Any, ...], Any] = {}
_compile_builder = Rule._compile_builder


def _shared_builder(rule: Rule, append_unknown: bool = True) -> Any:
    key = (
        rule.rule,
        tuple(rule._trace),
        repr(sorted((rule.defaults or {}).items())),
        append_unknown,
    )
    if key not in _BUILDERS:
        _BUILDERS[key] = _compile_builder(rule, append_unknown)
    return _BUILDERS[key]


Rule._compile_builder = _shared_builder  # type: ignore[method-assign]

# A test process makes and drops apps, sessions and servers by the thousand: with Python's
# default thresholds the cycle collector ran often enough to take 15-20% of the suite's CPU
# (measured on 3 folders: 60-67 core-seconds, 51-54 with these). What is imported by now is
# never collected.
gc.freeze()
gc.set_threshold(50_000, 20, 100)


@pytest.fixture
def make_app(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_templates: Path,
) -> Iterator[Any]:
    """Build an app; keyword arguments override settings (public_url, demo, …)."""
    first_start = request.node.get_closest_marker("first_start") is not None
    _prepare_instance(monkeypatch, tmp_path, first_start)
    apps: list[Flask] = []
    prefix = f"rapport-test-{uuid.uuid4().hex[:8]}:"

    def build(create_schema: bool = True, **overrides: Any) -> Flask:
        if not apps:
            url = fresh_database(tmp_path, create_schema, db_templates)
            monkeypatch.setenv("DATABASE_URL", url)
        overrides.setdefault("testing", True)
        # Jobs wait in memory until a test runs them (jobs(app).run_pending()), as they would
        # wait in Redis for `rapport worker`; tests/functional/test_jobs.py runs real workers.
        overrides.setdefault("jobs_backend", "memory")
        if TEST_REDIS_URL:
            overrides.setdefault("CACHE_KEY_PREFIX", prefix)
            overrides.setdefault("RATELIMIT_KEY_PREFIX", prefix + "limits")
        app = create_app(overrides)
        app.jinja_env.bytecode_cache = TEMPLATES_COMPILED
        apps.append(app)
        return app

    yield build
    for app in apps:
        jobs(app).huey.flush()  # what a test left queued is not run: nothing runs on its own
        state(app).engine.dispose()


def without_rate_limits(app: Flask) -> None:
    """For tests that send hundreds of forms a second as one person (tables of roles by
    actions, corpora of hostile input): what they test is not the rate limits, which
    tests/functional/test_rate_limits.py covers."""
    app.extensions[limits.EXTENSION].enabled = False


def state(app: Flask) -> Rapport:
    rapport: Rapport = app.extensions["rapport"]
    return rapport


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def live(make_app: Any) -> Iterator[Any]:
    """Start an app over real HTTP; call with settings overrides; returns (app, base_url)."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> tuple[Flask, str]:
            server = stack.enter_context(serving())
            overrides.setdefault("public_url", server.url)
            app = make_app(**overrides)
            return app, server.set_app(app)

        yield start


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
def running_tool(tmp: Path, templates: Path) -> Iterator[RunningTool]:
    """A Rapport served over HTTP with the test platform registered, built as `make_app` builds
    one, for a whole test module: tables of roles by actions work in courses of their own and
    share only the server, instead of starting one per cell."""
    with (
        pytest.MonkeyPatch.context() as env,
        TestPlatform().running() as platform,
        serving() as server,
    ):
        _prepare_instance(env, tmp)
        env.setenv("DATABASE_URL", fresh_database(tmp, True, templates))
        overrides: dict[str, Any] = {"testing": True, "jobs_backend": "memory"}
        if TEST_REDIS_URL:
            prefix = f"rapport-test-{uuid.uuid4().hex[:8]}:"
            overrides["CACHE_KEY_PREFIX"] = prefix
            overrides["RATELIMIT_KEY_PREFIX"] = prefix + "limits"
        app = create_app({**overrides, "public_url": server.url})
        without_rate_limits(app)
        register(app, platform)
        try:
            yield RunningTool(app, server.set_app(app), platform)
        finally:
            jobs(app).huey.flush()
            state(app).engine.dispose()


@contextmanager
def running_demo(tmp: Path, templates: Path) -> Iterator[tuple[Flask, str]]:
    """Rapport with its demo LMS served over HTTP, as the browser tests' `demo` fixture serves
    it (each job run as it is queued), for a whole test module: browser tests that only read one
    course's pages share it instead of filling a course each. The app and its base URL."""
    with pytest.MonkeyPatch.context() as env, serving() as server:
        _prepare_instance(env, tmp)
        env.setenv("DATABASE_URL", fresh_database(tmp, True, templates))
        overrides: dict[str, Any] = {"testing": True, "jobs_backend": "immediate", "demo": True}
        if TEST_REDIS_URL:
            prefix = f"rapport-test-{uuid.uuid4().hex[:8]}:"
            overrides["CACHE_KEY_PREFIX"] = prefix
            overrides["RATELIMIT_KEY_PREFIX"] = prefix + "limits"
        app = create_app({**overrides, "public_url": server.url})
        app.jinja_env.bytecode_cache = TEMPLATES_COMPILED
        without_rate_limits(app)  # a course is filled faster than people write
        try:
            yield app, server.set_app(app)
        finally:
            jobs(app).huey.flush()
            state(app).engine.dispose()


# Everything a test can reach the test database or Redis through: the app fixtures (every app
# is built by make_app, on a database from db_templates), or the services' URLs themselves.
DATABASE_FIXTURES = frozenset({"make_app", "db_templates"})
SERVICE_URLS = ("TEST_DATABASE_URL", "TEST_REDIS_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that touch no database and no Redis: they run the same on both passes of
    `make test`, so the PostgreSQL + Redis pass leaves them out (`-m "not
    database_independent"`) instead of running them twice."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        module = getattr(item, "module", None)
        reads_urls = module is not None and any(name in vars(module) for name in SERVICE_URLS)
        if DATABASE_FIXTURES.isdisjoint(fixtures) and not reads_urls:
            item.add_marker(pytest.mark.database_independent)
