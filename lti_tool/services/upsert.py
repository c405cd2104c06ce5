"""INSERT … ON CONFLICT for the rows a launch creates, so concurrent first launches agree."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lti_tool.db import Base


def upsert(
    session: Session,
    model: type[Base],
    keys: dict[str, Any],
    values: dict[str, Any],
    update: bool = True,
) -> int:
    """Insert or update the row identified by `keys` (a unique constraint); return its id.

    Values that are None never overwrite what is stored: a later launch that withholds a name
    keeps the name an earlier one brought.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, model.__table__)
    statement = insert(table).values(**keys, **values)
    changed = {k: v for k, v in values.items() if v is not None}
    if update and changed:
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    session.execute(statement)
    query = select(table.c.id)
    for name, value in keys.items():
        query = query.where(table.c[name] == value)
    row_id = session.scalar(query)
    assert row_id is not None
    return int(row_id)


def insert_ignoring_conflicts(
    session: Session, model: type[Base], rows: dict[str, Any] | list[dict[str, Any]]
) -> int | None:
    """Insert rows, skipping any a unique constraint already holds (a double click, two tabs).

    For a single row, its new id, or None when it was already there.
    """
    if not rows:
        return None
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, model.__table__)
    statement = insert(table).values(rows).on_conflict_do_nothing()
    if isinstance(rows, list):
        session.execute(statement)
        return None
    inserted = session.scalar(statement.returning(table.c.id))
    return int(inserted) if inserted is not None else None
