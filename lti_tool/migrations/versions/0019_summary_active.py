"""Whether each summarised student's membership is active; an index of falling students

The dashboard's statements joined the course's memberships to tell which summarised students
are active, a scan of the memberships in each of them: the summary now keeps it (`active`,
filled here from the memberships, then kept by every refresh). And the "contact next" list of
students whose check-in answers fall, lowest latest score first, is walked along a partial
index of those students instead of every falling student being read and sorted (issue 15).

Revision ID: 0019_summary_active
Revises: 0018_notifications
Create Date: 2026-12-05 02:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_summary_active"
down_revision: str | None = "0018_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("student_summary") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.execute(
        "UPDATE student_summary SET active = EXISTS (SELECT 1 FROM membership"
        " WHERE membership.course_id = student_summary.course_id"
        " AND membership.person_id = student_summary.student_id AND membership.active)"
    )
    falling = sa.text("trend = 'falling'")
    op.create_index(
        "ix_student_summary_falling",
        "student_summary",
        ["course_id", "latest_score", "name_key", "student_id"],
        postgresql_where=falling,
        sqlite_where=falling,
    )


def downgrade() -> None:
    op.drop_index("ix_student_summary_falling", table_name="student_summary")
    with op.batch_alter_table("student_summary") as batch:
        batch.drop_column("active")
