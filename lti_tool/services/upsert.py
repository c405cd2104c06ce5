"""INSERT … ON CONFLICT for the rows a launch creates, so concurrent first launches agree.

Each upsert is one statement with RETURNING (PostgreSQL, and SQLite since 3.35): the id comes
back with the write instead of from a second SELECT.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from lti_tool.db import Base

M = TypeVar("M", bound=Base)


def dialect_insert(dialect: str) -> Any:
    """The INSERT that can say ON CONFLICT on this database: PostgreSQL's, else SQLite's."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


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
    statement = _statement(dialect, model, tuple(keys), tuple(values), update, False)
    row_id = session.scalar(statement, {**keys, **values})
    if row_id is None:  # DO NOTHING returns no row when the row was already there
        table = cast(Table, model.__table__)
        query = select(table.c.id)
        for name, value in keys.items():
            query = query.where(table.c[name] == value)
        row_id = session.scalar(query)
    assert row_id is not None
    return int(row_id)


def upsert_row(session: Session, model: type[M], keys: dict[str, Any], values: dict[str, Any]) -> M:
    """`upsert` returning the row itself, in the session's identity map: a later
    `session.get(model, id)` in the same unit of work costs no statement. Still one statement."""
    dialect = session.get_bind().dialect.name
    statement = _statement(dialect, model, tuple(keys), tuple(values), True, True)
    rows = session.scalars(
        statement, {**keys, **values}, execution_options={"populate_existing": True}
    )
    return cast(M, rows.one())


@cache
def _statement(
    dialect: str,
    model: type[Base],
    keys: tuple[str, ...],
    values: tuple[str, ...],
    update: bool,
    whole_row: bool,
) -> Insert:
    """The upsert for these columns, built once per process: its parameters are bound by
    name, and a None never overwrites (`COALESCE(new, stored)`), so one statement serves every
    call and SQLAlchemy's compiled form is reused."""
    insert = dialect_insert(dialect)
    table = cast(Table, model.__table__)
    target = model if whole_row else table
    statement = insert(target).values({name: bindparam(name) for name in (*keys, *values)})
    if update:
        excluded = statement.excluded
        # With no values, a key is set to itself so that RETURNING still has a row.
        changes: dict[str, Any] = {
            name: func.coalesce(excluded[name], table.c[name]) for name in values
        } or {name: excluded[name] for name in keys}
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    return statement.returning(model if whole_row else table.c.id)


def insert_ignoring_conflicts(
    session: Session, model: type[Base], rows: dict[str, Any] | list[dict[str, Any]]
) -> int | None:
    """Insert rows, skipping any a unique constraint already holds (a double click, two tabs).

    For a single row, its new id, or None when it was already there.
    """
    if not rows:
        return None
    dialect = session.get_bind().dialect.name
    table = cast(Table, model.__table__)
    statement = dialect_insert(dialect)(table).values(rows).on_conflict_do_nothing()
    if isinstance(rows, list):
        session.execute(statement)
        return None
    inserted = session.scalar(statement.returning(table.c.id))
    return int(inserted) if inserted is not None else None
