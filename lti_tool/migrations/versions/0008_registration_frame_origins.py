"""Origins of the LMS pages a platform's launches named, for the Content-Security-Policy

Revision ID: 0008_registration_frame_origins
Revises: 0007_membership_role_sources
Create Date: 2026-12-04 15:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_registration_frame_origins"
down_revision: str | None = "0007_membership_role_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("frame_origins", json, nullable=False, server_default="[]"))
    with op.batch_alter_table("registration") as batch:
        batch.alter_column("frame_origins", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("registration") as batch:
        batch.drop_column("frame_origins")
