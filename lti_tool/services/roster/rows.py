"""The bulk statements a page of the NRPS roster is written with (NRPS 2.0 §2.3).

Up to 1,000 members cost two statements: one INSERT … ON CONFLICT … RETURNING for the people
(their ids come back with it) and one for the memberships. Both are executed as SQLAlchemy's
"insertmanyvalues" batches — one multi-row INSERT compiled once and cached — rather than a
`.values([...])` statement, which is compiled anew for every page. Names are merged with
COALESCE, so a roster that withholds them never erases the ones a launch brought.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, func, or_, update
from sqlalchemy.orm import Session

from lti_tool.lti.nrps import MemberStatus, RosterMember
from lti_tool.lti.roles import course_role
from lti_tool.models import Membership, Person
from lti_tool.services.upsert import dialect_insert

_NAME_COLUMNS = ("name", "given_name", "family_name", "email", "picture")


def _insert(session: Session, table: Table) -> Any:
    return dialect_insert(session.get_bind().dialect.name)(table)


def upsert_people(
    session: Session, registration_id: int, members: Sequence[RosterMember], now: datetime
) -> dict[str, int]:
    """One statement for up to 1,000 people, returning their ids by `sub`."""
    table = cast(Table, Person.__table__)
    rows = [
        {
            "registration_id": registration_id,
            "sub": m.user_id,
            **{column: getattr(m, column) for column in _NAME_COLUMNS},
            "created_at": now,
            "updated_at": now,
        }
        for m in members
    ]
    statement = _insert(session, table)
    keep = {c: func.coalesce(statement.excluded[c], table.c[c]) for c in _NAME_COLUMNS}
    upsert = statement.on_conflict_do_update(
        index_elements=["registration_id", "sub"],
        set_={**keep, "updated_at": statement.excluded.updated_at},
    ).returning(table.c.sub, table.c.id)
    found = session.connection().execute(upsert, rows)
    return {str(sub): int(person_id) for sub, person_id in found}


def upsert_memberships(
    session: Session,
    course_id: int,
    members: Sequence[RosterMember],
    person_ids: dict[str, int],
    *,
    seen_at: datetime,
    now: datetime,
) -> None:
    table = cast(Table, Membership.__table__)
    rows = [
        {
            "course_id": course_id,
            "person_id": person_ids[m.user_id],
            "role": course_role(m.roles),
            "roster_role": course_role(m.roles),
            "lti_roles": list(m.roles),
            "active": m.status is MemberStatus.ACTIVE,
            "roster_status": m.status.value,
            "roster_seen_at": seen_at,
            "created_at": now,
        }
        for m in members
    ]
    statement = _insert(session, table)
    launched = table.c.launch_role.is_not(None)
    changed = ("roster_role", "active", "roster_status", "roster_seen_at")
    upsert = statement.on_conflict_do_update(
        index_elements=["course_id", "person_id"],
        set_={
            **{c: statement.excluded[c] for c in changed},
            # A signed launch beats a roster row: the roster sets the role (and the LTI roles
            # it came from) only of members who never launched.
            "role": case((launched, table.c.launch_role), else_=statement.excluded.role),
            "lti_roles": case((launched, table.c.lti_roles), else_=statement.excluded.lti_roles),
        },
    ).returning(table.c.id)  # RETURNING makes the batch one multi-row INSERT, not N
    session.connection().execute(upsert, rows).all()


def deactivate_absent(session: Session, course_id: int, lease: datetime) -> int:
    """Members this sync did not list become inactive — unless they launched meanwhile."""
    result = session.execute(
        update(Membership)
        .where(
            Membership.course_id == course_id,
            Membership.active.is_(True),
            or_(Membership.roster_seen_at.is_(None), Membership.roster_seen_at < lease),
            or_(Membership.last_launch_at.is_(None), Membership.last_launch_at < lease),
        )
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
