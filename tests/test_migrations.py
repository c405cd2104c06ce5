"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import sessionmaker

from lti_tool.cli import main as rapport_cli
from lti_tool.config import PROJECT_ROOT
from lti_tool.db import Base, UTCDateTime, make_engine
from lti_tool.migrate import alembic_config, upgrade
from lti_tool.models import Registration
from lti_tool.services.audit import record
from lti_tool.services.settings_changes import SETTINGS_CHANGED, recent_changes
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


def test_settings_saved_before_the_activity_log_move_into_it_and_come_back_on_downgrade(tmp_path):
    """0014 drops setting_change: a save the log already holds is not copied twice, a save from
    before the log existed becomes one entry, and a downgrade makes the rows again."""
    url = fresh_database(tmp_path, create_schema=False, templates=tmp_path)
    before = "0014_settings_history"
    config = alembic_config(url)
    command.upgrade(config, f"{before}-1")
    engine = make_engine(url)
    logged, old = datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 9, 1, 8, tzinfo=UTC)
    with sessionmaker(engine)() as session, session.begin():
        lms = Registration(
            issuer="https://lms.example.edu",
            client_id="c",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
        )
        session.add(lms)
        session.flush()
        # The course's columns as they were then (later revisions add to the model's).
        course = sa.table("course", sa.column("id"), sa.column("registration_id"),
                          sa.column("context_id"), sa.column("created_at", UTCDateTime()),
                          sa.column("updated_at", UTCDateTime()))  # fmt: skip
        session.execute(
            sa.insert(course).values(id=1, registration_id=lms.id, context_id="c1",
                                     created_at=old, updated_at=old)
        )  # fmt: skip
        registration = lms.id
    with engine.begin() as connection:  # no Session: its summary tracking reads later columns
        person = sa.table("person", sa.column("id"), sa.column("registration_id"),
                          sa.column("sub"), sa.column("created_at", UTCDateTime()),
                          sa.column("updated_at", UTCDateTime()))  # fmt: skip
        connection.execute(
            sa.insert(person).values(id=7, registration_id=registration, sub="s7",
                                     created_at=old, updated_at=old)
        )  # fmt: skip
    change = sa.table(
        "setting_change",
        sa.column("course_id"), sa.column("person_id"), sa.column("key"),
        sa.column("old_value", sa.JSON()), sa.column("new_value", sa.JSON()),
        sa.column("changed_at", UTCDateTime()),
    )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            sa.insert(change),
            [
                {"course_id": 1, "person_id": 7, "key": "newsfeed.replies", "old_value": True,
                 "new_value": False, "changed_at": old},
                {"course_id": 1, "person_id": 7, "key": "newsfeed.reactions", "old_value": True,
                 "new_value": False, "changed_at": old},
                {"course_id": 1, "person_id": 7, "key": "course.time_zone", "old_value": "UTC",
                 "new_value": "Asia/Tokyo", "changed_at": logged},
            ],
        )  # fmt: skip
    with sessionmaker(engine)() as session, session.begin():
        record(
            session, 1, 7, SETTINGS_CHANGED,
            details={"changes": [{"key": "course.time_zone", "old": "UTC", "new": "Asia/Tokyo"}]},
            now=logged,
        )  # fmt: skip
    command.upgrade(config, "head")
    assert "setting_change" not in inspect(engine).get_table_names()
    with sessionmaker(engine)() as session:
        rows = recent_changes(session, 1)
    assert [(r.when, r.key, r.old, r.new) for r in rows] == [
        (logged, "course.time_zone", "UTC", "Asia/Tokyo"),
        (old, "newsfeed.reactions", "On", "Off"),
        (old, "newsfeed.replies", "On", "Off"),
    ]
    command.downgrade(config, f"{before}-1")
    with engine.connect() as connection:
        back = (
            connection.execute(text("SELECT key FROM setting_change ORDER BY changed_at, key"))
            .scalars()
            .all()
        )
    engine.dispose()
    assert back == ["newsfeed.reactions", "newsfeed.replies", "course.time_zone"]
