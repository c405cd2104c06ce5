"""INSERT … ON CONFLICT for the rows a launch creates, so concurrent first launches agree.

Each upsert is one statement with RETURNING (PostgreSQL, and SQLite since 3.35): the id comes
back with the write instead of from a second SELECT.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

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
    row_id = session.scalar(statement.returning(table.c.id))
    if row_id is None:  # DO NOTHING returns no row when the row was already there
        query = select(table.c.id)
        for name, value in keys.items():
            query = query.where(table.c[name] == value)
        row_id = session.scalar(query)
    assert row_id is not None
    return int(row_id)


M = TypeVar("M", bound=Base)


def upsert_row(session: Session, model: type[M], keys: dict[str, Any], values: dict[str, Any]) -> M:
    """`upsert` returning the row itself, in the session's identity map: a later
    `session.get(model, id)` in the same unit of work costs no statement. Still one statement."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    changed = {k: v for k, v in values.items() if v is not None}
    # With nothing to change, a key is set to itself so that RETURNING still has a row.
    changes = changed or {name: getattr(insert(model).excluded, name) for name in keys}
    statement = (
        insert(model)
        .values(**keys, **values)
        .on_conflict_do_update(index_elements=list(keys), set_=changes)
        .returning(model)
    )
    return session.scalars(statement, execution_options={"populate_existing": True}).one()


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
