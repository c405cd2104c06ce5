"""Logs and metrics for operators (issue 14): JSON log lines, request ids, Prometheus.

`install(app)` sets the log format (`LOG_FORMAT`) and the per-request line and latency; the
events worth counting are told through `events`; `metrics` defines every metric, the calls the
job runner makes and gunicorn's `child_exit` hook. `/metrics` itself is `views/metrics.py`.
"""

from __future__ import annotations

from flask import Flask

from lti_tool.config import Settings
from lti_tool.observability import logs, request_log
from lti_tool.observability.metrics import gunicorn_child_exit

__all__ = ["gunicorn_child_exit", "install"]


def install(app: Flask, settings: Settings) -> None:
    logs.configure(settings.log_format)
    request_log.install(app)
