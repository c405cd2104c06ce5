"""The registrations and deployments every login and launch reads (LTI 1.3 Core §3.1.3,
Security Framework §5.1.1), kept in each process instead of read from the database each time.

A process keeps what it looked up under the *platform stamp*, a random token in the cache every
process shares (Redis, or files under instance/ on one machine). Each login and launch reads the
stamp once (one cache command) and drops what it kept when the stamp changed. Any commit that
wrote a registration or a deployment, through any code path (the `rapport platform` commands,
dynamic registration and its approval, a first launch adopting its deployment, a launch learning
its LMS's origins), replaces the stamp once it is committed: a session event notices the write,
so no writer has to remember to. Every process, on every machine sharing the cache, so stops
using the old row on its next login or launch, and no later than MAX_AGE_SECONDS even if a
stamp was lost (a change made by hand in SQL, a cache flushed without a restart).

A stamp costs one cache read per login and launch, which already talk to that cache for their
state and nonce; a short time-to-live alone would either keep a revoked registration launching
for that long or cost a statement per launch again.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker

from lti_tool.models import Deployment, Registration
from lti_tool.services.platforms.service import platform_origins

log = logging.getLogger(__name__)

STAMP_KEY = "platforms:stamp"
MAX_AGE_SECONDS = 300.0
# Lookups of issuers nobody registered are kept too (a flood of made-up logins then costs no
# statements), up to this many per stamp.
MAX_ENTRIES = 1000
WATCHED_TABLES = frozenset({Registration.__tablename__, Deployment.__tablename__})
_CHANGED = "platforms_changed"


@dataclass(frozen=True)
class KnownPlatform:
    """A registration as a launch reads it, with its deployments (id → primary key, oldest
    first); a copy no session owns, so every request of the process can share it."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str | None
    key_set: dict[str, Any] | None
    product_family: str | None
    frame_origins: tuple[str, ...]
    status: str
    name: str | None
    deployments: dict[str, int]

    def deployment_pk(self, deployment_id: str) -> int | None:
        return self.deployments.get(deployment_id)

    @classmethod
    def of(cls, row: Registration, deployments: dict[str, int]) -> KnownPlatform:
        columns = {f.name for f in fields(cls)} - {"frame_origins", "deployments"}
        return cls(
            **{name: getattr(row, name) for name in columns},
            frame_origins=tuple(row.frame_origins or ()),
            deployments=deployments,
        )


@dataclass
class PlatformSnapshot:
    """What this process knows under one platform stamp: the registrations looked up, and the
    platforms' web origins once the Content-Security-Policy asked for them."""

    lookups: dict[tuple[str, str | None], KnownPlatform | None] = field(default_factory=dict)
    origins: list[str] | None = None


class PlatformDirectory:
    """Per-process registrations, dropped whenever the shared platform stamp changes."""

    def __init__(self, store: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store  # a cachelib backend every process shares
        self.clock = clock
        self._lock = threading.Lock()
        self._stamp: object = None
        self._since = 0.0
        self._snapshot = PlatformSnapshot()

    def current(self) -> PlatformSnapshot:
        """What this process knows under the stamp as it is now: read once per request."""
        stamp = self._shared_stamp()
        with self._lock:
            now = self.clock()
            if stamp != self._stamp or now - self._since > MAX_AGE_SECONDS:
                self._stamp, self._since, self._snapshot = stamp, now, PlatformSnapshot()
            return self._snapshot

    @staticmethod
    def find(
        session: Session, snapshot: PlatformSnapshot, issuer: str, client_id: str | None
    ) -> KnownPlatform | None:
        """The registration for (issuer, client_id); without a client id, the issuer's only
        one. One statement the first time under a stamp, none after."""
        key = (issuer, client_id or None)
        lookups = snapshot.lookups
        if key in lookups:
            return lookups[key]
        found = _load(session, issuer, client_id or None)
        if len(lookups) >= MAX_ENTRIES:
            lookups.clear()
        lookups[key] = found
        return found

    @staticmethod
    def origins(session: Session, snapshot: PlatformSnapshot) -> list[str]:
        """Every registered platform's web origins (`platform_origins`), read once per stamp."""
        if snapshot.origins is None:
            snapshot.origins = platform_origins(session)
        return snapshot.origins

    def changed(self) -> None:
        """A registration or deployment was committed: every process reads them anew."""
        with self._lock:
            self._stamp, self._snapshot = None, PlatformSnapshot()
        self.store.set(STAMP_KEY, secrets.token_hex(8), timeout=0)

    def _shared_stamp(self) -> object:
        stamp = self.store.get(STAMP_KEY)
        if stamp is None:  # first start, or the cache was emptied: one process sets it
            self.store.add(STAMP_KEY, secrets.token_hex(8), timeout=0)
            stamp = self.store.get(STAMP_KEY)
        return stamp


def _load(session: Session, issuer: str, client_id: str | None) -> KnownPlatform | None:
    query = (
        select(Registration, Deployment.deployment_id, Deployment.id)
        .outerjoin(Deployment, Deployment.registration_id == Registration.id)
        .where(Registration.issuer == issuer)
        .order_by(Registration.id, Deployment.id)
    )
    if client_id:
        query = query.where(Registration.client_id == client_id)
    rows = session.execute(query).all()
    registrations = {row[0].id: row[0] for row in rows}
    if len(registrations) != 1:
        return None  # none, or an issuer with several clients and no client id to choose
    deployments = {name: pk for _, name, pk in rows if name is not None}
    return KnownPlatform.of(rows[0][0], deployments)


def watch_platform_changes(sessions: sessionmaker[Session], directory: PlatformDirectory) -> None:
    """Tell `directory` after every commit that wrote a registration or deployment, by the
    unit of work (ORM objects) or by a statement (INSERT … ON CONFLICT, UPDATE, DELETE)."""

    @event.listens_for(sessions, "after_flush")
    def _flushed(session: Session, _flush: UOWTransaction) -> None:
        touched = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(row, Registration | Deployment) for row in touched):
            session.info[_CHANGED] = True

    @event.listens_for(sessions, "do_orm_execute")
    def _executed(state: ORMExecuteState) -> None:
        if not (state.is_insert or state.is_update or state.is_delete):
            return
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED_TABLES:
            state.session.info[_CHANGED] = True

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            try:
                directory.changed()
            except Exception:  # the commit stands; MAX_AGE_SECONDS bounds what is missed
                log.exception("could not replace the platform stamp")

    @event.listens_for(sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_CHANGED, None)
