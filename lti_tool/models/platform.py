"""Platforms that installed Rapport: an LTI registration (issuer + client_id) and its deployments.

LTI 1.3 Core §3.1.3 (deployment) and Security Framework §5.1.1 (the keys a tool trusts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, utcnow


class Registration(Base):
    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(512))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(Text)
    auth_token_url: Mapped[str] = mapped_column(Text)
    auth_audience: Mapped[str | None] = mapped_column(Text)
    key_set_url: Mapped[str | None] = mapped_column(Text)
    key_set: Mapped[dict[str, Any] | None]
    # "canvas", "moodle", … from the tool_platform claim of the latest launch.
    product_family: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    # Origins of LMS pages this platform's launches named (return URLs), beyond its own
    # endpoints: Canvas is framed from the school's domain, not from its issuer's.
    frame_origins: Mapped[list[Any]] = mapped_column(default=list)
    # ACTIVE, or PENDING: registered by an anonymous dynamic registration and not launchable
    # until an administrator approves it (`rapport platform approve`).
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    @property
    def site_urls(self) -> tuple[str, ...]:
        """Addresses this platform serves from: its issuer and endpoints, and the LMS pages its
        launches named. Their origins frame Rapport, receive its forms, and serve NRPS/AGS."""
        endpoints = (self.issuer, self.auth_login_url, self.auth_token_url, self.key_set_url)
        return (*(u for u in endpoints if u), *(self.frame_origins or []))

    def __repr__(self) -> str:
        return f"<Registration {self.issuer} client {self.client_id}>"


ACTIVE = "active"
PENDING = "pending"


class RegistrationInvite(Base):
    """A one-time dynamic registration link an administrator made (`rapport platform invite`):
    the platform that uses it is registered (or updated) without a further step."""

    __tablename__ = "registration_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Deployment(Base):
    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="deployments")
