"""Who is who after a launch: person, course, membership and resource link (LTI 1.3 Core §5).

Every row is upserted on its LTI identity, so two first launches racing each other leave one
row of each. What later work needs outside a launch (AGS endpoint, NRPS URL, product family,
locale) is stored here. A member's launch soon after their last one, telling nothing new, finds
their rows already saying it all and writes nothing (`LAST_LAUNCH_GRAIN`, `RecentLaunches`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lti_tool.db import Base, utcnow
from lti_tool.lti.claims import LaunchClaims
from lti_tool.models import Course, Membership, Person, Registration, ResourceLink
from lti_tool.models.course import CourseRole
from lti_tool.services.dashboard.tracking import defer_members
from lti_tool.services.placement_launches import link_placement
from lti_tool.services.platforms.directory import KnownPlatform
from lti_tool.services.upsert import upsert, upsert_row


@dataclass(frozen=True)
class LaunchRecord:
    course_id: int
    person_id: int
    role: CourseRole
    resource_link_id: int | None
    placement_id: int | None = None  # what Deep Linking placed behind this link
    learned_origins: bool = False  # the platform's pages are on an origin not seen before
    # A staff launch's course row, held so that the session keeps it (its identity map holds
    # rows weakly): the roster check that follows reads the course without a statement.
    course: Course | None = field(default=None, compare=False, repr=False)
    # When the membership's last launch is recorded as made (this one's time, or an earlier
    # one's within LAST_LAUNCH_GRAIN).
    last_launch_at: datetime | None = field(default=None, compare=False, repr=False)


# A returning launch that tells nothing new writes nothing when its membership's last launch
# was recorded less than this long ago: the last launch ("Opened" on the people page, the
# roster's proof of a member) is kept to within this, and a student going back and forth
# between the LMS and Rapport costs one statement, not four writes and a summary job.
LAST_LAUNCH_GRAIN = timedelta(minutes=10)


MemberKey = tuple[int, str, str, str | None]


class RecentLaunches:
    """The members whose launch this process recorded (or found recorded) lately, each until
    when a launch of theirs that tells nothing new needs no write. Only where to look first:
    the rows decide (`_unchanged`); a member this process has not seen lately is written as
    always, without the look (a first launch stays within its four statements). Bounded: the
    oldest are forgotten first."""

    def __init__(self, most: int = 20_000) -> None:
        self._until: OrderedDict[MemberKey, datetime] = OrderedDict()
        self._most = most
        self._lock = threading.Lock()

    def expects(self, key: MemberKey, now: datetime) -> bool:
        with self._lock:
            until = self._until.get(key)
        return until is not None and now < until

    def note(self, key: MemberKey, last_launch_at: datetime) -> None:
        with self._lock:
            self._until[key] = last_launch_at + LAST_LAUNCH_GRAIN
            self._until.move_to_end(key)
            while len(self._until) > self._most:
                self._until.popitem(last=False)


def launched_link(claims: LaunchClaims) -> str | None:
    """The resource link a launch records: a deep-linking request may carry the link it was
    opened from, but it launches nothing."""
    return None if claims.is_deep_linking else claims.resource_link_id or None


def member_key(claims: LaunchClaims, registration: KnownPlatform) -> MemberKey:
    return (registration.id, claims.sub, claims.context_id, launched_link(claims))


@dataclass(frozen=True)
class _Said:
    """What a launch says about each of its rows (a None says nothing: it keeps what is
    stored), without the times it was said at."""

    person: dict[str, Any]
    course: dict[str, Any]
    membership: dict[str, Any]
    link: dict[str, Any] | None  # None: no resource link to record
    course_has_no_end: bool  # the LMS says the course has no end (any more)


def _said(claims: LaunchClaims, deployment_pk: int) -> _Said:
    course: dict[str, Any] = {
        "deployment_id": deployment_pk,
        "title": claims.context_title or claims.resource_link_title,
        "label": claims.context_label,
        "nrps_url": claims.nrps_url,
        "ags_endpoint": claims.ags_endpoint,
        "lms_url": claims.return_url,
    }
    if claims.context_history:  # a launch that does not say keeps what an earlier one said
        course["context_history"] = list(claims.context_history)
    said_end = claims.course_end  # None: says nothing, and what an earlier launch said stays
    if said_end is not None and said_end.at is not None:
        course["lms_ends_at"] = said_end.at
    link = None
    if launched_link(claims):
        lineitem = (claims.ags_endpoint or {}).get("lineitem")
        link = {
            "title": claims.resource_link_title,
            "lineitem_url": lineitem if isinstance(lineitem, str) else None,
            "custom": claims.custom or None,
        }
    return _Said(
        person={
            "name": claims.name,
            "given_name": claims.given_name,
            "family_name": claims.family_name,
            "email": claims.email,
            "picture": claims.picture,
            "locale": claims.locale,
        },
        course=course,
        membership={
            "role": claims.role,
            "launch_role": claims.role,
            "lti_roles": claims.roles,
            "active": True,
            "section": claims.section,
        },
        link=link,
        course_has_no_end=said_end is not None and said_end.at is None,
    )


def record_launch(
    session: Session,
    claims: LaunchClaims,
    registration: KnownPlatform,
    deployment_pk: int,
    recent: RecentLaunches | None = None,
) -> LaunchRecord:
    """One statement per row (person, course, membership, resource link); or one in all when
    `recent` expects this member and the launch tells nothing new (`LAST_LAUNCH_GRAIN`). And
    one more only when the launch tells something new about its platform."""
    now = utcnow()
    learned = _learn_about_platform(session, claims, registration)
    said = _said(claims, deployment_pk)
    record = None
    if recent is not None and recent.expects(member_key(claims, registration), now):
        record = _unchanged(session, claims, registration, said, now)
    if record is None:
        record = _write(session, claims, registration, said, now)
    placement_id = None
    link = launched_link(claims)
    if record.resource_link_id is not None and link is not None:
        lineitem = (said.link or {}).get("lineitem_url")
        placement_id = link_placement(
            session, record.course_id, record.resource_link_id, claims.custom, lineitem, link
        )
    return replace(record, placement_id=placement_id, learned_origins=learned)


def _write(
    session: Session, claims: LaunchClaims, registration: KnownPlatform, said: _Said, now: datetime
) -> LaunchRecord:
    defer_members(session)  # the student summary follows in a job (services/dashboard)
    person_id = upsert(
        session,
        Person,
        {"registration_id": registration.id, "sub": claims.sub},
        {**said.person, "updated_at": now},
    )
    course_keys = {"registration_id": registration.id, "context_id": claims.context_id}
    course_values = {**said.course, "updated_at": now}
    course = None
    if claims.role is CourseRole.STAFF:
        # The row itself, so that a staff launch's roster check (views/roster.py) finds it in
        # the session instead of reading it again. A student's launch needs only the id: the
        # same statement without an ORM row to build costs a fifth (0.17 ms against 0.83 ms).
        course = upsert_row(session, Course, course_keys, course_values)
        course_id = course.id
    else:
        course_id = upsert(session, Course, course_keys, course_values)
    if said.course_has_no_end:  # an upsert never writes a None
        session.execute(
            update(Course)
            .where(Course.id == course_id, Course.lms_ends_at.is_not(None))
            .values(lms_ends_at=None)
        )
    upsert(
        session,
        Membership,
        {"course_id": course_id, "person_id": person_id},
        {**said.membership, "last_launch_at": now},
    )
    link_id = None
    if said.link is not None:
        link_id = upsert(
            session,
            ResourceLink,
            {"course_id": course_id, "resource_link_id": claims.resource_link_id},
            {**said.link, "updated_at": now},
        )
    return LaunchRecord(
        course_id, person_id, claims.role, link_id, course=course, last_launch_at=now
    )


# The columns of each row a launch can say something about (`_said`'s keys).
_SAID: dict[str, tuple[type[Base], tuple[str, ...]]] = {
    "person": (Person, ("name", "given_name", "family_name", "email", "picture", "locale")),
    "course": (
        Course,
        (
            *("deployment_id", "title", "label", "nrps_url", "ags_endpoint", "lms_url"),
            *("context_history", "lms_ends_at"),
        ),
    ),
    "membership": (Membership, ("role", "launch_role", "lti_roles", "active", "section")),
    "link": (ResourceLink, ("title", "lineitem_url", "custom")),
}


@cache
def _known_rows(staff: bool) -> Select[Any]:
    """A member's rows as a launch of theirs would write them, built once: each column a
    launch says, labelled `<row>_<column>`, and a staff launch's course row itself first."""
    columns: list[Any] = [Course] if staff else []
    for name, (model, said) in _SAID.items():
        columns += [getattr(model, c).label(f"{name}_{c}") for c in ("id", *said)]
    columns.append(Membership.last_launch_at)
    same_course = Course.registration_id == Person.registration_id
    return (
        select(*columns)
        .join(Course, same_course & (Course.context_id == bindparam("context_id")))
        .join(Membership, (Membership.course_id == Course.id) & (Membership.person_id == Person.id))
        .outerjoin(
            ResourceLink,
            (ResourceLink.course_id == Course.id)
            & (ResourceLink.resource_link_id == bindparam("resource_link_id")),
        )
        .where(Person.registration_id == bindparam("registration_id"))
        .where(Person.sub == bindparam("sub"))
    )


