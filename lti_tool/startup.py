"""Whether the database is ready for a web process to serve: migrated to this code's head.

A web process starts whatever state its database is in (`create_app` never touches it): while
the database is behind, pages answer 503 and the log says, once, what the operator must run.
The answer is asked of the database only until it is yes, then kept for the life of the
process, so a migrated database costs nothing per request and a running app serves as soon as
someone runs `rapport db upgrade`.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)
# Alembic names each plugin it sets up, at INFO, as it is imported: nothing a web process's
# log needs, and the check below is what imports it there.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
NOT_MIGRATED = "database is not migrated: run `rapport db upgrade`"
EXTENSION = "rapport.schema"


class SchemaCheck:
    """One per app: whether its database was found at head, and whether the log said not."""

    def __init__(self) -> None:
        self.ready = False
        self._said_not_migrated = False
        self._lock = threading.Lock()

    def refresh(self, engine: Engine) -> bool:
        """True once the schema is at head. Raises SQLAlchemy's errors while the database
        cannot be reached, so that the caller says the database is down, not unmigrated."""
        if self.ready:
            return True
        with self._lock:
            if self.ready:
                return True
            from lti_tool.migrate import needs_upgrade  # noqa: PLC0415 (after the line above)

            with engine.connect() as connection:
                behind = needs_upgrade(connection)
            if behind and not self._said_not_migrated:
                log.error(NOT_MIGRATED)
                self._said_not_migrated = True
            elif not behind and self._said_not_migrated:
                log.info("database migrated: serving")
            self.ready = not behind
            return self.ready


def schema_check(app: Flask) -> SchemaCheck:
    check: SchemaCheck = app.extensions.setdefault(EXTENSION, SchemaCheck())
    return check


def one_line(error: SQLAlchemyError) -> str:
    """A driver's message on one line (psycopg adds a hint on a second)."""
    return " ".join(str(getattr(error, "orig", None) or error).split())


def check_at_start(app: Flask) -> None:
    """As a web process begins to serve (`rapport run`, each gunicorn worker): one line in the
    log, never a traceback, when its database is not ready. It serves anyway and answers 503
    until the database is."""
    try:
        schema_check(app).refresh(app.extensions["rapport"].engine)
    except SQLAlchemyError as error:
        log.error("database unavailable: %s (answering 503 until it is back)", one_line(error))
