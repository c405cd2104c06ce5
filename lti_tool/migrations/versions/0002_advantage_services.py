"""LTI Advantage services: roster sync, grade delivery queue, placements

Revision ID: 0002_advantage_services
Revises: 0001_foundation
Create Date: 2026-11-29 15:33:09.148442
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lti_tool.db

revision: str = "0002_advantage_services"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "gradable_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("score_maximum", sa.Double(), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("tag", sa.String(length=255), nullable=True),
        sa.Column("lineitem_url", sa.Text(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_gradable_activity_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gradable_activity")),
        sa.UniqueConstraint("course_id", "key", name=op.f("uq_gradable_activity_course_id_key")),
    )
    op.create_table(
        "placement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("graded", sa.Boolean(), nullable=False),
        sa.Column("score_maximum", sa.Double(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_placement_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_placement_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement")),
        sa.UniqueConstraint("token", name=op.f("uq_placement_token")),
    )
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_course_id"), ["course_id"], unique=False)

    op.create_table(
        "grade_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("score_given", sa.Double(), nullable=True),
        sa.Column("score_maximum", sa.Double(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("activity_progress", sa.String(length=32), nullable=False),
        sa.Column("grading_progress", sa.String(length=32), nullable=False),
        sa.Column("scored_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "sent",
                "failed",
                "superseded",
                name="deliverystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["gradable_activity.id"],
            name=op.f("fk_grade_delivery_activity_id_gradable_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_grade_delivery_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_delivery")),
    )
    with op.batch_alter_table("grade_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_grade_delivery_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_grade_delivery_pair", ["activity_id", "person_id", "id"], unique=False
        )

    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("roster_synced_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "roster_sync_started_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("roster_sync_error", sa.Text(), nullable=True))

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roster_status", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("roster_seen_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("resource_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("placement_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_resource_link_placement_id_placement"),
            "placement",
            ["placement_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:

    with op.batch_alter_table("resource_link", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_resource_link_placement_id_placement"), type_="foreignkey"
        )
        batch_op.drop_column("placement_id")

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("roster_seen_at")
        batch_op.drop_column("roster_status")

    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_column("roster_sync_error")
        batch_op.drop_column("roster_sync_started_at")
        batch_op.drop_column("roster_synced_at")

    with op.batch_alter_table("grade_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_grade_delivery_pair")
        batch_op.drop_index("ix_grade_delivery_due")

    op.drop_table("grade_delivery")
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placement_course_id"))

    op.drop_table("placement")
    op.drop_table("gradable_activity")
