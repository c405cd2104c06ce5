"""Feedback threads, messages, read state, snippets, bulk starts, tutors; membership sections

Revision ID: 0004_feedback_tutors
Revises: 0003_newsfeed_settings
Create Date: 2026-11-29 18:29:09.981481
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lti_tool.db

revision: str = "0004_feedback_tutors"
down_revision: str | None = "0003_newsfeed_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_snippet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_feedback_snippet_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_feedback_snippet_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_snippet")),
    )
    with op.batch_alter_table("feedback_snippet", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_snippet_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "tutor_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("tutor_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["person.id"],
            name=op.f("fk_tutor_allocation_assigned_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_tutor_allocation_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["person.id"],
            name=op.f("fk_tutor_allocation_student_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["person.id"],
            name=op.f("fk_tutor_allocation_tutor_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tutor_allocation")),
    )
    with op.batch_alter_table("tutor_allocation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tutor_allocation_course_id_tutor_id", ["course_id", "tutor_id"], unique=False
        )
        batch_op.create_index(
            "uq_tutor_allocation_current",
            ["course_id", "student_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "bulk_start",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column(
            "student_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_bulk_start_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_bulk_start_placement_id_placement"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["person.id"],
            name=op.f("fk_bulk_start_started_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_start")),
    )
    with op.batch_alter_table("bulk_start", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulk_start_course_id"), ["course_id"], unique=False)

    op.create_table(
        "feedback_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("bulk_start_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bulk_start_id"],
            ["bulk_start.id"],
            name=op.f("fk_feedback_thread_bulk_start_id_bulk_start"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_feedback_thread_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["last_author_id"],
            ["person.id"],
            name=op.f("fk_feedback_thread_last_author_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_feedback_thread_placement_id_placement"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["person.id"],
            name=op.f("fk_feedback_thread_started_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["person.id"],
            name=op.f("fk_feedback_thread_student_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_thread")),
        sa.UniqueConstraint(
            "placement_id", "student_id", name=op.f("uq_feedback_thread_placement_id_student_id")
        ),
    )
    with op.batch_alter_table("feedback_thread", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_thread_bulk_start_id"), ["bulk_start_id"], unique=False
        )
        batch_op.create_index(
            "ix_feedback_thread_course_id_last_message_at",
            ["course_id", "last_message_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_feedback_thread_course_id_student_id", ["course_id", "student_id"], unique=False
        )

    op.create_table(
        "feedback_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("automated", sa.Boolean(), nullable=False),
        sa.Column("score_given", sa.Double(), nullable=True),
        sa.Column("score_maximum", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
            name=op.f("fk_feedback_message_author_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["feedback_thread.id"],
            name=op.f("fk_feedback_message_thread_id_feedback_thread"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_message")),
    )
    with op.batch_alter_table("feedback_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_message_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            "ix_feedback_message_thread_id_created_at", ["thread_id", "created_at"], unique=False
        )

    op.create_table(
        "feedback_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("read_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_feedback_read_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["feedback_thread.id"],
            name=op.f("fk_feedback_read_thread_id_feedback_thread"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_read")),
        sa.UniqueConstraint(
            "thread_id", "person_id", name=op.f("uq_feedback_read_thread_id_person_id")
        ),
    )
    with op.batch_alter_table("feedback_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_read_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("section", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("section")

    with op.batch_alter_table("feedback_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_read_person_id"))

    op.drop_table("feedback_read")
    with op.batch_alter_table("feedback_message", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_message_thread_id_created_at")
        batch_op.drop_index(batch_op.f("ix_feedback_message_author_id"))

    op.drop_table("feedback_message")
    with op.batch_alter_table("feedback_thread", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_thread_course_id_student_id")
        batch_op.drop_index("ix_feedback_thread_course_id_last_message_at")
        batch_op.drop_index(batch_op.f("ix_feedback_thread_bulk_start_id"))

    op.drop_table("feedback_thread")
    with op.batch_alter_table("bulk_start", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_start_course_id"))

    op.drop_table("bulk_start")
    with op.batch_alter_table("tutor_allocation", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_tutor_allocation_current",
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index("ix_tutor_allocation_course_id_tutor_id")

    op.drop_table("tutor_allocation")
    with op.batch_alter_table("feedback_snippet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_snippet_course_id"))

    op.drop_table("feedback_snippet")
