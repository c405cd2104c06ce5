"""Whom to contact next, on the dashboard: for each reason to write to a student (they asked
to talk, they wait long for a reply, their check-ins are falling, nobody has reached them
lately), the first few students it applies to, each once, with why; chosen in SQL along the
summary's indexes, in one statement built once per kind of viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

from lti_tool.i18n import _, ngettext
from lti_tool.models import StudentSummary
from lti_tool.services.dashboard import rows as listing
from lti_tool.services.dashboard.rows import StudentRow
from lti_tool.services.entry import COURSE, PERSON, visit
from lti_tool.services.feedback.viewers import Viewer, viewer_of_kind

LONG_WAIT = timedelta(hours=48)
NEXT_LENGTH = 10
RANKS = NEXT_LENGTH + 1  # a candidate's place under its reason is 1 to NEXT_LENGTH
S = StudentSummary


@dataclass(frozen=True)
class NextContact:
    row: StudentRow
    reason: str


# Whom to write to next, for each reason to: which students, in which order, in which words.
# The longest without contact, the never contacted first, are two walks in the same words,
# each along an index of its own order.
def _walks(waited_before: Any) -> list[tuple[list[Any], list[Any]]]:
    return [
        ([S.talk_requests > 0], [S.name_key, S.student_id]),
        ([S.waiting_since <= waited_before], [S.waiting_since, S.name_key, S.student_id]),
        # (a falling trend has a latest score: never NULL here)
        ([S.trend == "falling"], [S.latest_score, S.name_key, S.student_id]),
        ([S.contact_at.is_(None)], [S.name_key, S.student_id]),
        ([S.contact_at.is_not(None)], [S.contact_at, S.name_key, S.student_id]),
    ]


def _reasons(now: datetime) -> list[Callable[[StudentRow], str]]:
    return [
        lambda r: _("Asked to talk in a check-in"),
        lambda r: _waiting((now - (r.waiting_since or now)).days),
        lambda r: _("Check-in answers falling"),
        _untouched,
        _untouched,
    ]


def _waiting(days: int) -> str:
    return ngettext("Waiting %(num)d day for a reply", "Waiting %(num)d days for a reply", days)


def _untouched(row: StudentRow) -> str:
    if row.contact is None:
        return _("Never had personal contact")
    days = row.days_since or 0
    return ngettext(
        "No personal contact for %(num)d day", "No personal contact for %(num)d days", days
    )


@cache
def _picked(reads_every_thread: bool, staff: bool) -> Select[Any]:
    """The candidates of every reason, as the rows show them: one statement per kind of
    viewer (whose conversations they read), built once with the course, the viewer (the
    entry's COURSE and PERSON) and the time as parameters: building the five walks cost more
    than running them."""
    viewer = viewer_of_kind(staff, reads_every_thread)  # PERSON stands for its id
    chosen = []
    for n, (where, order) in enumerate(_walks(bindparam("next_waited_before"))):
        first = (
            listing.students(
                COURSE,
                S.student_id.label("student_id"),
                *(key.label(f"k{i}") for i, key in enumerate(order)),
            )
            .where(~listing.private(viewer, PERSON), *where)
            .order_by(*order)
            .limit(NEXT_LENGTH)
            .subquery()
        )
        keys = [first.c[f"k{i}"] for i in range(len(order))]
        chosen.append(
            select(
                first.c.student_id,
                literal(n).label("reason"),
                func.row_number().over(order_by=keys).label("place"),
            )
        )
    picked = union_all(*chosen).subquery()
    # Each student once, at their first reason and place; the first NEXT_LENGTH of them.
    rank = func.min(picked.c.reason * RANKS + picked.c.place)
    first_of_each = (
        select(picked.c.student_id, rank.label("rank"))
        .group_by(picked.c.student_id)
        .order_by(rank, picked.c.student_id)
        .limit(NEXT_LENGTH)
        .subquery()
    )
    return (
        listing.page_query(COURSE, viewer, PERSON)
        .add_columns((first_of_each.c.rank // RANKS).label("reason"))
        .join(first_of_each, first_of_each.c.student_id == S.student_id)
        .order_by(first_of_each.c.rank, first_of_each.c.student_id)
    )


def next_candidates(session: Session, course_id: int, viewer: Viewer, now: datetime) -> list[Any]:
    """Whom to write to next, among those whose conversations the viewer reads: for each
    reason in turn (requests to talk, long waits, falling check-ins, the longest without
    contact), the first NEXT_LENGTH students it applies to, each student once, at most
    NEXT_LENGTH in all, with their first reason: one query. Each reason takes its first few
    by ORDER BY … LIMIT (an index walk or a top-N, not every student numbered) and numbers
    only those, by the same keys; only the students listed are read whole."""
    return list(
        session.execute(
            _picked(viewer.reads_every_thread, viewer.grant.is_staff),
            {**visit(viewer.grant), "next_waited_before": now - LONG_WAIT},
        )
    )


def contact_next(candidates: list[Any], found: listing.Found, now: datetime) -> list[NextContact]:
    """`next_candidates` as the page lists them, each with why."""
    reasons = _reasons(now)
    rows = found.rows(candidates, now)
    return [
        NextContact(row, reasons[c.reason](row)) for c, row in zip(candidates, rows, strict=True)
    ]
