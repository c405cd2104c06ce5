"""Newsfeed (staff profiles, posts, replies, reactions, views) and per-course settings

Revision ID: 0003_newsfeed_settings
Revises: 0002_advantage_services
Create Date: 2026-11-29 18:04:13.685277
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lti_tool.db

revision: str = "0003_newsfeed_settings"
down_revision: str | None = "0002_advantage_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "course_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_course_setting_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_setting")),
        sa.UniqueConstraint("course_id", "key", name=op.f("uq_course_setting_course_id_key")),
    )
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "introduction",
                "news",
                "student_introduction",
                name="postkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("publish_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["person.id"], name=op.f("fk_post_author_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_post_course_id_course"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"],
            ["person.id"],
            name=op.f("fk_post_deleted_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            "ix_post_feed", ["course_id", "kind", "pinned", "publish_at"], unique=False
        )
        batch_op.create_index(
            "uq_post_one_introduction",
            ["course_id", "author_id"],
            unique=True,
            sqlite_where=sa.text("kind != 'news'"),
            postgresql_where=sa.text("kind != 'news'"),
        )

    op.create_table(
        "setting_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column(
            "old_value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "new_value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("changed_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_setting_change_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_setting_change_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setting_change")),
    )
    with op.batch_alter_table("setting_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_setting_change_course_id_changed_at", ["course_id", "changed_at"], unique=False
        )

    op.create_table(
        "staff_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("pronouns", sa.String(length=40), nullable=True),
        sa.Column("role_title", sa.String(length=80), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("updated_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_staff_profile_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_staff_profile_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_profile")),
        sa.UniqueConstraint(
            "course_id", "person_id", name=op.f("uq_staff_profile_course_id_person_id")
        ),
    )
    with op.batch_alter_table("staff_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_profile_person_id"), ["person_id"], unique=False)

    op.create_table(
        "post_reaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reaction", sa.String(length=16), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_post_reaction_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_reaction_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_reaction")),
        sa.UniqueConstraint(
            "post_id",
            "person_id",
            "reaction",
            name=op.f("uq_post_reaction_post_id_person_id_reaction"),
        ),
    )
    with op.batch_alter_table("post_reaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_reaction_person_id"), ["person_id"], unique=False)

    op.create_table(
        "post_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hidden_at", lti_tool.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
            name=op.f("fk_post_reply_author_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"],
            ["person.id"],
            name=op.f("fk_post_reply_hidden_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_reply_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_reply")),
    )
    with op.batch_alter_table("post_reply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_reply_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            "ix_post_reply_post_id_created_at", ["post_id", "created_at"], unique=False
        )

    op.create_table(
        "post_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", lti_tool.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_post_view_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_view_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_view")),
        sa.UniqueConstraint("post_id", "person_id", name=op.f("uq_post_view_post_id_person_id")),
    )
    with op.batch_alter_table("post_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_view_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_view_person_id"))

    op.drop_table("post_view")
    with op.batch_alter_table("post_reply", schema=None) as batch_op:
        batch_op.drop_index("ix_post_reply_post_id_created_at")
        batch_op.drop_index(batch_op.f("ix_post_reply_author_id"))

    op.drop_table("post_reply")
    with op.batch_alter_table("post_reaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_reaction_person_id"))

    op.drop_table("post_reaction")
    with op.batch_alter_table("staff_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_profile_person_id"))

    op.drop_table("staff_profile")
    with op.batch_alter_table("setting_change", schema=None) as batch_op:
        batch_op.drop_index("ix_setting_change_course_id_changed_at")

    op.drop_table("setting_change")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_post_one_introduction",
            sqlite_where=sa.text("kind != 'news'"),
            postgresql_where=sa.text("kind != 'news'"),
        )
        batch_op.drop_index("ix_post_feed")
        batch_op.drop_index(batch_op.f("ix_post_author_id"))

    op.drop_table("post")
    op.drop_table("course_setting")
