"""Database engine, the session for each request, and the naming convention Alembic relies on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.orm import (
    DeclarativeBase,
    ORMExecuteState,
    Session,
    SessionTransaction,
    sessionmaker,
)
from sqlalchemy.orm.unitofwork import UOWTransaction
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere, JSONB where PostgreSQL offers it.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use lti_tool.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType, list[Any]: JSONType}


CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL's; a `connect_timeout` in DATABASE_URL wins


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode, NORMAL syncs at checkpoints rather than at every commit: still safe
            # from corruption, and only a power cut can undo the last commits (SQLite's advice
            # for WAL; Rails' default). A launch commits up to three times.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A database host that does not answer at all (down, or a firewall dropping packets) fails
    # a request within seconds, as a 503 page, instead of holding a worker until it is killed.
    timeout = {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(url, pool_pre_ping=True, connect_args=timeout)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    _watch_writes(sessions)
    return sessions


# A request's transaction that wrote, by the unit of work or by a statement (session.info).
_WROTE = "rapport.wrote"


def _watch_writes(sessions: sessionmaker[Session]) -> None:
    @event.listens_for(sessions, "after_flush")
    def _flushed(session: Session, _flush: UOWTransaction) -> None:
        session.info[_WROTE] = True

    @event.listens_for(sessions, "do_orm_execute")
    def _executed(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            state.session.info[_WROTE] = True

    @event.listens_for(sessions, "after_transaction_end")
    def _ended(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop(_WROTE, None)


def end_request(session: Session, failed: bool) -> None:
    """Close a request's session. A transaction that only read is committed, which to the
    database is the same as rolling it back; but psycopg forgets a connection's prepared
    statements at every rollback, and then a page's statements, the same on every request,
    would be parsed and planned anew each time (about 2 ms of a big course's dashboard). A
    transaction that wrote and was not committed is rolled back, as before; so is one whose
    connection was lost during the request, whose error page has already answered."""
    clean = not (session.new or session.dirty or session.deleted or session.info.get(_WROTE))
    try:
        if not failed and clean and session.in_transaction():
            with suppress(PendingRollbackError):
                session.commit()
    finally:
        session.close()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work outside a request (CLI, workers): commit on success, roll back on error."""
    with factory() as session, session.begin():
        yield session
