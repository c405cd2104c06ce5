"""Email notifications: preferences, the outbox, announced check-ins, the course's LMS address

Revision ID: 0018_notifications
Revises: 0017_page_indexes
Create Date: 2026-12-04 22:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lti_tool.db import UTCDateTime

revision: str = "0018_notifications"
down_revision: str | None = "0017_page_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _foreign_key(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.add_column("course", sa.Column("lms_url", sa.Text(), nullable=True))
    op.create_table(
        "notification_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.Enum("immediate", "daily", "off", name="notificationmode",
                                  native_enum=False, length=16), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _foreign_key("notification_preference", "course_id", "course", "CASCADE"),
        _foreign_key("notification_preference", "person_id", "person", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint("course_id", "person_id",
                            name=op.f("uq_notification_preference_course_id_person_id")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_notification_preference_person_id"), "notification_preference", ["person_id"]
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.Enum("waiting", "sending", "sent", "failed", "skipped",
                                    name="notificationstatus", native_enum=False, length=16),
                  nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        _foreign_key("notification", "course_id", "course", "CASCADE"),
        _foreign_key("notification", "recipient_id", "person", "CASCADE"),
        _foreign_key("notification", "actor_id", "person", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_key")),
    )  # fmt: skip
    op.create_index("ix_notification_due", "notification", ["status", "due_at"])
    op.create_index(
        "ix_notification_recipient", "notification", ["recipient_id", "course_id", "status"]
    )
    op.create_table(
        "checkin_announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("announced_at", UTCDateTime(), nullable=False),
        _foreign_key("checkin_announcement", "occurrence_id", "checkin_occurrence", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_announcement")),
        sa.UniqueConstraint("occurrence_id",
                            name=op.f("uq_checkin_announcement_occurrence_id")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("checkin_announcement")
    op.drop_index("ix_notification_recipient", table_name="notification")
    op.drop_index("ix_notification_due", table_name="notification")
    op.drop_table("notification")
    op.drop_index(
        op.f("ix_notification_preference_person_id"), table_name="notification_preference"
    )
    op.drop_table("notification_preference")
    # Not batch mode: SQLite would copy `course` and drop it, cascading to every course's rows.
    op.execute("ALTER TABLE course DROP COLUMN lms_url")
