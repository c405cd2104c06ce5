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
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
