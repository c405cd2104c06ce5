"""Indexes for what waits for staff: owed conversations and a tutor's current tutees

Every page's unread badge counts the conversations where a student wrote last, and the staff
home counts those of a tutor's tutees (and of students with no tutor): partial indexes of the
owed conversations and of current allocations let both be counted from the indexes alone,
where each count read every conversation and allocation of the course (issue 15).

Revision ID: 0020_waiting_indexes
Revises: 0019_summary_active
Create Date: 2026-12-05 02:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_waiting_indexes"
down_revision: str | None = "0019_summary_active"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    owed = sa.text("last_author_id = student_id")
    op.create_index(
        "ix_feedback_thread_owed",
        "feedback_thread",
        ["course_id", "last_message_at", "student_id", "id"],
        sqlite_where=owed,
        postgresql_where=owed,
    )
    current = sa.text("ended_at IS NULL")
    op.create_index(
        "ix_tutor_allocation_current_tutees",
        "tutor_allocation",
        ["course_id", "tutor_id", "student_id"],
        sqlite_where=current,
        postgresql_where=current,
    )


def downgrade() -> None:
    op.drop_index("ix_tutor_allocation_current_tutees", table_name="tutor_allocation")
    op.drop_index("ix_feedback_thread_owed", table_name="feedback_thread")
