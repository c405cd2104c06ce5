"""A course's settings history is read from its activity log: setting_change goes

Every save has written an activity-log entry beside its setting_change rows since 0010; saves
from before the log existed are copied into it (one entry per save: course, person, moment),
then the table is dropped. Downgrading makes the table again from the log.

Revision ID: 0014_settings_history
Revises: 0013_student_summary
Create Date: 2026-12-04 20:20:00.000000
"""

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lti_tool.db

revision: str = "0014_settings_history"
down_revision: str | None = "0013_student_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTION = "settings.changed"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
WHEN = lti_tool.db.UTCDateTime(timezone=True)

setting_change = sa.table(
    "setting_change",
    sa.column("id", sa.Integer()),
    sa.column("course_id", sa.Integer()),
    sa.column("person_id", sa.Integer()),
    sa.column("key", sa.String()),
    sa.column("old_value", JSON),
    sa.column("new_value", JSON),
    sa.column("changed_at", WHEN),
)
audit_entry = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer()),
    sa.column("course_id", sa.Integer()),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("subject_person_id", sa.Integer()),
    sa.column("details", JSON),
    sa.column("created_at", WHEN),
)


def upgrade() -> None:
    connection = op.get_bind()
    logged = {
        (row.course_id, row.actor_id, row.created_at)
        for row in connection.execute(
            sa.select(
                audit_entry.c.course_id, audit_entry.c.actor_id, audit_entry.c.created_at
            ).where(audit_entry.c.action == ACTION)
        )
    }
    rows = connection.execute(
        sa.select(setting_change).order_by(
            setting_change.c.course_id, setting_change.c.changed_at, setting_change.c.id
        )
    ).all()
    saves = groupby(rows, key=lambda r: (r.course_id, r.person_id, r.changed_at))
    missing: list[dict[str, Any]] = [
        {
            "course_id": course_id,
            "actor_id": person_id,
            "action": ACTION,
            "subject": None,
            "subject_person_id": None,
            "details": {
                "changes": [{"key": c.key, "old": c.old_value, "new": c.new_value} for c in save]
            },
            "created_at": at,
        }
        for (course_id, person_id, at), save in saves
        if (course_id, person_id, at) not in logged
    ]
    if missing:
        connection.execute(sa.insert(audit_entry), missing)
    with op.batch_alter_table("setting_change", schema=None) as batch_op:
        batch_op.drop_index("ix_setting_change_course_id_changed_at")
    op.drop_table("setting_change")


def downgrade() -> None:
    op.create_table(
        "setting_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("old_value", JSON, nullable=True),
        sa.Column("new_value", JSON, nullable=True),
        sa.Column("changed_at", WHEN, nullable=False),
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
    connection = op.get_bind()
    entries = connection.execute(
        sa.select(audit_entry).where(audit_entry.c.action == ACTION).order_by(audit_entry.c.id)
    ).all()
    rows = [
        {
            "course_id": entry.course_id,
            "person_id": entry.actor_id,
            "key": str(change.get("key")),
            "old_value": change.get("old"),
            "new_value": change.get("new"),
            "changed_at": entry.created_at,
        }
        for entry in entries
        for change in (entry.details or {}).get("changes") or []
        if isinstance(change, dict)
    ]
    if rows:
        connection.execute(sa.insert(setting_change), rows)
