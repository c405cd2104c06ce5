"""An index of staff answers by their wait, for the dashboard's median time to reply

An index of each course's staff answers by how long they waited (with when they were given,
so that the last 30 days are told from the index alone): the median is read by OFFSET along
it instead of every answer of the window being sorted on each page view (issue 15).

Revision ID: 0016_dashboard_indexes
Revises: 0015_triage_order
Create Date: 2026-12-04 22:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_dashboard_indexes"
down_revision: str | None = "0015_triage_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_staff_answer_course_id_waited_seconds"),
        "staff_answer",
        ["course_id", "waited_seconds", "answered_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_answer_course_id_waited_seconds"), table_name="staff_answer")
