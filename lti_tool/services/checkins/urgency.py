"""What triage orders check-in responses by, stored on each response when it is written.

Triage puts first whom to talk to first: answers nobody has dealt with before handled ones;
among them requests to talk, then low scores (1 or 2), then drops of 2 or more against the
student's own previous answer to the same check-in, then the rest; within each, the lowest score
and the biggest drop first (issues 15 and 16). Working that out per request meant a window over
every answer of the course; instead each response keeps its previous score and one number,
`triage_rank`, and an index per list (course, check-in, week) hands triage its page in order.

The rank of a response depends on its own answer and status and on the student's answer before
it, so a write refreshes the student's answers to that check-in (the one written and those after
it), the same way a whole course is filled in (`rank_unranked` after migration 0015, bulk
seeds). Each week also keeps a tally of its responses per bucket of the order, so triage's
counts never count every answer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from lti_tool.models import CheckIn, CheckInResponse, Occurrence, ResponseStatus
from lti_tool.models.checkins import TriageTally
from lti_tool.services.upsert import dialect_insert

CATEGORIES = ("talk", "low", "drop", "rest")
LOW_SCORE = 2
BIG_DROP = 2
NO_SCORE = 6  # a response without a score sorts after every score of the 1..5 scale
DEALT, CATEGORY, SCORE = 1000, 100, 10
RESPONSES = cast(Table, CheckInResponse.__table__)
MOST_DROP = 4  # 5 to 1: the rank's last digit, 5 - drop, stays within 1..9


def category_of(rank: int) -> str:
    return CATEGORIES[rank % DEALT // CATEGORY]


def waiting(rank: int) -> bool:
    """Nobody on the course team has dealt with it yet."""
    return rank < DEALT


def waiting_to_talk(course_id: int | ColumnElement[int]) -> list[ColumnElement[bool]]:
    """Responses of the course's triage that ask to talk and nobody has dealt with: the
    first stretch of its index (waiting, then "talk", come first in the rank)."""
    return [RESPONSES.c.triage_course_id == course_id, RESPONSES.c.triage_rank < CATEGORY]


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
    triage orders by, worked out again from the answers, and keep the weeks' tallies.

    For one student (every write): a read, an UPDATE of the rows that change and one upsert of
    the tallies they move between. For a whole course written at once (`rank_unranked` after
    migration 0015, bulk seeds): one UPDATE of every row that changes, then the tallies
    counted again. Both on the session's connection, past the dashboard's tracking of writes:
    these columns are triage's alone, no fact a student's summary is made of."""
    found = _ranked(course_id, checkin_id, student_id).subquery("found")
    rank = _rank(RESPONSES.c.score, found.c.previous, RESPONSES.c.wants_talk, RESPONSES.c.status)
    changed = or_(
        RESPONSES.c.previous_score.is_distinct_from(found.c.previous),
        RESPONSES.c.triage_rank.is_distinct_from(rank),
        RESPONSES.c.triage_course_id.is_distinct_from(found.c.course_id),
        RESPONSES.c.triage_checkin_id.is_distinct_from(found.c.checkin_id),
    )
    if student_id is None:
        session.connection().execute(
            update(RESPONSES)
            .where(RESPONSES.c.id == found.c.id, changed)
            .values(
                previous_score=found.c.previous,
                triage_rank=rank,
                triage_course_id=found.c.course_id,
                triage_checkin_id=found.c.checkin_id,
            )
        )
        _recount(session, course_id, checkin_id)
        return
    rows = session.execute(
        select(
            RESPONSES.c.id,
            RESPONSES.c.occurrence_id,
            RESPONSES.c.triage_course_id,
            RESPONSES.c.triage_rank,
            found.c.previous,
            rank.label("rank"),
            found.c.course_id,
            found.c.checkin_id,
        )
        .join(found, found.c.id == RESPONSES.c.id)
        .where(changed)
    ).all()
    if rows:
        session.connection().execute(
            update(RESPONSES)
            .where(RESPONSES.c.id == bindparam("row_id"))
            .values(
                previous_score=bindparam("previous"),
                triage_rank=bindparam("rank"),
                triage_course_id=bindparam("course"),
                triage_checkin_id=bindparam("checkin"),
            ),
            [
                {
                    "row_id": r.id,
                    "previous": r.previous,
                    "rank": r.rank,
                    "course": r.course_id,
                    "checkin": r.checkin_id,
                }
                for r in rows
            ],
        )
    moved: Counter[tuple[int, int]] = Counter()
    for r in rows:
        if r.triage_course_id is not None and r.triage_rank is not None:
            moved[(r.occurrence_id, bucket(r.triage_rank))] -= 1
        if r.course_id is not None:
            moved[(r.occurrence_id, bucket(r.rank))] += 1
    _add(session, {key: n for key, n in moved.items() if n})


