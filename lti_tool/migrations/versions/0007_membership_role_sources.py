"""Where a member's role came from: the last signed launch and the NRPS roster, kept apart

Revision ID: 0007_membership_role_sources
Revises: 0006_student_flags
Create Date: 2026-12-04 14:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_membership_role_sources"
down_revision: str | None = "0006_student_flags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = sa.Enum("staff", "student", "guest", name="courserole", native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table("membership") as batch:
        batch.add_column(sa.Column("launch_role", ROLE, nullable=True))
        batch.add_column(sa.Column("roster_role", ROLE, nullable=True))
    # What is known today: a member who launched has their launch's role; one the roster
    # listed and who never launched, the roster's.
    op.execute("UPDATE membership SET launch_role = role WHERE last_launch_at IS NOT NULL")
    op.execute(
        "UPDATE membership SET roster_role = role "
        "WHERE roster_seen_at IS NOT NULL AND last_launch_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("roster_role")
        batch.drop_column("launch_role")
