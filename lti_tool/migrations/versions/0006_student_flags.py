"""Staff flags on students, for the relationship dashboard

Revision ID: 0006_student_flags
Revises: 0005_checkins
Create Date: 2026-11-29 19:21:49.112435
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lti_tool.db

revision: str = "0006_student_flags"
down_revision: str | None = "0005_checkins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "student_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("flagged_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("flagged_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_student_flag_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flagged_by_id"],
            ["person.id"],
            name=op.f("fk_student_flag_flagged_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["person.id"],
            name=op.f("fk_student_flag_student_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_flag")),
        sa.UniqueConstraint(
            "course_id", "student_id", name=op.f("uq_student_flag_course_id_student_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("student_flag")
