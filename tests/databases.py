"""A fresh database for every test, without building the schema for every test.

SQLite: the models' schema is built once per test process into a template file, and each test
gets a copy of it (a file copy costs a millisecond; `create_all` costs a hundred).

PostgreSQL (`TEST_DATABASE_URL`): each test process (pytest-xdist worker) has a database of its
own, created beside the one the URL names, so workers never share rows or locks. Its schema is
built once; between tests every row is deleted and every id restarted, which leaves exactly
what a new schema would. A test that asks for no schema (migrations, a boot on an empty
database) gets an empty `public` schema, and the next test rebuilds the models' schema.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url, text

from lti_tool.db import Base, make_engine
from lti_tool.migrate import alembic_config

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def build_schema(engine: Engine) -> None:
    """The models' schema, stamped with the migrations' head as `rapport db upgrade` leaves it
    (a web process serves only a database at head)."""
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        MigrationContext.configure(connection).stamp(
            ScriptDirectory.from_config(alembic_config("")), "head"
        )


@cache
def _sqlite_template(folder: Path) -> Path:
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    build_schema(engine)
    engine.dispose()
    return path


class _PostgresState:
    """Whether this process's PostgreSQL database holds the models' schema, with no rows."""

    url: str | None = None
    engine: Engine | None = None
    schema_built = False


def _postgres_url() -> str:
    """This worker's own database, created on first use."""
    if _PostgresState.url is None:
        assert TEST_DATABASE_URL
        base = make_url(TEST_DATABASE_URL)
        worker = _worker()
        if not worker:
            _PostgresState.url = TEST_DATABASE_URL
        else:
            name = f"{base.database}_{worker}"
            admin = make_engine(TEST_DATABASE_URL).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                ).scalar()
                if not exists:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            _PostgresState.url = base.set(database=name).render_as_string(hide_password=False)
    return _PostgresState.url


def _postgres_engine() -> Engine:
    if _PostgresState.engine is None:
        _PostgresState.engine = make_engine(_postgres_url())
    return _PostgresState.engine


def _empty_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    _PostgresState.schema_built = False


# Every row deleted (children first) and every id sequence restarted, in one round trip:
# 1.5 ms where TRUNCATE … RESTART IDENTITY takes 65 ms (it replaces each table's files), which
# a thousand tests paid a minute for. After a test that wrote thousands of rows (the
# 5,000-student courses) deleting them would take seconds, so a table that grew past a few
# hundred kilobytes is truncated instead (which gives its file back; DELETE does not).
_GROWN = (
    "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = 'public' AND c.relkind = 'r' AND pg_relation_size(c.oid) > 262144)"
)


@cache
def _delete_rows() -> str:
    return "; ".join(
        [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]  # noqa: S608 (our own table names)
        + [
            "SELECT setval(s.oid, 1, false) FROM pg_class s"
            " JOIN pg_namespace n ON n.oid = s.relnamespace"
            " WHERE s.relkind = 'S' AND n.nspname = 'public'"
        ]
    )


@cache
def _truncate_tables() -> str:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    return f"TRUNCATE {tables} RESTART IDENTITY CASCADE"


def _fresh_postgres(create_schema: bool) -> str:
    engine = _postgres_engine()
    if not create_schema:
        _empty_schema(engine)
        return _postgres_url()
    if _PostgresState.schema_built:
        with engine.begin() as connection:
            grown = connection.execute(text(_GROWN)).scalar()
            connection.execute(text(_truncate_tables() if grown else _delete_rows()))
    else:
        _empty_schema(engine)
        build_schema(engine)
        _PostgresState.schema_built = True
    return _postgres_url()


def fresh_database(tmp_path: Path, create_schema: bool, templates: Path) -> str:
    """The URL of an empty database for one test: with the models' schema unless asked not to.

    `templates` is a folder that lives as long as the test process (the SQLite template).
    """
    if TEST_DATABASE_URL:
        return _fresh_postgres(create_schema)
    path = tmp_path / "rapport.db"
    if create_schema:
        shutil.copyfile(_sqlite_template(templates), path)
    return f"sqlite:///{path}"


def database_url() -> str | None:
    """The PostgreSQL database this process's tests use, or None on SQLite."""
    return _postgres_url() if TEST_DATABASE_URL else None
