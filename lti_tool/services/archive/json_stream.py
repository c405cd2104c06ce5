"""A JSON document written as it is read (`course.json` in the course's download): members one at
a time, an array's items one per line, from statements whose rows come FETCH at a time.
Moments are written as ISO 8601 in UTC, as the CSV exports write them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Select
from sqlalchemy.orm import Session

from lti_tool.i18n import LazyString
from lti_tool.services.checkins.export import iso_utc

FETCH = 1_000


class JsonWriter:
    """A JSON object written a member at a time, and an array's items one per line."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.members = 0

    def begin(self) -> None:
        self.out.write("{")

    def end(self) -> None:
        self.out.write("\n}\n")

    def member(self, key: str, value: Any) -> None:
        self._key(key)
        self.out.write(dumps(value))

    def array(self, key: str, items: Iterable[Any]) -> None:
        self._key(key)
        self.out.write("[")
        empty = True
        for item in items:
            self.out.write("\n    " if empty else ",\n    ")
            self.out.write(dumps(item))
            empty = False
        self.out.write("]" if empty else "\n  ]")

    def _key(self, key: str) -> None:
        self.out.write(",\n  " if self.members else "\n  ")
        self.out.write(dumps(key) + ": ")
        self.members += 1


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, LazyString):  # a setting's label, in the reader's language
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain)


def streamed(session: Session, query: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    yield from session.execute(query.execution_options(yield_per=FETCH))
