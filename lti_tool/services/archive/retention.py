"""Deleting ended courses by the institution's retention policy (issue 18, "Archive and
retention"; README: RETENTION_DAYS).

With RETENTION_DAYS set, a course is planned for deletion that many days after its end
(`rules.course_end`: its settings' date, else the LMS's). A month before, its staff are warned
by email (the notifications outbox, at once whatever their digest choice) and on every course
page, and the warning names a day: the planned one, or a month after the warning when it comes
later (the policy was switched on after the course ended, or the LMS moved the end). A course
is deleted on that day, and only if its staff were warned at least WARNING before. Staff who
move the end later put the deletion off: the warning is withdrawn, and given again a month
before the new day. Switching the policy off withdraws every warning.

A deletion removes the course and everything in it (every table's rows go with the course's
foreign keys), then the people who belonged to no other course; it leaves one row in the
institution's `course_deletion` log, which names the course, never a person. The job runs on
the job runner (`tasks.py`), every hour; each course is warned or deleted in a transaction of
its own, by conditional statements, so two runs at once do nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import transaction
from lti_tool.models import (
    Course,
    CourseDeletion,
    CourseSetting,
    Membership,
    Person,
    Registration,
)
from lti_tool.observability.events import course_retention
from lti_tool.services.archive.audit import DELETION_PLANNED
from lti_tool.services.archive.rules import CourseEnd, course_end
from lti_tool.services.archive.settings import END_DATE
from lti_tool.services.audit import record
from lti_tool.services.course_settings import CourseSettings
from lti_tool.services.notifications import outbox

WARNING = timedelta(days=30)
# A person is deleted with their last course only when nothing has touched their row for this
# long: a launch into another course at that very moment keeps them (and their new membership).
PERSON_QUIET = timedelta(days=1)


@dataclass(frozen=True)
class Plan:
    """What the policy makes of one course now."""

    course_id: int
    end: CourseEnd | None
    planned_at: datetime | None  # end + RETENTION_DAYS
    warned_at: datetime | None
    due_at: datetime | None  # the day the warning named

    def withdrawn(self) -> bool:
        """A warning that no longer holds: no end any more, or an end moved later."""
        return self.warned_at is not None and (
            self.planned_at is None or self.due_at is None or self.planned_at > self.due_at
        )

    def to_warn(self, now: datetime) -> bool:
        return (
            self.warned_at is None
            and self.planned_at is not None
            and now >= self.planned_at - WARNING
        )

    def to_delete(self, now: datetime) -> bool:
        return (
            self.warned_at is not None
            and self.due_at is not None
            and self.planned_at is not None
            and not self.withdrawn()
            and now >= self.due_at
            and now >= self.warned_at + WARNING
        )


@dataclass
class RetentionRun:
    """What one run did: course ids warned, deleted and whose warning it withdrew."""

    warned: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)


def plans(session: Session, days: int) -> list[Plan]:
    """Every course that has an end, or a warning, as the policy of `days` sees it."""
    dated = select(CourseSetting.course_id).where(CourseSetting.key == END_DATE)
    courses = session.execute(
        select(Course.id, Course.lms_ends_at, Course.deletion_warned_at, Course.deletion_due_at)
        .where(
            or_(
                Course.lms_ends_at.is_not(None),
                Course.deletion_warned_at.is_not(None),
                Course.id.in_(dated),
            )
        )
        .order_by(Course.id)
    ).all()
    stored = _stored_settings(session, [row.id for row in courses])
    found = []
    for course_id, lms_ends_at, warned_at, due_at in courses:
        end = course_end(lms_ends_at, CourseSettings(course_id, stored.get(course_id, {})))
        planned = end.ends_at + timedelta(days=days) if end is not None else None
        found.append(Plan(course_id, end, planned, warned_at, due_at))
    return found


def _stored_settings(session: Session, course_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    stored: dict[int, dict[str, Any]] = {}
    for start in range(0, len(course_ids), 500):  # bound the statement's parameters
        rows = session.execute(
            select(CourseSetting.course_id, CourseSetting.key, CourseSetting.value).where(
                CourseSetting.course_id.in_(course_ids[start : start + 500])
            )
        )
        for course_id, key, value in rows:
            stored.setdefault(course_id, {})[key] = value
    return stored


def run_retention(sessions: sessionmaker[Session], days: int | None, now: datetime) -> RetentionRun:
    """Apply the policy of `days` (None: off) to every course, each in its own transaction."""
    run = RetentionRun()
    if days is None:
        with transaction(sessions) as session:
            withdrawn = session.scalars(
                update(Course)
                .where(Course.deletion_warned_at.is_not(None))
                .values(deletion_warned_at=None, deletion_due_at=None)
                .returning(Course.id)
            ).all()
        run.withdrawn.extend(withdrawn)
        return run
    with transaction(sessions) as session:
        found = plans(session, days)
    for plan in found:
        if plan.withdrawn():
            with transaction(sessions) as session:
                if _withdraw(session, plan):
                    run.withdrawn.append(plan.course_id)
        elif plan.to_warn(now):
            with transaction(sessions) as session:
                if warn(session, plan, now):
                    run.warned.append(plan.course_id)
        elif plan.to_delete(now):
            with transaction(sessions) as session:
                if delete_course(session, plan, now):
                    run.deleted.append(plan.course_id)
    return run


def _withdraw(session: Session, plan: Plan) -> bool:
    withdrawn = session.execute(
        update(Course)
        .where(Course.id == plan.course_id, Course.deletion_warned_at == plan.warned_at)
        .values(deletion_warned_at=None, deletion_due_at=None)
    )
    return bool(getattr(withdrawn, "rowcount", 0))


def warn(session: Session, plan: Plan, now: datetime) -> bool:
    """Name the day of the course's deletion, tell its staff, and log it; False when another
    run warned them first."""
    assert plan.planned_at is not None
    due = max(plan.planned_at, now + WARNING)
    claimed = session.execute(
        update(Course)
        .where(Course.id == plan.course_id, Course.deletion_warned_at.is_(None))
        .values(deletion_warned_at=now, deletion_due_at=due)
    )
    if not getattr(claimed, "rowcount", 0):
        return False
    outbox.deletion_planned(session, plan.course_id, due, now)
    record(session, plan.course_id, None, DELETION_PLANNED, details={"due_at": due}, now=now)
    # i18n: not translated (an operator's event)
    course_retention(plan.course_id, "warned", f"to be deleted on {due.date().isoformat()}")
    return True


def delete_course(session: Session, plan: Plan, now: datetime) -> bool:
    """Delete the course with everything in it and the people only it knew, and log which
    course it was; False when it is gone already or its warning changed meanwhile."""
    assert plan.end is not None and plan.warned_at is not None
    found = session.execute(
        select(Course.context_id, Course.title, Course.label)
        .add_columns(Registration.issuer, Registration.client_id)
        .join(Registration, Registration.id == Course.registration_id)
        .where(Course.id == plan.course_id, Course.deletion_warned_at == plan.warned_at)
        .with_for_update(of=Course)
    ).first()
    if found is None:
        return False
    members = list(
        session.scalars(select(Membership.person_id).where(Membership.course_id == plan.course_id))
    )
    session.add(
        CourseDeletion(
            issuer=found.issuer,
            client_id=found.client_id,
            context_id=found.context_id,
            title=found.title or found.label,
            ended_at=plan.end.ends_at,
            warned_at=plan.warned_at,
            deleted_at=now,
        )
    )
    # Every table's rows go with the course's foreign keys (ON DELETE CASCADE).
    session.execute(
        delete(Course)
        .where(Course.id == plan.course_id)
        .execution_options(synchronize_session=False)
    )
    _delete_people_of_no_course(session, members, now)
    # i18n: not translated (an operator's event)
    course_retention(plan.course_id, "deleted", "deleted with everything in it")
    return True


def _delete_people_of_no_course(session: Session, ids: Sequence[int], now: datetime) -> None:
    for start in range(0, len(ids), 500):
        session.execute(
            delete(Person)
            .where(
                Person.id.in_(ids[start : start + 500]),
                ~exists().where(Membership.person_id == Person.id),
                Person.updated_at < now - PERSON_QUIET,
            )
            .execution_options(synchronize_session=False)
        )
