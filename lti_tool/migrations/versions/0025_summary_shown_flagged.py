"""The dashboard's covering index of students also holds whether each is flagged

`ix_student_summary_shown` lets the dashboard count, filter and order a course's students
from the index alone (issue 15); the "flagged" filter read the summary's wide rows for all of
them. Nothing to backfill: the index is rebuilt from the rows.

Revision ID: 0025_summary_shown_flagged
Revises: 0024_course_archive
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_summary_shown_flagged"
down_revision: str | None = "0024_course_archive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHOWN = ["course_id", "active", "tutor_id", "contact_at", "waiting_since", "name_key"]


def upgrade() -> None:
    op.drop_index("ix_student_summary_shown", table_name="student_summary")
    op.create_index(
        "ix_student_summary_shown", "student_summary", [*SHOWN, "student_id", "flagged"]
    )


def downgrade() -> None:
    op.drop_index("ix_student_summary_shown", table_name="student_summary")
    op.create_index("ix_student_summary_shown", "student_summary", [*SHOWN, "student_id"])
