"""Schema migrations with Alembic: `rapport db upgrade` applies them, and a web process asks
`needs_upgrade` before it serves (lti_tool/startup.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate to `revision`; at the head, also fill in what a migration left to the code
    (a migration cannot call today's services: their models may be ahead of its schema)."""
    command.upgrade(alembic_config(database_url), revision)
    if revision == "head":
        _fill_in(database_url)


def _fill_in(database_url: str) -> None:
    from lti_tool.db import make_engine  # noqa: PLC0415
    from lti_tool.services.checkins.urgency import rank_unranked  # noqa: PLC0415
    from lti_tool.services.dashboard.summary import summarise_unsummarised  # noqa: PLC0415

    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            summarise_unsummarised(session)
            rank_unranked(session)
    finally:
        engine.dispose()


def revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


@cache
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(the heads, every revision) of this code's migrations: read once per process."""
    scripts = ScriptDirectory.from_config(alembic_config(""))
    known = frozenset(script.revision for script in scripts.walk_revisions())
    return frozenset(scripts.get_heads()), known


def needs_upgrade(connection: Connection) -> bool:
    """True when the database needs `rapport db upgrade`: it has no schema yet, or it stands at
    a revision of this code's that is older than the head. A revision this code does not know
    is a newer Rapport's, migrated first in a rolling deploy: that database is not behind."""
    if not inspect(connection).has_table("alembic_version"):
        return True
    current = frozenset(connection.scalars(text("SELECT version_num FROM alembic_version")))
    heads, known = _revisions()
    return not current or (current != heads and current <= known)
