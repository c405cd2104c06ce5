"""Bringing a course's set-up over from an earlier course (issue 18).

Canvas tells which courses a copy came from (`Course.context_history`, from its
`$Context.id.history`): while staff have neither brought anything over nor chosen to start
afresh, the course home offers the most recent of them that Rapport knows on the same
platform. Without history (Moodle, or a course made afresh) those who run the course can start
from any course on the same platform where they are staff. Only they (instructors) bring a
set-up over, once: it brings settings, which are theirs alone (`settings_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from lti_tool.i18n import _, ngettext
from lti_tool.models import CheckIn, Course, Membership, Post
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import (
    AuditAction,
    AuditFacts,
    listed,
    record_by,
    register_action,
)
from lti_tool.services.checkins.schedule import week_of
from lti_tool.services.checkins.settings import HOLIDAYS, holiday_dates
from lti_tool.services.course_settings import course_settings
from lti_tool.services.entry import Ident
from lti_tool.services.placement_launches import rebind_copies
from lti_tool.services.refusals import Refused
from lti_tool.services.rollover import copying
from lti_tool.services.rollover.copying import Copied

TAUGHT_LISTED = 50


def can_bring_over(grant: CourseGrant) -> bool:
    return grant.is_instructor


@dataclass(frozen=True)
class Source:
    """A course whose set-up could come over."""

    course_id: int
    title: str
    copied_from: bool  # the LMS says this course is a copy of it
    first_check_in: date | None  # when its first check-in first opened


def _course(session: Session, grant: CourseGrant) -> Course:
    return session.get_one(Course, grant.course_id)


def _from_history(session: Session, course: Course) -> list[Course]:
    if not course.context_history:
        return []
    found = {
        c.context_id: c
        for c in session.scalars(
            select(Course).where(
                Course.registration_id == course.registration_id,
                Course.context_id.in_(course.context_history),
            )
        )
    }
    return [found[c] for c in course.context_history if c in found]


def _source(session: Session, course: Course, copied_from: bool) -> Source:
    first = copying.first_check_in(session, course.id)
    return Source(course.id, course.display_title, copied_from, first)


def offer(session: Session, grant: CourseGrant) -> Source | None:
    """What the course home offers those who run the course: the course the LMS says this one
    was copied from, while nothing was brought over and nobody chose to start afresh."""
    if not can_bring_over(grant):
        return None
    course = _course(session, grant)
    if course.rollover_closed_at is not None or not course.context_history:
        return None
    known = _from_history(session, course)
    return _source(session, known[0], copied_from=True) if known else None


def start_from_another_column(person_id: Ident) -> Any:
    """For the course home's entry query (its course in the FROM): whether to offer to start
    from a course taught before, in SQL: a course with nothing in it yet and nothing brought
    over or declined, where this person is staff of another course on the same platform."""
    other, membership = aliased(Course), aliased(Membership)
    taught = exists().where(
        membership.person_id == person_id,
        membership.role == CourseRole.STAFF,
        membership.course_id != Course.id,
        other.id == membership.course_id,
        other.registration_id == Course.registration_id,
    )
    empty = ~exists().where(Post.course_id == Course.id) & ~exists().where(
        CheckIn.course_id == Course.id
    )
    return (Course.rollover_closed_at.is_(None) & empty & taught).label("start_from_another")


def sources(session: Session, grant: CourseGrant) -> list[Source]:
    """The courses a set-up can come from: those the LMS says this one was copied from, most
    recent first, then the courses on the same platform where this person is staff, newest
    first."""
    if not can_bring_over(grant):
        raise Refused(403, _("Only those who run the course bring a set-up over."))
    course = _course(session, grant)
    history = _from_history(session, course)
    seen = {c.id for c in history}
    taught = session.scalars(
        select(Course)
        .join(Membership, Membership.course_id == Course.id)
        .where(
            Membership.person_id == grant.person_id,
            Membership.role == CourseRole.STAFF,
            Course.id != course.id,
            Course.registration_id == course.registration_id,
        )
        .order_by(Course.created_at.desc(), Course.id.desc())
        .limit(TAUGHT_LISTED)
    ).all()
    return [_source(session, c, copied_from=True) for c in history] + [
        _source(session, c, copied_from=False) for c in taught if c.id not in seen
    ]


def _shift(source: Source, first_week: date | None) -> timedelta:
    """How much later the new course's check-ins open: from the week the old course's first
    check-in opened to the week staff name as the new course's first."""
    if source.first_check_in is None:
        return timedelta()
    if first_week is None:
        raise Refused(
            400,
            _("Nothing was brought over."),
            {"first_week": _("Give a date in the new course's first week.")},
        )
    return week_of(first_week) - week_of(source.first_check_in)