def _unchanged(
    session: Session, claims: LaunchClaims, registration: KnownPlatform, said: _Said, now: datetime
) -> LaunchRecord | None:
    """The record of a returning member's launch that tells nothing their rows do not already
    hold, with their last launch recorded within LAST_LAUNCH_GRAIN: nothing to write. None
    when there is (a first launch, a new name, a new link, a member made inactive…)."""
    staff = claims.role is CourseRole.STAFF
    keys = {
        "registration_id": registration.id,
        "sub": claims.sub,
        "context_id": claims.context_id,
        "resource_link_id": launched_link(claims),
    }
    row = session.execute(_known_rows(staff), keys).first()
    if row is None:
        return None
    stored = row._mapping
    last = stored["last_launch_at"]
    if last is None or now - last >= LAST_LAUNCH_GRAIN:
        return None
    if said.link is not None and stored["link_id"] is None:
        return None
    if said.course_has_no_end and stored["course_lms_ends_at"] is not None:
        return None
    told = (
        ("person", said.person),
        ("course", said.course),
        ("membership", said.membership),
        ("link", said.link or {}),
    )
    for name, values in told:
        if any(v is not None and stored[f"{name}_{c}"] != v for c, v in values.items()):
            return None
    return LaunchRecord(
        stored["course_id"],
        stored["person_id"],
        claims.role,
        stored["link_id"] if said.link is not None else None,
        course=row[0] if staff else None,
        last_launch_at=last,
    )


