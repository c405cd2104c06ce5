"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from lti_tool.cli import main as rapport_cli
from lti_tool.db import Base, make_engine
from lti_tool.migrate import upgrade
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
