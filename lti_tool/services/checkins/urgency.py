"""What triage orders check-in responses by, stored on each response when it is written.

Triage puts first whom to talk to first: answers nobody has dealt with before handled ones;
among them requests to talk, then low scores (1 or 2), then drops of 2 or more against the
student's own previous answer to the same check-in, then the rest; within each, the lowest score
and the biggest drop first (issues 15 and 16). Working that out per request meant a window over
every answer of the course; instead each response keeps its previous score and one number,
`triage_rank`, and an index per list (course, check-in, week) hands triage its page in order.

The rank of a response depends on its own answer and status and on the student's answer before
it, so a write refreshes the student's answers to that check-in (the one written and those after
it): one UPDATE, the same statement that fills a whole course in (migration 0015, bulk seeds).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from lti_tool.models import CheckIn, CheckInResponse, Occurrence, ResponseStatus

CATEGORIES = ("talk", "low", "drop", "rest")
LOW_SCORE = 2
BIG_DROP = 2
NO_SCORE = 6  # a response without a score sorts after every score of the 1..5 scale
DEALT, CATEGORY, SCORE = 1000, 100, 10
MOST_DROP = 4  # 5 to 1: the rank's last digit, 5 - drop, stays within 1..9


def category_of(rank: int) -> str:
    return CATEGORIES[rank % DEALT // CATEGORY]


def waiting(rank: int) -> bool:
    """Nobody on the course team has dealt with it yet."""
    return rank < DEALT


def drop(score: int | None, previous: int | None) -> int:
    return 0 if score is None or previous is None else previous - score


def _rank(score: Any, previous: Any, wants_talk: Any, status: Any) -> ColumnElement[int]:
    dropped = case((score.is_(None) | previous.is_(None), 0), else_=previous - score)
    category = case(
        (wants_talk.is_(True), 0),
        (score <= LOW_SCORE, 1),
        (dropped >= BIG_DROP, 2),
        else_=3,
    )
    return (
        case((status == ResponseStatus.NEW, 0), else_=DEALT)
        + CATEGORY * category
        + SCORE * func.coalesce(score, NO_SCORE)
        + (literal(MOST_DROP + 1) - dropped)
    )


def refresh(
    session: Session,
    course_id: int,
    checkin_id: int | None = None,
    student_id: int | None = None,
) -> None:
    """Store, on the course's responses (of one check-in, of one student when given), what
    triage orders by, worked out again from the answers: one UPDATE, of the rows that change."""
    answers = (
        select(
            CheckInResponse.id,
            Occurrence.checkin_id,
            case((CheckIn.anonymous.is_(True), None), else_=CheckIn.course_id).label("course_id"),
            func.lag(CheckInResponse.score)
            .over(
                partition_by=(CheckInResponse.student_id, Occurrence.checkin_id),
                order_by=(Occurrence.opens_at, Occurrence.number),
            )
            .label("previous"),
        )
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(CheckIn.course_id == course_id)
    )
    if checkin_id is not None:
        answers = answers.where(Occurrence.checkin_id == checkin_id)
    if student_id is not None:
        answers = answers.where(CheckInResponse.student_id == student_id)
    found = answers.subquery("found")
    stored = CheckInResponse
    rank = _rank(stored.score, found.c.previous, stored.wants_talk, stored.status)
    session.execute(
        update(stored)
        .where(
            stored.id == found.c.id,
            or_(
                stored.previous_score.is_distinct_from(found.c.previous),
                stored.triage_rank.is_distinct_from(rank),
                stored.triage_course_id.is_distinct_from(found.c.course_id),
                stored.triage_checkin_id.is_distinct_from(found.c.checkin_id),
            ),
        )
        .values(
            previous_score=found.c.previous,
            triage_rank=rank,
            triage_course_id=found.c.course_id,
            triage_checkin_id=found.c.checkin_id,
        )
        .execution_options(synchronize_session=False)
    )