def _learn_about_platform(
    session: Session, claims: LaunchClaims, registration: KnownPlatform
) -> bool:
    """Store the platform's product family and the origins of its pages when this launch
    names new ones (its commit tells every process: `services/platforms/directory.py`).
    Whether it named a new origin."""
    changes: dict[str, Any] = {}
    if claims.product_family and registration.product_family != claims.product_family:
        changes["product_family"] = claims.product_family
    known = set(registration.frame_origins)
    learned = not known.issuperset(claims.platform_origins)
    if learned:
        changes["frame_origins"] = sorted(known | set(claims.platform_origins))
    if changes:
        session.execute(
            update(Registration).where(Registration.id == registration.id).values(**changes)
        )
    return learned


# PostgreSQL's "deadlock detected" and "could not serialize": the transaction lost a race (e.g.
# with a roster sync upserting the same people) and is safe to run again.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


def record_launch_committed(
    session: Session,
    claims: LaunchClaims,
    registration: KnownPlatform,
    deployment_pk: int,
    recent: RecentLaunches | None = None,
    attempts: int = 3,
) -> LaunchRecord:
    """record_launch in its own transaction, run again when it loses a race to a deadlock;
    `recent` then expects this member."""
    for attempt in range(attempts):
        try:
            record = record_launch(session, claims, registration, deployment_pk, recent)
            session.commit()
            if recent is not None and record.last_launch_at is not None:
                recent.note(member_key(claims, registration), record.last_launch_at)
            return record
        except OperationalError as exc:
            session.rollback()
            sqlstate = getattr(exc.orig, "sqlstate", None)
            if attempt == attempts - 1 or sqlstate not in RETRYABLE_SQLSTATES:
                raise
    raise AssertionError("unreachable")
