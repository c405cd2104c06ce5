"""What is kept of an erased person: a keyed one-way hash of (issuer, `sub`), and who asked for
the erasure and when (`models/privacy.py`).

The hash is an HMAC-SHA-256 keyed with the application's secret (SECRET_KEY, or the one kept
under instance/): a `sub` is often short and guessable (Moodle's are user numbers), so a bare
hash of it could be reversed by trying every number; without the key, which is not in the
database, a copy of the database alone cannot. Changing SECRET_KEY makes earlier erasures
unrecognisable: a roster sync would then list the person again as a new member, with what the
LMS sends (their name), never with what was erased.

A roster sync (NRPS 2.0 §2.3) leaves out the members whose hash is recorded, unless the person
has launched Rapport again since (their new row holds their `sub` once more): someone who comes
back by their own launch is a member like any other.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from lti_tool.lti.nrps import RosterMember
from lti_tool.models import Person, PersonErasure

_CONTEXT = b"rapport person erasure"


def erasure_hash(key: str, issuer: str, sub: str) -> str:
    """The hash an erasure keeps of the person's identity (64 hexadecimal characters)."""
    message = b"\x00".join((_CONTEXT, issuer.encode(), sub.encode()))
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def record_erasure(
    session: Session, key: str, issuer: str, sub: str, requested_by: str, now: datetime
) -> PersonErasure:
    erasure = PersonErasure(
        sub_hash=erasure_hash(key, issuer, sub), requested_by=requested_by[:255], erased_at=now
    )
    session.add(erasure)
    session.flush()
    return erasure


def any_erasures(session: Session) -> bool:
    """Whether anyone was ever erased: a sync checks its members only then."""
    return bool(session.scalar(select(exists().where(PersonErasure.id.is_not(None)))))


def without_erased(
    session: Session,
    key: str,
    issuer: str,
    registration_id: int,
    members: Sequence[RosterMember],
) -> list[RosterMember]:
    """The roster's members less those erased (and not back by a launch since): one query
    for up to a page of members, and a second only when one of them was erased."""
    hashes = {erasure_hash(key, issuer, m.user_id): m.user_id for m in members}
    found = session.scalars(
        select(PersonErasure.sub_hash).where(PersonErasure.sub_hash.in_(list(hashes)))
    )
    erased = {hashes[h] for h in found}
    if not erased:
        return list(members)
    back = set(
        session.scalars(
            select(Person.sub).where(
                Person.registration_id == registration_id,
                Person.sub.in_(sorted(erased)),
                Person.erased_at.is_(None),
            )
        )
    )
    return [m for m in members if m.user_id not in erased or m.user_id in back]
