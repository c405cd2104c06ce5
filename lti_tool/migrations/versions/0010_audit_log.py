"""The course's activity log: staff actions that change what students see or how they are graded

Revision ID: 0010_audit_log
Revises: 0009_pending_registrations
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lti_tool.db

revision: str = "0010_audit_log"
down_revision: str | None = "0009_pending_registrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("subject_person_id", sa.Integer(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["person.id"],
            name=op.f("fk_audit_entry_actor_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_audit_entry_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_person_id"],
            ["person.id"],
            name=op.f("fk_audit_entry_subject_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            "ix_audit_entry_course_id_created_at", ["course_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entry_subject_person_id"), ["subject_person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_subject_person_id"))
        batch_op.drop_index("ix_audit_entry_course_id_created_at")
        batch_op.drop_index(batch_op.f("ix_audit_entry_actor_id"))
    op.drop_table("audit_entry")
