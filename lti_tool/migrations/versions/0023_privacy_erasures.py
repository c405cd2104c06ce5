"""A person's erasure: a keyed hash of whom Rapport erased, and when each person was erased

`privacy_erasure` keeps, for each erasure, a one-way hash of the person's issuer and `sub` (so
that a roster sync does not bring back what was erased while the LMS still lists them), who
asked for it and when; `person.erased_at` marks the row that stays, holding nothing about
them, so that what others wrote to them keeps its shape (issue 18).

Revision ID: 0023_privacy_erasures
Revises: 0022_rollover
Create Date: 2026-12-05 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lti_tool.db import UTCDateTime

revision: str = "0023_privacy_erasures"
down_revision: str | None = "0022_rollover"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("person", sa.Column("erased_at", UTCDateTime(), nullable=True))
    op.create_table(
        "privacy_erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sub_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_erasure")),
    )
    op.create_index(op.f("ix_privacy_erasure_sub_hash"), "privacy_erasure", ["sub_hash"])


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_erasure_sub_hash"), table_name="privacy_erasure")
    op.drop_table("privacy_erasure")
    # SQLite (3.35 and later) and PostgreSQL both drop an unindexed column in place: no batch
    # copy of `person`, whose name index is on an expression a copy would not carry over.
    op.drop_column("person", "erased_at")
