"""What bringing a course's set-up over copies, part by part, into the new course.

The set-up only, never a student's data:

- staff introductions (each of someone on the new course's staff who has none there yet) and
  news posts (written by whoever brings them over), all as drafts to review: nothing is
  published by itself; and the staff's course profiles (pronouns, role, how to reach them);
- the snippet library;
- check-ins (questions, grading, schedule), each opening as many times, on the same weekday and
  at the same local time, `shift` later;
- the course settings staff chose (its end date aside), the weeks without check-ins moved by
  `shift` too.

Threads, messages, answers, replies, reactions, grades, tutors, flags, who saw what and
students' introductions stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import (
    CheckIn,
    CourseSetting,
    Membership,
    Occurrence,
    Post,
    PostKind,
    Snippet,
    StaffProfile,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.archive.settings import END_DATE
from lti_tool.services.checkins.schedule import Schedule, local_time, occurrences
from lti_tool.services.checkins.settings import HOLIDAYS, holiday_dates, normal_holidays


@dataclass(frozen=True)
class Copied:
    """How many of each part came over."""

    introductions: int = 0
    news: int = 0
    profiles: int = 0
    snippets: int = 0
    checkins: int = 0
    settings: int = 0


def first_check_in(session: Session, course_id: int) -> date | None:
    """The day the course's first check-in first opens, by its schedule's own calendar."""
    firsts = [
        first
        for schedule in session.scalars(
            select(CheckIn.schedule).where(
                CheckIn.course_id == course_id, CheckIn.archived_at.is_(None)
            )
        )
        if (first := _first(schedule)) is not None
    ]
    return min(firsts).date() if firsts else None


def _first(schedule: dict[str, Any]) -> datetime | None:
    return local_time(str(schedule.get("first") or ""))


def copy_posts(
    session: Session, source_id: int, target_id: int, person_id: int, now: datetime
) -> tuple[int, int]:
    """Introductions and news posts, as drafts: (introductions, news) copied."""
    staff = set(
        session.scalars(
            select(Membership.person_id).where(
                Membership.course_id == target_id, Membership.role == CourseRole.STAFF
            )
        )
    )
    introduced = set(
        session.scalars(
            select(Post.author_id).where(Post.course_id == target_id, Post.kind != PostKind.NEWS)
        )
    )
    posts = session.scalars(
        select(Post)
        .where(
            Post.course_id == source_id,
            Post.kind.in_((PostKind.INTRODUCTION, PostKind.NEWS)),
            Post.deleted_at.is_(None),
        )
        .order_by(Post.publish_at, Post.id)
    ).all()
    counts = {PostKind.INTRODUCTION: 0, PostKind.NEWS: 0}
    for post in posts:
        news = post.kind is PostKind.NEWS
        if not news and (post.author_id not in staff or post.author_id in introduced):
            continue
        session.add(
            Post(
                course_id=target_id,
                author_id=person_id if news else post.author_id,
                kind=post.kind,
                title=post.title,
                body=post.body,
                body_html=post.body_html,
                draft=True,
                publish_at=now,
                created_at=now,
            )
        )
        counts[post.kind] += 1
    return counts[PostKind.INTRODUCTION], counts[PostKind.NEWS]


def copy_profiles(session: Session, source_id: int, target_id: int) -> int:
    """The course profiles of those who have none in the new course yet."""
    have = set(
        session.scalars(select(StaffProfile.person_id).where(StaffProfile.course_id == target_id))
    )
    copied = 0
    for profile in session.scalars(
        select(StaffProfile).where(StaffProfile.course_id == source_id).order_by(StaffProfile.id)
    ):
        if profile.person_id in have:
            continue
        session.add(
            StaffProfile(
                course_id=target_id,
                person_id=profile.person_id,
                pronouns=profile.pronouns,
                role_title=profile.role_title,
                bio=profile.bio,
                contact=profile.contact,
            )
        )
        copied += 1
    return copied


def copy_snippets(
    session: Session, source_id: int, target_id: int, person_id: int, now: datetime
) -> int:
    snippets = session.scalars(
        select(Snippet).where(Snippet.course_id == source_id).order_by(Snippet.id)
    ).all()
    for snippet in snippets:
        session.add(
            Snippet(
                course_id=target_id,
                title=snippet.title,
                body=snippet.body,
                created_by_id=person_id,
                created_at=now,
                updated_at=now,
            )
        )
    return len(snippets)


def copy_settings(session: Session, source_id: int, target_id: int, shift: timedelta) -> int:
    """The options staff chose in the old course, over the new course's own."""
    chosen: dict[str, Any] = dict(
        session.execute(
            select(CourseSetting.key, CourseSetting.value).where(
                CourseSetting.course_id == source_id
            )
        ).all()
    )
    chosen.pop(END_DATE, None)  # last term's end is not this one's
    if HOLIDAYS in chosen:
        days = holiday_dates(str(chosen[HOLIDAYS]))
        chosen[HOLIDAYS] = normal_holidays(", ".join(str(d + shift) for d in days))
    mine = {
        s.key: s
        for s in session.scalars(select(CourseSetting).where(CourseSetting.course_id == target_id))
    }
    for key, value in chosen.items():
        if key in mine:
            mine[key].value = value
        else:
            session.add(CourseSetting(course_id=target_id, key=key, value=value))
    return len(chosen)


def copy_checkins(
    session: Session,
    source_id: int,
    target_id: int,
    person_id: int,
    shift: timedelta,
    holidays: frozenset[date],
    now: datetime,
) -> list[CheckIn]:
    """The old course's current check-ins, their schedules `shift` later; each new one names
    the one it copies (a link to that one, copied by the LMS, opens this one)."""
    copied = []
    for old in session.scalars(
        select(CheckIn)
        .where(CheckIn.course_id == source_id, CheckIn.archived_at.is_(None))
        .order_by(CheckIn.created_at, CheckIn.id)
    ):
        first = _first(old.schedule)
        if first is None:
            continue
        schedule = Schedule(
            first=first + shift,
            every_days=int(old.schedule.get("every_days") or 0),
            count=int(old.schedule.get("count") or 1),
            open_hours=int(old.schedule.get("open_hours") or 24),
            time_zone=str(old.schedule.get("time_zone") or "UTC"),
            holiday_weeks=holidays,
        )
        checkin = CheckIn(
            course_id=target_id,
            title=old.title,
            questions=old.questions,
            schedule=schedule.as_json(),
            anonymous=old.anonymous,
            graded=old.graded,
            points=old.points,
            created_by_id=person_id,
            created_at=now,
            copied_from_id=old.id,
        )
        session.add(checkin)
        session.flush()
        for number, (opens, closes) in enumerate(occurrences(schedule), start=1):
            session.add(
                Occurrence(checkin_id=checkin.id, number=number, opens_at=opens, closes_at=closes)
            )
        copied.append(checkin)
    session.flush()
    return copied
