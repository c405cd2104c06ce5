"""What triage orders check-in responses by, kept on each response and tallied per week

Kept on every write (services/checkins/urgency.py) and indexed once per list triage shows (the
course's, a check-in's, a week's). The columns start empty: `rapport db upgrade` fills them in at
the head (lti_tool/migrate.py), with the code that matches the schema there.

Revision ID: 0015_triage_order
Revises: 0014_settings_history
Create Date: 2026-12-04 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_triage_order"
down_revision: str | None = "0014_settings_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTS = {
    "course": "triage_course_id",
    "checkin": "triage_checkin_id",
    "occurrence": "occurrence_id",
}


def upgrade() -> None:
    with op.batch_alter_table("checkin_response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage_course_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("triage_checkin_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("previous_score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("triage_rank", sa.SmallInteger(), nullable=True))
    op.create_table(
        "checkin_triage_tally",
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"], ["checkin_occurrence.id"],
            name=op.f("fk_checkin_triage_tally_occurrence_id_checkin_occurrence"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("occurrence_id", "bucket", name=op.f("pk_checkin_triage_tally")),
    )  # fmt: skip
    with op.batch_alter_table("checkin_response", schema=None) as batch_op:
        for name, column in LISTS.items():
            batch_op.create_index(
                f"ix_checkin_response_triage_{name}",
                [column, "triage_rank", "submitted_at", "id"],
                unique=False,
            )


def downgrade() -> None:
    op.drop_table("checkin_triage_tally")
    with op.batch_alter_table("checkin_response", schema=None) as batch_op:
        for name in LISTS:
            batch_op.drop_index(f"ix_checkin_response_triage_{name}")
        batch_op.drop_column("triage_rank")
        batch_op.drop_column("previous_score")
        batch_op.drop_column("triage_checkin_id")
        batch_op.drop_column("triage_course_id")
