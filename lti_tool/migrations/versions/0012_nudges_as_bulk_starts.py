"""Nudges are written like bulk starts, by a job, into each student's check-in conversation

Revision ID: 0012_nudges_as_bulk_starts
Revises: 0011_grade_send
Create Date: 2026-12-04 18:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_nudges_as_bulk_starts"
down_revision: str | None = "0011_grade_send"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_start") as batch:
        batch.add_column(sa.Column("checkin_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_bulk_start_checkin_id_checkin"),
            "checkin",
            ["checkin_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("bulk_start") as batch:
        batch.drop_constraint(op.f("fk_bulk_start_checkin_id_checkin"), type_="foreignkey")
        batch.drop_column("checkin_id")
