"""Rapport's log as an operator's collector reads it: every record formatted by the JSON
formatter Rapport installs in production, parsed back, one object per line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lti_tool.observability.logs import JsonFormatter

APP_LOGGERS = ("lti_tool", "rapport")  # Rapport's own loggers, not the test platforms'


class LogLines:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line.get("event") == name]

    def from_app(self) -> str:
        """The lines Rapport's own code wrote (the test platforms and servers log too)."""
        own = [line for line in self.all() if line["logger"].startswith(APP_LOGGERS)]
        return "\n".join(json.dumps(line, ensure_ascii=False) for line in own)


@contextmanager
def json_log(level: int = logging.INFO) -> Iterator[LogLines]:
    """Every record at `level` and above, from every logger, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    before = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield LogLines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
