"""Check-ins, their occurrences and responses; a feedback thread per student per check-in

Revision ID: 0005_checkins
Revises: 0004_feedback_tutors
Create Date: 2026-11-29 19:06:27.715537
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lti_tool.db

revision: str = "0005_checkins"
down_revision: str | None = "0004_feedback_tutors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "questions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "schedule",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("graded", sa.Boolean(), nullable=False),
        sa.Column("points", sa.Double(), nullable=True),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_checkin_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_checkin_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_checkin_placement_id_placement"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin")),
    )
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_course_id"), ["course_id"], unique=False)

    op.create_table(
        "checkin_occurrence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("opens_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["checkin.id"],
            name=op.f("fk_checkin_occurrence_checkin_id_checkin"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_occurrence")),
        sa.UniqueConstraint(
            "checkin_id", "number", name=op.f("uq_checkin_occurrence_checkin_id_number")
        ),
    )
    with op.batch_alter_table("checkin_occurrence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_occurrence_opens_at_closes_at", ["opens_at", "closes_at"], unique=False
        )

    op.create_table(
        "checkin_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("wants_talk", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new", "answered", "handled", name="responsestatus", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["person.id"],
            name=op.f("fk_checkin_response_handled_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["checkin_occurrence.id"],
            name=op.f("fk_checkin_response_occurrence_id_checkin_occurrence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["person.id"],
            name=op.f("fk_checkin_response_student_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["feedback_thread.id"],
            name=op.f("fk_checkin_response_thread_id_feedback_thread"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_response")),
        sa.UniqueConstraint(
            "occurrence_id", "student_id", name=op.f("uq_checkin_response_occurrence_id_student_id")
        ),
    )
    with op.batch_alter_table("checkin_response", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_response_student_id_submitted_at",
            ["student_id", "submitted_at"],
            unique=False,
        )

    with op.batch_alter_table("feedback_thread", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_feedback_thread_checkin_id_student_id"), ["checkin_id", "student_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_feedback_thread_checkin_id_checkin"),
            "checkin",
            ["checkin_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_thread", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_feedback_thread_checkin_id_checkin"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_feedback_thread_checkin_id_student_id"), type_="unique"
        )
        batch_op.drop_column("checkin_id")

    with op.batch_alter_table("checkin_response", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_response_student_id_submitted_at")

    op.drop_table("checkin_response")
    with op.batch_alter_table("checkin_occurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_occurrence_opens_at_closes_at")

    op.drop_table("checkin_occurrence")
    with op.batch_alter_table("checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_course_id"))

    op.drop_table("checkin")
