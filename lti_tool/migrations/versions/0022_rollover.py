"""Term after term: what a copied course came from, and what was brought over from it

A course keeps the context ids its platform says it was copied from (`context_history`), the
course whose set-up its staff brought over (`brought_over_from_id`) and when they did so or
chose to start afresh (`rollover_closed_at`). A check-in and a placement brought over name the
ones they copy (`copied_from_id`), so that a link the LMS copied into the new course opens the
new course's check-in (issue 18).

Revision ID: 0022_rollover
Revises: 0021_summary_waiting
Create Date: 2026-12-05 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lti_tool.db import JSONType, UTCDateTime

revision: str = "0022_rollover"
down_revision: str | None = "0021_summary_waiting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("course") as batch:
        batch.add_column(
            sa.Column("context_history", JSONType, nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("brought_over_from_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rollover_closed_at", UTCDateTime(), nullable=True))
        batch.create_foreign_key(
            "fk_course_brought_over_from_id_course",
            "course",
            ["brought_over_from_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("checkin") as batch:
        batch.add_column(sa.Column("copied_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_checkin_copied_from_id_checkin",
            "checkin",
            ["copied_from_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_checkin_copied_from_id", ["copied_from_id"])
    with op.batch_alter_table("placement") as batch:
        batch.add_column(sa.Column("copied_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_placement_copied_from_id_placement",
            "placement",
            ["copied_from_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_unique_constraint(
            "uq_placement_course_id_copied_from_id", ["course_id", "copied_from_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("placement") as batch:
        batch.drop_constraint("uq_placement_course_id_copied_from_id", type_="unique")
        batch.drop_constraint("fk_placement_copied_from_id_placement", type_="foreignkey")
        batch.drop_column("copied_from_id")
    with op.batch_alter_table("checkin") as batch:
        batch.drop_index("ix_checkin_copied_from_id")
        batch.drop_constraint("fk_checkin_copied_from_id_checkin", type_="foreignkey")
        batch.drop_column("copied_from_id")
    with op.batch_alter_table("course") as batch:
        batch.drop_constraint("fk_course_brought_over_from_id_course", type_="foreignkey")
        batch.drop_column("rollover_closed_at")
        batch.drop_column("brought_over_from_id")
        batch.drop_column("context_history")