def bring_over(
    session: Session,
    grant: CourseGrant,
    source_id: int,
    first_week: date | None,
    now: datetime,
) -> Copied:
    """Copy the set-up of one of `sources` into the grant's course, once."""
    course = _course(session, grant)
    if course.brought_over_from_id is not None:
        raise Refused(409, _("This course's set-up was brought over already."))
    source = next((s for s in sources(session, grant) if s.course_id == source_id), None)
    if source is None:
        raise Refused(404, _("There is no such course to bring a set-up over from."))
    shift = _shift(source, first_week)
    me = grant.person_id
    introductions, news = copying.copy_posts(session, source_id, course.id, me, now)
    profiles = copying.copy_profiles(session, source_id, course.id)
    snippets = copying.copy_snippets(session, source_id, course.id, me, now)
    settings = copying.copy_settings(session, source_id, course.id, shift)
    session.flush()
    holidays = frozenset(
        week_of(day) for day in holiday_dates(str(course_settings(session, course.id)[HOLIDAYS]))
    )
    checkins = copying.copy_checkins(session, source_id, course.id, me, shift, holidays, now)
    rebind_copies(session, course.id)  # links the LMS copied before now open their copies
    course.brought_over_from_id = source_id
    course.rollover_closed_at = now
    copied = Copied(introductions, news, profiles, snippets, len(checkins), settings)
    details = {**copied.__dict__, "source_course_id": source_id, "shift_days": shift.days}
    record_by(session, grant, BROUGHT_OVER, source.title, details, now=now)
    return copied


def start_afresh(session: Session, grant: CourseGrant, now: datetime) -> None:
    """The course home stops offering to bring a set-up over (the page still can)."""
    if not can_bring_over(grant):
        raise Refused(403, _("Only those who run the course bring a set-up over."))
    course = _course(session, grant)
    if course.rollover_closed_at is None:
        course.rollover_closed_at = now


def said(copied: Copied) -> list[str]:
    """What came over, in words, each part that did."""
    parts = []
    if copied.introductions:
        n = copied.introductions
        parts.append(ngettext("%(num)d introduction", "%(num)d introductions", n))
    if copied.news:
        parts.append(ngettext("%(num)d news post", "%(num)d news posts", copied.news))
    if copied.profiles:
        n = copied.profiles
        parts.append(ngettext("%(num)d course profile", "%(num)d course profiles", n))
    if copied.snippets:
        parts.append(ngettext("%(num)d snippet", "%(num)d snippets", copied.snippets))
    if copied.checkins:
        parts.append(ngettext("%(num)d check-in", "%(num)d check-ins", copied.checkins))
    if copied.settings:
        parts.append(ngettext("%(num)d setting", "%(num)d settings", copied.settings))
    return parts


def _brought_over(facts: AuditFacts) -> str:
    copied = Copied(**{k: facts.number(k) for k in Copied.__dataclass_fields__})
    what = said(copied)
    if not what:
        return _("brought over the set-up of %(course)s: nothing", course=facts.quoted)
    return _(
        "brought over the set-up of %(course)s: %(what)s", course=facts.quoted, what=listed(what)
    )


BROUGHT_OVER = register_action(AuditAction("course.brought_over", _brought_over))
