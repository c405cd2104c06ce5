"""Indexes for the staff pages of a large course: names in list order, answers by occurrence

Lists of students (tutors, the bulk start's picker, who has not seen a post) are ordered by a
person's name as `roster.people.sort_name` writes it; an index on that very expression lets
PostgreSQL read the first page of names in order and stop, instead of sorting the course.
A check-in's overview counts answers per occurrence and score from an index alone, and "who
has seen it" reads a post's views in the order they happened.

Revision ID: 0017_page_indexes
Revises: 0016_dashboard_indexes
Create Date: 2026-12-04 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_page_indexes"
down_revision: str | None = "0016_dashboard_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_NAME = sa.text("lower(coalesce(name, family_name, given_name, email, '~'))")


def upgrade() -> None:
    op.create_index("ix_person_sort_name", "person", [SORT_NAME, "id"])
    op.create_index(
        "ix_checkin_response_occurrence_id_score",
        "checkin_response",
        ["occurrence_id", "score", "wants_talk"],
    )
    op.create_index("ix_post_view_post_id_seen_at", "post_view", ["post_id", "seen_at"])


def downgrade() -> None:
    op.drop_index("ix_post_view_post_id_seen_at", table_name="post_view")
    op.drop_index("ix_checkin_response_occurrence_id_score", table_name="checkin_response")
    op.drop_index("ix_person_sort_name", table_name="person")
