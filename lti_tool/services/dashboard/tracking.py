"""Keeping the student summary true (issue 15): every write to a table the summary is made from
is noticed by the session — ORM objects at flush, INSERT/UPDATE/DELETE statements as they are
executed — as the students it concerns; before the transaction commits, their summaries are
recomputed (`summary.refresh`), in a few statements per course however many they are.

Noticing is at the session so that no write path can forget it: a new writer of feedback,
check-ins, introductions, tutors, flags or memberships is followed without a line here. A
statement whose rows cannot be told (an INSERT … SELECT, an executemany UPDATE not keyed by id)
is refused rather than silently missed. Writes on a bare connection (the roster sync's bulk
upserts) bypass the session: their caller calls `members_changed`. Messages sent automatically
change no fact until the student answers, so bulk starts and nudges cost nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, event, select
from sqlalchemy.orm import ORMExecuteState, Session, attributes
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from lti_tool.db import Base
from lti_tool.jobs import enqueue_after_commit
from lti_tool.models import (
    CheckIn,
    Occurrence,
    Person,
    PostKind,
)
from lti_tool.services.dashboard.pending import (
    Pending,
    checkin_students,
    resolve,
    written_to,
)
from lti_tool.services.dashboard.summary import refresh

KEY = "rapport.student_summary"
DEFERRED = "rapport.student_summary.deferred"
# The job that summarises a launch's person and membership after it commits (lti_tool/tasks.py).
SUMMARISE_MEMBERS = "summary.members"


class UntrackedWriteError(RuntimeError):
    """A write whose students the summary cannot tell: write it another way."""


def _pending(session: Session) -> Pending:
    found = session.info.get(KEY)
    if found is None:
        found = session.info[KEY] = Pending()
    return found


def members_changed(session: Session, course_id: int) -> None:
    """People and memberships of the course were written past the session (a roster sync's
    bulk upserts): each of its students gets a summary under their current name, wherever
    they are a student."""
    _pending(session).courses.add(course_id)


def defer_members(session: Session) -> None:
    """This transaction's people and memberships (a launch's upserts) are summarised by the
    SUMMARISE_MEMBERS job once it commits, not before: a launch stays within its statements,
    and a student's first launch reaches the dashboard a moment later. Other writes in the
    transaction are summarised before it commits, as always."""
    session.info[DEFERRED] = True


# -- what a write concerns ----------------------------------------------------------------------
def _writers_now(session: Session, p: Pending, persons: Iterable[int]) -> None:
    ids = sorted(set(persons))
    if ids:
        p.pairs.update(written_to(session, None, ids))


# Where each watched table's rows are filed in `Pending`, and under which of their columns.
FILED: dict[str, tuple[str, tuple[str, ...]]] = {
    "feedback_message": ("threads", ("thread_id",)),
    "feedback_thread": ("pairs", ("course_id", "student_id")),
    "checkin_response": ("answers", ("occurrence_id", "student_id")),
    "post_reply": ("posts", ("post_id",)),
    "post": ("pairs", ("course_id", "author_id")),
    "tutor_allocation": ("pairs", ("course_id", "student_id")),
    "student_flag": ("pairs", ("course_id", "student_id")),
    "membership": ("members", ("course_id", "person_id")),
    "person": ("people", ("id",)),
}


def _changes_nothing(table: str, row: dict[str, Any], change: str) -> bool:
    """A new automatic message (until the student answers), a new thread (no message yet),
    a news post or a staff introduction."""
    if change == "insert" and table == "feedback_message" and row.get("automated"):
        return True
    if change == "insert" and table == "feedback_thread":
        return True
    return table == "post" and str(row.get("kind") or PostKind.STUDENT_INTRODUCTION) != str(
        PostKind.STUDENT_INTRODUCTION
    )


def _row(p: Pending, table: str, row: dict[str, Any], change: str, role_changed: bool) -> None:
    """One written row: the keys it files under (`change` is insert, update or delete)."""
    if table not in FILED or _changes_nothing(table, row, change):
        return
    if table == "person" and row.get("id") is None:
        p.subs.add((row["registration_id"], row["sub"]))
        return
    where, columns = FILED[table]
    key = tuple(row[c] for c in columns)
    getattr(p, where).add(key[0] if len(key) == 1 else key)
    if table == "membership" and role_changed:
        p.writers.add((row["course_id"], row["person_id"]))


# What each watched table's rows are filed under, read from the rows a statement will touch.
KEYS: dict[str, tuple[str, ...]] = {
    "feedback_message": ("thread_id",),
    "feedback_thread": ("course_id", "student_id"),
    "checkin_response": ("occurrence_id", "student_id"),
    "post_reply": ("post_id",),
    "post": ("course_id", "author_id", "kind"),
    "tutor_allocation": ("course_id", "student_id"),
    "student_flag": ("course_id", "student_id"),
    "membership": ("course_id", "person_id", "role"),
    "person": ("id",),
    "checkin": ("id",),
    "checkin_occurrence": ("id",),
}
# Updates that change none of these columns change no fact (a thread's last message time, a
# membership's last launch, a check-in's title).
FACTS: dict[str, set[str]] = {
    "feedback_message": {"thread_id", "author_id", "created_at", "automated"},
    "feedback_thread": {"course_id", "student_id", "title", "checkin_id", "last_author_id"},
    "membership": {"course_id", "person_id", "role", "active"},
    "person": {"name", "given_name", "family_name", "email"},
    "checkin": {"course_id", "anonymous"},
    "checkin_occurrence": {"opens_at", "checkin_id"},
}


def _column(key: Any) -> str:
    return str(getattr(key, "key", key))


def _value(value: Any) -> Any:
    return value.value if isinstance(value, BindParameter) else value


def _inserted(statement: Any, parameters: Any) -> list[dict[str, Any]]:
    if getattr(statement, "select", None) is not None:
        raise UntrackedWriteError(f"INSERT … SELECT into {statement.table.name}")
    base = {_column(k): _value(v) for k, v in (statement._values or {}).items()}
    rows = [
        {**base, **{_column(k): _value(v) for k, v in row.items()}}
        for group in statement._multi_values
        for row in group
    ]
    given = parameters if isinstance(parameters, list) else [parameters] if parameters else []
    rows += [{**base, **row} for row in given]
    return rows or [base]


def _by_id(statement: Any, table: Table, given: list[dict[str, Any]]) -> list[Any]:
    """The ids an executemany UPDATE or DELETE names, one per parameter set."""
    keyed = [
        node.right.key
        for node in visitors.iterate(statement.whereclause)
        if isinstance(node, BinaryExpression)
        and node.left is table.c.id
        and isinstance(node.right, BindParameter)
        and node.right.key in given[0]
    ]
    if not keyed:
        raise UntrackedWriteError(f"an executemany UPDATE or DELETE of {table.name} not by id")
    return [row[keyed[0]] for row in given]


def _touched(session: Session, where: Any, table: Table) -> list[Any]:
    """The rows an UPDATE or DELETE is about to change, read before it runs."""
    query = select(*[table.c[name] for name in KEYS[table.name]])
    return [
        row._asdict() for row in session.execute(query if where is None else query.where(where))
    ]


def _statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    statement: Any = state.statement
    table = statement.table
    if not isinstance(table, Table) or table.name not in KEYS:
        return
    p, session = _pending(state.session), state.session
    if state.is_insert:
        rows = _inserted(statement, state.parameters)
        if table.name == "membership":  # upserted: whether its role changed is told at commit
            p.upserted.update((r["course_id"], r["person_id"]) for r in rows if r.get("role"))
        for row in rows:
            _row(p, table.name, row, "insert", role_changed=False)
        return
    values = {_column(k) for k in (getattr(statement, "_values", None) or {})}
    if state.is_update and table.name in FACTS and not values & FACTS[table.name]:
        return
    params: Any = state.parameters
    given: list[dict[str, Any]] = params if isinstance(params, list) else [params] if params else []
    where = statement.whereclause
    if given:
        ids = _by_id(statement, table, given)
        if state.is_update and table.name in FILED and table.name not in ("membership", "person"):
            p.updated.setdefault(table.name, set()).update(ids)  # still there at commit
            return
        where = table.c.id.in_(ids)
    touched = _touched(session, where, table)
    ids = [row["id"] for row in touched] if "id" in KEYS[table.name] else []
    if table.name == "person" and state.is_delete:
        _writers_now(session, p, ids)
    elif table.name in ("checkin", "checkin_occurrence") and ids:
        checkins = ids if table.name == "checkin" else []
        checkin_students(session, p, checkins, ids if not checkins else [])
    for row in touched:
        _row(p, table.name, row, "delete", role_changed="role" in values or state.is_delete)


def file_updated(session: Session, p: Pending) -> None:
    """Rows updated by id in an executemany: filed now, at commit, from what they hold."""
    for name, ids in p.updated.items():
        table = Base.metadata.tables[name]
        for row in _touched(session, table.c.id.in_(sorted(ids)), table):
            _row(p, name, row, "update", role_changed=False)
    p.updated.clear()


# -- ORM objects --------------------------------------------------------------------------------
def _changed(obj: Any, names: set[str]) -> bool:
    state = attributes.instance_state(obj)
    return any(state.attrs[name].history.has_changes() for name in names if name in state.attrs)


def _object(p: Pending, obj: Any, change: str) -> None:
    table = getattr(obj, "__tablename__", None)
    if table not in KEYS or (table in ("checkin", "checkin_occurrence") and change == "delete"):
        return
    if change == "update" and table in FACTS and not _changed(obj, FACTS[table]):
        return
    if table == "checkin":
        p.checkins.add(obj.id)
        return
    if table == "checkin_occurrence":
        p.occurrences.add(obj.id)
        return
    row = {name: getattr(obj, name, None) for name in KEYS[table]}
    role_changed = table == "membership" and (change != "update" or _changed(obj, {"role"}))
    if table == "membership" and change == "insert":
        role_changed = False  # someone new has written nothing in the course yet
    _row(p, table, row, change, role_changed)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Deletions whose rows take others with them (cascades): asked before they go."""
    p = _pending(session)
    gone = list(session.deleted)
    _writers_now(session, p, [o.id for o in gone if isinstance(o, Person)])
    checkins = [o.id for o in gone if isinstance(o, CheckIn)]
    occurrences = [o.id for o in gone if isinstance(o, Occurrence)]
    if checkins or occurrences:
        checkin_students(session, p, checkins, occurrences)


def _after_flush(session: Session, _context: Any) -> None:
    p = _pending(session)
    for change, objects in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            _object(p, obj, change)


# -- before commit ------------------------------------------------------------------------------
def apply_pending(session: Session) -> None:
    """Recompute the summaries this transaction's writes so far concern (before a commit, and
    before anything reads the summary)."""
    if not session.in_transaction():
        return
    session.flush()
    p = session.info.pop(KEY, None)
    if p and session.info.get(DEFERRED) and (p.members or p.people or p.subs or p.upserted):
        people = (p.members, p.people, p.subs, p.upserted)
        enqueue_after_commit(session, SUMMARISE_MEMBERS, *(tuple(sorted(ids)) for ids in people))
        p.members, p.people, p.subs, p.upserted = set(), set(), set(), set()
    if not p:
        return
    file_updated(session, p)
    for course_id, students in sorted(resolve(session, p).items()):
        refresh(session, course_id, students)


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(KEY, None)
        session.info.pop(DEFERRED, None)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "do_orm_execute", _statement)
event.listen(Session, "before_commit", apply_pending)
event.listen(Session, "after_transaction_end", _forget)
