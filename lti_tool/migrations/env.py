"""Alembic environment: the URL comes from Rapport's configuration, the schema from its models."""

from __future__ import annotations

from alembic import context

from lti_tool import models  # noqa: F401  (registers every table on Base.metadata)
from lti_tool.db import Base, make_engine

config = context.config
url: str = config.get_main_option("sqlalchemy.url") or ""
if not url:
    raise RuntimeError("sqlalchemy.url is set by lti_tool.migrate")


def run() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode changes a SQLite table by copying it and dropping the old one, and
            # with foreign keys on, dropping a table deletes (or unlinks) every row that refers
            # to it. SQLite's way to change a table: foreign keys off, before the transaction
            # (inside one the pragma does nothing), and checked once the changes are made.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows that refer to none: {broken}")
    engine.dispose()


run()
