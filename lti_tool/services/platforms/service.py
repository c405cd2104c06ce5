"""Installing Rapport in a platform: registrations and their deployments.

One registration per (issuer, client_id), each with its deployments; the same rules serve the
CLI (`rapport platform add|list|remove`), the LTI_CONFIG import, dynamic registration and the
demo LMS. Importing the same data twice leaves the same rows.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_tool.lti.claims import web_origins
from lti_tool.models import Deployment, Registration, RegistrationInvite
from lti_tool.models.platform import ACTIVE
from lti_tool.services.upsert import insert_ignoring_conflicts, upsert


class PlatformConfigError(ValueError):
    """A platforms file or command names something Rapport cannot register."""


@dataclass
class PlatformSpec:
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None = None
    key_set_url: str | None = None
    key_set: dict[str, Any] | None = None
    deployment_ids: list[str] = field(default_factory=list)
    name: str | None = None

    def check(self) -> None:
        for label, value in (
            ("issuer", self.issuer),
            ("client_id", self.client_id),
            ("auth_login_url", self.auth_login_url),
            ("auth_token_url", self.auth_token_url),
        ):
            if not isinstance(value, str) or not value.strip():
                raise PlatformConfigError(f"{label} is required")
        if not self.key_set_url and not self.key_set:
            raise PlatformConfigError(
                f"{self.issuer} / {self.client_id}: give key_set_url or key_set (its public keys)"
            )
        if self.key_set is not None and not isinstance(self.key_set.get("keys"), list):
            raise PlatformConfigError(f"{self.issuer}: key_set must be a JWKS with a 'keys' list")


def save_platform(session: Session, spec: PlatformSpec) -> Registration:
    """Create or update a registration and add any deployments it lacks."""
    spec.check()
    row = session.scalar(
        select(Registration).where(
            Registration.issuer == spec.issuer, Registration.client_id == spec.client_id
        )
    )
    if row is None:
        row = Registration(issuer=spec.issuer, client_id=spec.client_id)
        session.add(row)
    row.auth_login_url = spec.auth_login_url
    row.auth_token_url = spec.auth_token_url
    row.auth_audience = spec.auth_audience
    row.key_set_url = spec.key_set_url
    row.key_set = spec.key_set
    row.name = spec.name or row.name
    known = {d.deployment_id for d in row.deployments}
    for deployment_id in dict.fromkeys(spec.deployment_ids):
        if deployment_id not in known:
            row.deployments.append(Deployment(deployment_id=deployment_id))
    session.flush()
    return row


def add_deployment(session: Session, issuer: str, client_id: str, deployment_id: str) -> None:
    row = session.scalar(
        select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id
        )
    )
    if row is None:
        raise PlatformConfigError(
            f"no platform is registered with issuer {issuer} and client {client_id}"
        )
    if deployment_id not in {d.deployment_id for d in row.deployments}:
        row.deployments.append(Deployment(deployment_id=deployment_id))
    session.flush()


def list_platforms(session: Session) -> list[Registration]:
    return list(
        session.scalars(select(Registration).order_by(Registration.issuer, Registration.client_id))
    )


def remove_platform(
    session: Session, issuer: str, client_id: str, deployment_id: str | None = None
) -> bool:
    """Remove one deployment, or the whole registration when no deployment is named."""
    row = session.scalar(
        select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id
        )
    )
    if row is None:
        return False
    if deployment_id is None:
        session.delete(row)
        return True
    for deployment in row.deployments:
        if deployment.deployment_id == deployment_id:
            row.deployments.remove(deployment)
            return True
    return False


def specs_from_pylti_config(data: object) -> list[PlatformSpec]:
    """Read pylti1p3's JSON platforms format: {issuer: entry | [entry, …]}.

    Its key-file fields (`private_key_file`, `public_key_file`) are accepted and ignored: the
    tool's keys come from KEYS_DIR.
    """
    if not isinstance(data, dict):
        raise PlatformConfigError("the platforms file must hold a JSON object keyed by issuer")
    specs = []
    for issuer, entries in data.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            if not isinstance(entry, dict):
                raise PlatformConfigError(f"{issuer}: each entry must be a JSON object")
            deployments = entry.get("deployment_ids") or []
            if not isinstance(deployments, list):
                raise PlatformConfigError(f"{issuer}: deployment_ids must be a list")
            key_set = entry.get("key_set")
            specs.append(
                PlatformSpec(
                    issuer=issuer,
                    client_id=str(entry.get("client_id") or ""),
                    auth_login_url=str(entry.get("auth_login_url") or ""),
                    auth_token_url=str(entry.get("auth_token_url") or ""),
                    auth_audience=entry.get("auth_audience") or None,
                    key_set_url=entry.get("key_set_url") or None,
                    key_set=key_set if isinstance(key_set, dict) else None,
                    deployment_ids=[str(d) for d in deployments],
                    name=entry.get("name") or None,
                )
            )
    return specs


def import_platform(session: Session, spec: PlatformSpec) -> int:
    """`save_platform` for a platforms file, which two processes may import at one moment (two
    hosts running `rapport db upgrade` in one deploy): every row goes in as INSERT … ON
    CONFLICT, so the second waits for the first and then finds its rows instead of failing on
    a unique constraint. Returns the registration's id."""
    spec.check()
    fields: dict[str, Any] = {
        "auth_login_url": spec.auth_login_url,
        "auth_token_url": spec.auth_token_url,
        "auth_audience": spec.auth_audience,
        "key_set_url": spec.key_set_url,
        "key_set": spec.key_set,
    }
    if spec.name:
        fields["name"] = spec.name
    identity = {"issuer": spec.issuer, "client_id": spec.client_id}
    registration_id = upsert(session, Registration, identity, fields, update=False)
    session.execute(update(Registration).where(Registration.id == registration_id).values(fields))
    insert_ignoring_conflicts(
        session,
        Deployment,
        [
            {"registration_id": registration_id, "deployment_id": deployment_id}
            for deployment_id in dict.fromkeys(spec.deployment_ids)
        ],
    )
    return registration_id


