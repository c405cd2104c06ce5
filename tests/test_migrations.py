"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from lti_tool.cli import main as rapport_cli
from lti_tool.config import PROJECT_ROOT
from lti_tool.db import Base, make_engine
from lti_tool.migrate import upgrade
from lti_tool.models import Registration
from tests.conftest import state
from tests.databases import fresh_database


def test_migrations_match_models(tmp_path):
    url = fresh_database(tmp_path, create_schema=False, templates=tmp_path)
    upgrade(url)
    upgrade(url)  # a second upgrade is a no-op
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert diff == []
    assert set(Base.metadata.tables) <= tables


def test_cli_db_upgrade_on_an_empty_database(make_app):
    app = make_app(create_schema=False)
    result = app.test_cli_runner().invoke(rapport_cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    health = app.test_client().get("/healthz")
    assert health.status_code == 200


def test_db_upgrade_on_a_fresh_database_imports_lti_config(make_app, monkeypatch):
    """The README's deploy step with LTI_CONFIG set: the app starts without importing it (no
    tables yet), `rapport db upgrade` migrates and then imports, and again changes nothing."""
    monkeypatch.setenv("LTI_CONFIG", str(PROJECT_ROOT / "config.example.json"))
    app = make_app(create_schema=False)
    for _ in range(2):
        result = app.test_cli_runner().invoke(rapport_cli, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "imported 2 platform registration(s)" in result.output
    with state(app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 2
