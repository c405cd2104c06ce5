"""The demo LMS's state, in its own small SQLite database under `instance/demo/`.

Not in Rapport's schema: the demo plays the LMS, so its tables (demo/tables.py) are the LMS's,
created here and never migrated with Rapport's. Every change runs under one lock (the dev
server is threaded) in one transaction, so concurrent score posts and token requests cannot
interleave.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from lti_tool.db import make_engine
from lti_tool.demo.faults import FaultQueue
from lti_tool.demo.records import AccessToken, LineItem, LineItemFields, PlacedLink, Score
from lti_tool.demo.tables import (
    access_tokens,
    counters,
    course_copies,
    deep_link_requests,
    line_items,
    link_courses,
    metadata,
    placed_links,
    scores,
    used_once,
)


def _no_sync_per_commit(dbapi_connection: Any, _record: Any) -> None:
    """WAL without a disk sync per commit (SQLite's advice for WAL): a commit survives the
    demo stopping or crashing, though not the machine losing power, and a score post no longer
    waits on the disk twice."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _bump(conn: Connection, name: str) -> None:
    statement = sqlite_insert(counters).values(name=name, value=1)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
        )
    )


def _line_item(row: Row[tuple[object, ...]]) -> LineItem:
    m = row._mapping
    fields = LineItemFields(
        label=m["label"],
        score_maximum=m["score_maximum"],
        resource_id=m["resource_id"],
        tag=m["tag"],
        resource_link_id=m["resource_link_id"],
        start_date_time=m["start_date_time"],
        end_date_time=m["end_date_time"],
    )
    return LineItem(m["id"], m["context_id"], fields)


def _placed_link(row: Row[tuple[object, ...]]) -> PlacedLink:
    m = row._mapping
    return PlacedLink(
        m["id"], m["title"], m["text"], m["url"], dict(m["custom"] or {}), m["placed_by"]
    )


class DemoStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.engine: Engine = make_engine(f"sqlite:///{path}")
        event.listen(self.engine, "connect", _no_sync_per_commit)
        self.faults = FaultQueue()
        self._lock = threading.RLock()
        self._tokens: dict[str, AccessToken] = {}  # by hash
        metadata.create_all(self.engine)

    # -- line items (AGS 2.0 §3.2) ------------------------------------------------------------
    def create_line_item(self, context_id: str, fields: LineItemFields) -> LineItem:
        with self._lock, self.engine.begin() as conn:
            values = {"context_id": context_id, **fields.__dict__}
            number = conn.scalar(insert(line_items).values(**values).returning(line_items.c.id))
        return LineItem(int(number), context_id, fields)

    def line_item(self, context_id: str, number: int) -> LineItem | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(line_items).where(
                    line_items.c.id == number, line_items.c.context_id == context_id
                )
            ).first()
        return _line_item(row) if row else None

    def line_items(
        self,
        context_id: str,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
    ) -> list[LineItem]:
        query = select(line_items).where(line_items.c.context_id == context_id)
        for column, value in (
            (line_items.c.resource_link_id, resource_link_id),
            (line_items.c.resource_id, resource_id),
            (line_items.c.tag, tag),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.engine.connect() as conn:
            return [_line_item(r) for r in conn.execute(query.order_by(line_items.c.id))]

    def update_line_item(self, item: LineItem, fields: LineItemFields) -> LineItem:
        with self._lock, self.engine.begin() as conn:
            conn.execute(
                update(line_items).where(line_items.c.id == item.number).values(**fields.__dict__)
            )
        return LineItem(item.number, item.context_id, fields)

    def delete_line_item(self, item: LineItem) -> None:
        with self._lock, self.engine.begin() as conn:
            conn.execute(delete(scores).where(scores.c.line_item == item.number))
            conn.execute(delete(line_items).where(line_items.c.id == item.number))

    # -- scores (AGS 2.0 §3.4) ----------------------------------------------------------------
    def save_score(self, score: Score) -> bool:
        """Keep the score unless one at least as recent is stored (then False: a 409); counted
        as a score post either way, in the same transaction."""
        values = dict(score.__dict__)
        statement = sqlite_insert(scores).values(**values)
        newer = statement.on_conflict_do_update(
            index_elements=[scores.c.line_item, scores.c.user_id],
            set_=values,
            where=statement.excluded.timestamp_us > scores.c.timestamp_us,
        )
        with self._lock, self.engine.begin() as conn:
            _bump(conn, "score_posts")
            return bool(conn.execute(newer).rowcount)

    def scores(self, line_item: int | None = None, user_id: str | None = None) -> list[Score]:
        query = select(scores).order_by(scores.c.line_item, scores.c.user_id)
        if line_item is not None:
            query = query.where(scores.c.line_item == line_item)
        if user_id is not None:
            query = query.where(scores.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [Score(**dict(r._mapping)) for r in conn.execute(query)]

    # -- access tokens (Security Framework §4.1) ---------------------------------------------
    def issue_token(self, client_id: str, scopes: frozenset[str], lifetime: int) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock, self.engine.begin() as conn:
            conn.execute(delete(access_tokens).where(access_tokens.c.expires_at < now))
            conn.execute(
                insert(access_tokens).values(
                    token_hash=_hash(token),
                    client_id=client_id,
                    scopes=" ".join(sorted(scopes)),
                    expires_at=now + lifetime,
                )
            )
        return token

    def access_token(self, token: str) -> AccessToken | None:
        """The unexpired token with this value, if any (read once, then kept in memory: every
        service call asks; only `expire_tokens`, here, takes an unexpired one away)."""
        key = _hash(token)
        found = self._tokens.get(key)
        if found is None:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(access_tokens).where(access_tokens.c.token_hash == key)
                ).first()
            if row is None:
                return None
            m = row._mapping
            found = AccessToken(m["client_id"], frozenset(m["scopes"].split()), m["expires_at"])
            self._tokens[key] = found
        return found if found.expires_at > time.time() else None

    def expire_tokens(self) -> None:
        """Make every issued token expire now, as an LMS may at any moment."""
        with self._lock, self.engine.begin() as conn:
            conn.execute(delete(access_tokens))
            self._tokens.clear()

    def use_once(self, key: str, expires_at: float) -> bool:
        """Record a one-time value (a jti, a nonce); False when it was seen before."""
        now = time.time()
        try:
            with self._lock, self.engine.begin() as conn:
                conn.execute(delete(used_once).where(used_once.c.expires_at < now))
                conn.execute(insert(used_once).values(key=key, expires_at=max(expires_at, now)))
        except IntegrityError:
            return False
        return True

    # -- deep linking (Deep Linking 2.0 §4.4) -------------------------------------------------
    def open_deep_link_request(self, person_id: str, lifetime: int) -> str:
        data = secrets.token_urlsafe(24)
        with self._lock, self.engine.begin() as conn:
            conn.execute(
                insert(deep_link_requests).values(
                    data=data, person_id=person_id, expires_at=time.time() + lifetime
                )
            )
        return data

    def close_deep_link_request(self, data: str) -> str | None:
        """The person who opened this unexpired request; each request answers once."""
        with self._lock, self.engine.begin() as conn:
            row = conn.execute(
                select(deep_link_requests).where(deep_link_requests.c.data == data)
            ).first()
            conn.execute(delete(deep_link_requests).where(deep_link_requests.c.data == data))
        if row is None or row._mapping["expires_at"] < time.time():
            return None
        return str(row._mapping["person_id"])

    def place_link(
        self,
        title: str,
        text: str | None,
        url: str | None,
        custom: dict[str, str],
        placed_by: str,
        context_id: str | None = None,
    ) -> PlacedLink:
        """A link placed in the course; in a copied course when `context_id` names one."""
        with self._lock, self.engine.begin() as conn:
            number = conn.scalar(
                insert(placed_links)
                .values(title=title, text=text, url=url, custom=custom, placed_by=placed_by)
                .returning(placed_links.c.id)
            )
            if context_id is not None:
                conn.execute(insert(link_courses).values(link=number, context_id=context_id))
        return PlacedLink(int(number), title, text, url, custom, placed_by)

    def _links_of(self, base: str, context_id: str) -> Any:
        """Placed links of one course: those of a copy, or those of the first course (`base`)."""
        query = select(placed_links).outerjoin(
            link_courses, link_courses.c.link == placed_links.c.id
        )
        if context_id == base:
            return query.where(link_courses.c.link.is_(None))
        return query.where(link_courses.c.context_id == context_id)

    def placed_links(self, base: str, context_id: str) -> list[PlacedLink]:
        query = self._links_of(base, context_id).order_by(placed_links.c.id)
        with self.engine.connect() as conn:
            return [_placed_link(r) for r in conn.execute(query)]

    def placed_link(self, base: str, context_id: str, link_id: str) -> PlacedLink | None:
        number = PlacedLink.number_of(link_id)
        if number is None:
            return None
        query = self._links_of(base, context_id).where(placed_links.c.id == number)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _placed_link(row) if row else None

    # -- copying a course for a new term ------------------------------------------------------
    def newest_copy(self) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(course_copies).order_by(course_copies.c.id.desc())).first()
        return dict(row._mapping) if row else None

    def copy_course(
        self, base: str, source: str, history: list[str], title: str, label: str
    ) -> str:
        """Copy course `source` as an LMS does for a new term: its placed links (custom
        parameters and all, under new link ids) and its gradebook columns (bound to the copied
        links); its history is `source` then `history`. The new course's context id."""
        with self._lock, self.engine.begin() as conn:
            number = (conn.scalar(select(func.count()).select_from(course_copies)) or 0) + 1
            context_id = f"{base}-copy-{number}"
            conn.execute(
                insert(course_copies).values(
                    context_id=context_id, title=title, label=label, history=[source, *history]
                )
            )
            renamed: dict[str, str] = {}
            for row in conn.execute(self._links_of(base, source).order_by(placed_links.c.id)):
                link = _placed_link(row)
                new = conn.scalar(
                    insert(placed_links)
                    .values(title=link.title, text=link.text, url=link.url, custom=link.custom,
                            placed_by=link.placed_by)
                    .returning(placed_links.c.id)
                )  # fmt: skip
                conn.execute(insert(link_courses).values(link=new, context_id=context_id))
                renamed[link.link_id] = PlacedLink(int(new), link.title, None, None).link_id
            for row in conn.execute(select(line_items).where(line_items.c.context_id == source)):
                values = {k: v for k, v in row._mapping.items() if k != "id"}
                link_id = values["resource_link_id"]
                values.update(context_id=context_id, resource_link_id=renamed.get(link_id, link_id))
                conn.execute(insert(line_items).values(**values))
        return context_id

    # -- counters, for tests and the gradebook page --------------------------------------------
    def count(self, name: str) -> None:
        with self._lock, self.engine.begin() as conn:
            _bump(conn, name)

    def counter(self, name: str) -> int:
        with self.engine.connect() as conn:
            value = conn.scalar(select(counters.c.value).where(counters.c.name == name))
        return int(value or 0)

    def dispose(self) -> None:
        self.engine.dispose()
