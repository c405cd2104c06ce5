"""`GET /healthz`: 200 when every dependency answers, 503 naming the ones that do not.

The database always; Redis when `REDIS_URL` is set (launch state, caches and rate limits live
there, so no launch can be accepted without it). Each dependency is reported as "up" or "down".
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.extensions import rapport

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _database_up() -> bool:
    try:
        with rapport().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health check: database unavailable: %s", exc)
        return False
    return True


def _redis_up(client: Redis) -> bool:
    try:
        client.ping()
    except RedisError as exc:
        log.error("health check: Redis unavailable: %s", exc)
        return False
    return True


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    checks = {"database": _database_up()}
    redis = rapport().redis
    if redis is not None:
        checks["redis"] = _redis_up(redis)
    report = {name: "up" if up else "down" for name, up in checks.items()}
    if all(checks.values()):
        return jsonify(status="ok", **report), 200
    return jsonify(status="unavailable", **report), 503
