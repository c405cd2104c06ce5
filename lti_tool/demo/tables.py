"""The demo LMS's tables (its own SQLite database, never migrated with Rapport's schema):
line items and scores (AGS), access tokens, one-time keys, placed links and their courses,
copies of the course for a new term, open deep-linking requests, and counters."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, ForeignKey, Integer, MetaData, String, Table

metadata = MetaData()
line_items = Table(
    "line_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("context_id", String, nullable=False),
    Column("label", String, nullable=False),
    Column("score_maximum", Float, nullable=False),
    Column("resource_id", String),
    Column("tag", String),
    Column("resource_link_id", String),
    Column("start_date_time", String),
    Column("end_date_time", String),
)
scores = Table(
    "scores",
    metadata,
    Column("line_item", Integer, ForeignKey("line_items.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String, primary_key=True),
    Column("timestamp", String, nullable=False),
    Column("timestamp_us", Integer, nullable=False),
    Column("activity_progress", String, nullable=False),
    Column("grading_progress", String, nullable=False),
    Column("score_given", Float),
    Column("score_maximum", Float),
    Column("comment", String),
)
access_tokens = Table(
    "access_tokens",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column("client_id", String, nullable=False),
    Column("scopes", String, nullable=False),
    Column("expires_at", Float, nullable=False),
)
used_once = Table(  # client-assertion jtis and deep-linking response nonces
    "used_once",
    metadata,
    Column("key", String, primary_key=True),
    Column("expires_at", Float, nullable=False),
)
placed_links = Table(
    "placed_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String, nullable=False),
    Column("text", String),
    Column("url", String),
    Column("custom", JSON, nullable=False),
    Column("placed_by", String),
)
# A course copied for a new term, as an LMS copies one: the demo launches the newest copy,
# whose history names the courses it came from, most recent first (Canvas's
# `$Context.id.history`). Placed links belong to the course they were placed in (links with no
# row here, to the demo's first course).
course_copies = Table(
    "course_copies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("context_id", String, nullable=False, unique=True),
    Column("title", String, nullable=False),
    Column("label", String, nullable=False),
    Column("history", JSON, nullable=False),
)
link_courses = Table(
    "link_courses",
    metadata,
    Column("link", Integer, ForeignKey("placed_links.id", ondelete="CASCADE"), primary_key=True),
    Column("context_id", String, nullable=False),
)
deep_link_requests = Table(
    "deep_link_requests",
    metadata,
    Column("data", String, primary_key=True),
    Column("person_id", String, nullable=False),
    Column("expires_at", Float, nullable=False),
)
counters = Table(
    "counters",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Integer, nullable=False),
)
