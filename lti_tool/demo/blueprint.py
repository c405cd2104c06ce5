"""The demo LMS's blueprint, under `/demo`; the view modules add their routes to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("demo", __name__, url_prefix="/demo")
