"""Rapport's log lines: one JSON object per line (or plain text), each naming its request.

Standard-library logging throughout: every module keeps `logging.getLogger(__name__)`, pytest's
`caplog` sees every record, and the format is chosen once, at start-up (`LOG_FORMAT`). An event
worth counting (a request, a launch, a score, a roster sync) is logged with `fields`, which
the JSON format writes as keys of its own; the message says the same in words. The request id
comes from a context variable the request hooks set, so the code that logs needs no Flask.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# The id of the request being served on this thread (lti_tool.observability.request_log).
request_id: ContextVar[str | None] = ContextVar("rapport_request_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = getattr(record, "fields", None) or {}
    return fields


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"?, …fields, "exception"?}`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            line["request_id"] = current
        line.update(fields_of(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(log_format: str) -> None:
    """Lines at INFO and above to stderr, in `log_format` — unless logging is already set up
    (pytest, or a program embedding Rapport), which keeps its own handlers, as
    `logging.basicConfig` would. Stderr, not stdout: the `rapport` commands print what scripts
    read (an invitation link, a platform list) on stdout."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def event(logger: logging.Logger, level: int, message: str, name: str, /, **fields: Any) -> None:
    """Log one event: `message` for people, `fields` (and `event`: `name`) for machines."""
    if logger.isEnabledFor(level):
        logger.log(level, message, extra={"fields": {"event": name, **fields}}, stacklevel=2)