def import_platforms_file(session: Session, path: Path) -> int:
    """Import every registration a platforms file lists; returns how many it lists."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PlatformConfigError(f"cannot read {path}: {exc}") from exc
    return len({import_platform(session, spec) for spec in specs_from_pylti_config(data)})


def platform_origins(session: Session) -> list[str]:
    """Every web origin a registered platform serves pages from (`Registration.site_urls`):
    the Content-Security-Policy lets these, and no others, frame Rapport and receive its
    forms."""
    registrations = session.scalars(select(Registration))
    return sorted(web_origins(url for r in registrations for url in r.site_urls))


# -- approval and one-time registration links -------------------------------------------------
INVITE_DAYS = 7


def approve_platform(session: Session, issuer: str, client_id: str) -> bool:
    """Let a pending registration launch; False when there is none with these names."""
    row = session.scalar(
        select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id
        )
    )
    if row is None:
        return False
    row.status = ACTIVE
    session.flush()
    return True


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(session: Session, now: datetime, days: int = INVITE_DAYS) -> str:
    """A one-time registration token, valid `days` days; only its hash is stored."""
    token = secrets.token_urlsafe(24)
    session.add(
        RegistrationInvite(
            token_hash=_token_hash(token), created_at=now, expires_at=now + timedelta(days=days)
        )
    )
    session.flush()
    return token


def use_invite(session: Session, token: str, now: datetime) -> bool:
    """Spend a registration token: True for the one caller that used a valid, unused one."""
    if not token or len(token) > 200:
        return False
    result = session.execute(
        update(RegistrationInvite)
        .where(
            RegistrationInvite.token_hash == _token_hash(token),
            RegistrationInvite.used_at.is_(None),
            RegistrationInvite.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]
