"""Each student's dashboard summary and the staff answers it times replies by

Kept on every write (services/dashboard/tracking.py). The tables start empty: `rapport db
upgrade` fills them in at the head (lti_tool/migrate.py), with the code that matches the schema
there, for every course that has a student without a summary.

Revision ID: 0013_student_summary
Revises: 0012_nudges_as_bulk_starts
Create Date: 2026-12-04 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lti_tool.db import JSONType, UTCDateTime

revision: str = "0013_student_summary"
down_revision: str | None = "0012_nudges_as_bulk_starts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Sorted by byte on PostgreSQL, as the casefolded names are compared in Python.
NAME_KEY = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "student_summary",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("name_key", NAME_KEY, server_default="", nullable=False),
        sa.Column("tutor_id", sa.Integer(), nullable=True),
        sa.Column("contact_at", UTCDateTime(), nullable=True),
        sa.Column("contact_by_id", sa.Integer(), nullable=True),
        sa.Column("contact_kind", sa.String(length=40), nullable=True),
        sa.Column("contact_about", sa.String(length=200), nullable=True),
        sa.Column("waiting_since", UTCDateTime(), nullable=True),
        sa.Column("talk_requests", sa.Integer(), server_default="0", nullable=False),
        sa.Column("scores", JSONType, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("trend", sa.String(length=16), server_default="", nullable=False),
        sa.Column("latest_score", sa.Integer(), nullable=True),
        sa.Column("latest_text", sa.Text(), server_default="", nullable=False),
        sa.Column("sparkline", sa.Text(), server_default="", nullable=False),
        sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_student_summary_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["person.id"], name=op.f("fk_student_summary_student_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", "student_id", name=op.f("pk_student_summary")),
    )  # fmt: skip
    for column in ("name_key", "contact_at", "waiting_since", "tutor_id"):
        op.create_index(
            f"ix_student_summary_course_id_{column}", "student_summary", ["course_id", column]
        )
    op.create_index(op.f("ix_student_summary_student_id"), "student_summary", ["student_id"])
    op.create_table(
        "staff_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("waited_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_staff_answer_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["person.id"], name=op.f("fk_staff_answer_student_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_answer")),
    )  # fmt: skip
    for column in ("answered_at", "student_id"):
        op.create_index(
            f"ix_staff_answer_course_id_{column}", "staff_answer", ["course_id", column]
        )


def downgrade() -> None:
    op.drop_table("staff_answer")
    op.drop_table("student_summary")
