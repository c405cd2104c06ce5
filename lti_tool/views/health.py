"""`GET /healthz`: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.extensions import rapport

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        with rapport().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health check: database unavailable: %s", exc)
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up"), 200
