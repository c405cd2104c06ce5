"""Each person's choice of email per course (immediate, daily, off) and one-click unsubscribe.

Without a choice, students hear of what is written to them within minutes, and staff get one
daily digest per course (their tutees' messages at once only if they ask for it). The
unsubscribe link carries the person and the course signed with the app's secret (RFC 8058: it
must work from a mail client's button, without a login), so it needs no stored token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lti_tool.models import Membership, NotificationMode, NotificationPreference, Person
from lti_tool.models.course import CourseRole
from lti_tool.services.upsert import upsert

UNSUBSCRIBE_SALT = "rapport.notifications.unsubscribe"
MODES = (NotificationMode.IMMEDIATE, NotificationMode.DAILY, NotificationMode.OFF)


def default_mode(role: CourseRole) -> NotificationMode:
    return NotificationMode.DAILY if role is CourseRole.STAFF else NotificationMode.IMMEDIATE


def modes_of(
    session: Session, course_id: int, person_ids: Iterable[int]
) -> dict[int, NotificationMode]:
    """Each active member's mode in the course (their choice, else their role's default); people
    who are not active members are left out: they get no mail. One query."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Membership.person_id, Membership.role, NotificationPreference.mode)
        .outerjoin(
            NotificationPreference,
            (NotificationPreference.course_id == Membership.course_id)
            & (NotificationPreference.person_id == Membership.person_id),
        )
        .where(
            Membership.course_id == course_id,
            Membership.person_id.in_(ids),
            Membership.active.is_(True),
        )
    ).all()
    return {person: mode or default_mode(role) for person, role, mode in rows}


def mode_of(session: Session, course_id: int, person_id: int) -> NotificationMode:
    return modes_of(session, course_id, [person_id]).get(person_id, NotificationMode.OFF)


def parse_mode(raw: str | None) -> NotificationMode | None:
    try:
        return NotificationMode((raw or "").strip())
    except ValueError:
        return None


def set_mode(
    session: Session, course_id: int, person_id: int, mode: NotificationMode, now: datetime
) -> None:
    keys = {"course_id": course_id, "person_id": person_id}
    upsert(session, NotificationPreference, keys, {"mode": mode, "updated_at": now})


def unsubscribe_token(secret: str, person_id: int, course_id: int) -> str:
    return URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT).dumps([person_id, course_id])


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, int] | None:
    """(person id, course id) from a token this app signed; None for anything else."""
    if len(token) > 200:
        return None
    try:
        value = URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return int(value[0]), int(value[1])
    return None


@dataclass(frozen=True)
class WithoutEmail:
    names: list[str]
    total: int


def people_without_email(session: Session, course_id: int, limit: int = 200) -> WithoutEmail:
    """Active members the LMS gave no email address: Rapport cannot mail them (staff's list)."""
    where = (
        Membership.course_id == course_id,
        Membership.active.is_(True),
        (Person.email.is_(None)) | (Person.email == ""),
    )
    total = session.scalar(select(func.count()).select_from(Membership).join(Person).where(*where))
    rows = session.execute(
        select(Person, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(*where)
        .order_by(Person.name, Person.id)
        .limit(limit)
    ).all()
    names = [
        person.name_as("Staff" if role is CourseRole.STAFF else "Student") for person, role in rows
    ]
    return WithoutEmail(names, int(total or 0))
