"""What waits for staff, kept in each student's summary: replies owed and requests to talk

A staff member's home counted the conversations where a student wrote last, and the check-in
answers asking to talk, of their tutees and of students with no tutor: at 5,000 students a
tutor's few thousand owed conversations were read for each home. The summary now keeps, per
student, how many conversations owe them a reply and since when (`owed`, `owed_since`), and
since when their oldest request to talk waits (`asked_since`; `talk_requests` already counts
them); a partial index holds the students with something waiting, by tutor. And the
dashboard's header counts and default order read the course's students from an index that
holds what they need, not from the wide rows (issue 15).

Revision ID: 0021_summary_waiting
Revises: 0020_waiting_indexes
Create Date: 2026-12-05 03:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lti_tool.db import UTCDateTime

revision: str = "0021_summary_waiting"
down_revision: str | None = "0020_waiting_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWED = (
    "FROM feedback_thread WHERE feedback_thread.course_id = student_summary.course_id"
    " AND feedback_thread.student_id = student_summary.student_id"
    " AND feedback_thread.last_author_id = feedback_thread.student_id"
)
# As services/dashboard/summary.py counts `talk_requests`: named check-ins' answers that ask
# to talk and that nobody has dealt with.
_ASKED = (
    "FROM checkin_response"
    " JOIN checkin_occurrence ON checkin_occurrence.id = checkin_response.occurrence_id"
    " JOIN checkin ON checkin.id = checkin_occurrence.checkin_id"
    " WHERE checkin.course_id = student_summary.course_id AND checkin.anonymous = false"
    " AND checkin_response.student_id = student_summary.student_id"
    " AND checkin_response.wants_talk = true AND checkin_response.status = 'new'"
)
_BACKFILL = " ".join(
    (
        "UPDATE student_summary SET",
        "owed = (SELECT count(*)", _OWED, "),",
        "owed_since = (SELECT min(feedback_thread.last_message_at)", _OWED, "),",
        "asked_since = (SELECT min(checkin_response.updated_at)", _ASKED, ")",
    )
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("student_summary") as batch:
        batch.add_column(sa.Column("asked_since", UTCDateTime()))
        batch.add_column(sa.Column("owed", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("owed_since", UTCDateTime()))
    op.execute(_BACKFILL)
    waiting = sa.text("owed > 0 OR talk_requests > 0")
    op.create_index(
        "ix_student_summary_waiting",
        "student_summary",
        [
            "course_id",
            "tutor_id",
            "owed",
            "talk_requests",
            "owed_since",
            "asked_since",
            "student_id",
        ],
        postgresql_where=waiting,
        sqlite_where=waiting,
    )

    op.create_index(
        "ix_student_summary_shown",
        "student_summary",
        [
            "course_id",
            "active",
            "tutor_id",
            "contact_at",
            "waiting_since",
            "name_key",
            "student_id",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_student_summary_shown", table_name="student_summary")
    op.drop_index("ix_student_summary_waiting", table_name="student_summary")
    with op.batch_alter_table("student_summary") as batch:
        batch.drop_column("owed_since")
        batch.drop_column("owed")
        batch.drop_column("asked_since")
