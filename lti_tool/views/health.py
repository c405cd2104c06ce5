"""`GET /healthz`: 200 when every dependency answers, 503 naming the ones that do not; and the
503 page every other request gets while the database is not migrated.

Each dependency is a named check answering "up" or what is wrong: the database ("down", or
"not migrated" until `rapport db upgrade` has run), and Redis when `REDIS_URL` is set (launch
state, caches and rate limits live there, so no launch can be accepted without it). Other
parts add theirs with `add_check`; `add_figure` adds a number that does not decide the status
(the jobs waiting for a worker).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.extensions import rapport
from lti_tool.i18n import _
from lti_tool.jobs import jobs
from lti_tool.startup import one_line, schema_check
from lti_tool.views.errors import service_unavailable

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
CHECKS = "rapport.health"
FIGURES = "rapport.health.figures"
UP = "up"
# Requests served whatever the schema: the health check says it itself.
UNGATED = frozenset({"static", "health.healthz"})


def add_check(app: Flask, name: str, check: Callable[[], str]) -> None:
    """Report `name` in /healthz: `check` answers "up", or in a word or two what is wrong."""
    app.extensions.setdefault(CHECKS, {})[name] = check


def add_figure(app: Flask, name: str, read: Callable[[], int]) -> None:
    """Report a number in /healthz (the jobs waiting) that does not decide its status."""
    app.extensions.setdefault(FIGURES, {})[name] = read


def _figures() -> dict[str, int]:
    found = {}
    for name, read in current_app.extensions.get(FIGURES, {}).items():
        try:
            found[name] = read()
        except Exception:  # its dependency's check says what is wrong
            log.warning("health check: cannot read %s", name, exc_info=True)
    return found


def _database() -> str:
    engine = rapport().engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            connection.commit()  # not rolled back: psycopg would forget its prepared statements
        migrated = schema_check(current_app).refresh(engine)
    except SQLAlchemyError as exc:
        log.error("health check: database unavailable: %s", one_line(exc))
        return "down"
    return UP if migrated else "not migrated"


def _redis(client: Redis) -> Callable[[], str]:
    def check() -> str:
        try:
            client.ping()
        except RedisError as exc:
            log.error("health check: Redis unavailable: %s", exc)
            return "down"
        return UP

    return check


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    report = {name: check() for name, check in current_app.extensions[CHECKS].items()}
    if all(state == UP for state in report.values()):
        return jsonify(status="ok", **report, **_figures()), 200
    return jsonify(status="unavailable", **report, **_figures()), 503


def _migrated_or_503() -> tuple[Response | str, int] | None:
    """Before each request until the schema is found at head, then never again. A database
    that cannot be reached meanwhile is the 503 page of any outage (errors.py)."""
    check = schema_check(current_app)
    if check.ready or request.endpoint in UNGATED or check.refresh(rapport().engine):
        return None
    if rapport().settings.demo:  # whoever reads the demo's pages runs it
        message = _(
            "Rapport is being updated. Nothing was lost: try again in a few minutes. Run "
            "`rapport db upgrade`, then reload."
        )
    else:
        message = _("Rapport is being updated. Nothing was lost: try again in a few minutes.")
    return service_unavailable(message, title=_("Rapport is being updated"))


def register(app: Flask) -> None:
    add_check(app, "database", _database)
    redis = app.extensions["rapport"].redis
    if redis is not None:
        add_check(app, "redis", _redis(redis))
    add_figure(app, "jobs_waiting", jobs(app).backlog)
    app.before_request(_migrated_or_503)