def rank_unranked(session: Session) -> list[int]:
    """Refresh, whole, every course with a response not ranked yet (after migration 0015 added
    the columns, each course with answers; later, none): the ids of those courses."""
    courses = list(
        session.scalars(
            select(CheckIn.course_id)
            .join(Occurrence, Occurrence.checkin_id == CheckIn.id)
            .join(CheckInResponse, CheckInResponse.occurrence_id == Occurrence.id)
            .where(CheckInResponse.triage_rank.is_(None))
            .distinct()
            .order_by(CheckIn.course_id)
        )
    )
    for course_id in courses:
        refresh(session, course_id)
    return courses


def bucket(rank: int) -> int:
    return rank // CATEGORY


def _ranked(course_id: int, checkin_id: int | None, student_id: int | None) -> Select[Any]:
    """Each response of the course (check-in, student) with the listing it belongs to and the
    score of the student's answer before it to the same check-in."""
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
    return answers


def _add(session: Session, moved: dict[tuple[int, int], int]) -> None:
    """Add to the tallies: one upsert, whose increments commute with a concurrent writer's."""
    if not moved:
        return
    dialect = session.get_bind().dialect.name
    statement = dialect_insert(dialect)(TriageTally)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[TriageTally.occurrence_id, TriageTally.bucket],
            set_={"responses": TriageTally.responses + statement.excluded.responses},
        ),
        [{"occurrence_id": o, "bucket": b, "responses": n} for (o, b), n in sorted(moved.items())],
    )


def _recount(session: Session, course_id: int, checkin_id: int | None) -> None:
    weeks = select(Occurrence.id).join(CheckIn, CheckIn.id == Occurrence.checkin_id)
    weeks = weeks.where(CheckIn.course_id == course_id)
    if checkin_id is not None:
        weeks = weeks.where(CheckIn.id == checkin_id)
    session.execute(
        delete(TriageTally)
        .where(TriageTally.occurrence_id.in_(weeks))
        .execution_options(synchronize_session=False)
    )
    hundreds = CheckInResponse.triage_rank // literal_column(str(CATEGORY))  # one text, twice
    counted = (
        select(CheckInResponse.occurrence_id, hundreds, func.count())
        .where(
            CheckInResponse.occurrence_id.in_(weeks),
            CheckInResponse.triage_course_id.is_not(None),
        )
        .group_by(CheckInResponse.occurrence_id, hundreds)
    )
    session.execute(
        insert(TriageTally).from_select(["occurrence_id", "bucket", "responses"], counted)
    )


def tallies(session: Session, weeks: Any) -> tuple[int, dict[str, int]]:
    """All the responses of these weeks triage lists, and per category those waiting."""
    waiting = dict.fromkeys(CATEGORIES, 0)
    total = 0
    for found, responses in session.execute(
        select(TriageTally.bucket, func.sum(TriageTally.responses))
        .where(TriageTally.occurrence_id.in_(weeks))
        .group_by(TriageTally.bucket)
    ):
        total += int(responses or 0)
        if found < DEALT // CATEGORY:
            waiting[CATEGORIES[found]] += int(responses or 0)
    return total, waiting
