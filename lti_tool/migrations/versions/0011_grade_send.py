"""Scores on their way to the LMS, so an interrupted send is confirmed before it is repeated

Revision ID: 0011_grade_send
Revises: 0010_audit_log
Create Date: 2026-12-04 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision: str = "0011_grade_send"
down_revision: str | None = "0010_audit_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grade_send",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("started_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["grade_delivery.id"],
            name=op.f("fk_grade_send_delivery_id_grade_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_grade_send")),
    )


def downgrade() -> None:
    op.drop_table("grade_send")
