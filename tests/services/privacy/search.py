"""Searching every text, varchar and JSON column of every table of the live database for some
words: the tables are read from the database itself, not from the models, so a table added
later is searched without a line here."""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import JSON, Engine, MetaData, String, Table, select
from sqlalchemy.exc import SAWarning
from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class Searched:
    tables: int  # every table of the database
    columns: int  # their text, varchar and JSON columns
    found: dict[str, list[str]]  # each word found → "table.column" holding it

    def holding(self, word: str) -> list[str]:
        return self.found.get(word, [])


def _wordy(kind: TypeEngine[object]) -> bool:
    return isinstance(kind, String | JSON)


def search(engine: Engine, words: list[str]) -> Searched:
    """Where each of the words is, ignoring case (a JSON value is searched as its text)."""
    metadata = MetaData()
    with warnings.catch_warnings():  # SQLite's expression indexes are not reflected: no matter
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        metadata.reflect(bind=engine)
    found: dict[str, list[str]] = defaultdict(list)
    columns = 0
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            wordy = [c for c in table.columns if _wordy(c.type)]
            columns += len(wordy)
            for place, value in _values(connection, table, wordy):
                text = str(value).casefold()
                for word in words:
                    if word.casefold() in text and place not in found[word]:
                        found[word].append(place)
    return Searched(len(metadata.tables), columns, {w: p for w, p in found.items() if p})


def _values(connection, table: Table, columns):
    if not columns:
        return
    for row in connection.execute(select(*columns)):
        for column, value in zip(columns, row, strict=True):
            if value is not None:
                yield f"{table.name}.{column.name}", value


def snapshot(engine: Engine) -> dict[str, dict[tuple[object, ...], dict[str, object]]]:
    """Every row of every table, by table and primary key."""
    metadata = MetaData()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        metadata.reflect(bind=engine)
    rows: dict[str, dict[tuple[object, ...], dict[str, object]]] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
            rows[table.name] = {
                tuple(row[k] for k in keys): dict(row)
                for row in connection.execute(select(table)).mappings()
            }
    return rows
