"""Course ends, retention warnings, and the institution's log of deleted courses

A course learns when it ends from the LMS at launch (`lms_ends_at`; a date in its settings
wins); by retention policy (RETENTION_DAYS) its staff are warned (`deletion_warned_at`) of the
day it will be deleted (`deletion_due_at`), and each deletion leaves a row in `course_deletion`
naming the course, never its people (issue 18, "Archive and retention"). Nothing to backfill:
no course knew its end before.

Revision ID: 0024_course_archive
Revises: 0023_privacy_erasures
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lti_tool.db import UTCDateTime

revision: str = "0024_course_archive"
down_revision: str | None = "0023_privacy_erasures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = ("lms_ends_at", "deletion_warned_at", "deletion_due_at")


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: on SQLite a batch copies `course` and drops the old
    # table, and with foreign keys on, dropping it deletes every row that cascades from it.
    for name in COLUMNS:
        op.add_column("course", sa.Column(name, UTCDateTime(), nullable=True))
    op.create_table(
        "course_deletion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=512), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=False),
        sa.Column("warned_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_deletion")),
    )
    op.create_index(
        op.f("ix_course_deletion_deleted_at"), "course_deletion", ["deleted_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_course_deletion_deleted_at"), table_name="course_deletion")
    op.drop_table("course_deletion")
    for name in reversed(COLUMNS):  # SQLite drops a column in place since 3.35
        op.execute(f"ALTER TABLE course DROP COLUMN {name}")
