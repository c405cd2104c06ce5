"""Registrations an anonymous dynamic registration made wait for approval; one-time invites

Revision ID: 0009_pending_registrations
Revises: 0008_registration_frame_origins
Create Date: 2026-12-04 15:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision: str = "0009_pending_registrations"
down_revision: str | None = "0008_registration_frame_origins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registration") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="active")
        )
    with op.batch_alter_table("registration") as batch:
        batch.alter_column("status", server_default=None)
    op.create_table(
        "registration_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_invite")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_registration_invite_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("registration_invite")
    with op.batch_alter_table("registration") as batch:
        batch.drop_column("status")
