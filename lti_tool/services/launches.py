"""Who is who after a launch: person, course, membership and resource link (LTI 1.3 Core §5).

Every row is upserted on its LTI identity, so two first launches racing each other leave one
row of each. What later work needs outside a launch (AGS endpoint, NRPS URL, product family,
locale) is stored here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lti_tool.db import utcnow
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


def record_launch(
    session: Session, claims: LaunchClaims, registration: KnownPlatform, deployment_pk: int
) -> LaunchRecord:
    """One statement per row (person, course, membership, resource link), and one more only
    when the launch tells something new about its platform."""
    now = utcnow()
    defer_members(session)  # the student summary follows in a job (services/dashboard)
    learned = _learn_about_platform(session, claims, registration)
    person_id = upsert(
        session,
        Person,
        {"registration_id": registration.id, "sub": claims.sub},
        {
            "name": claims.name,
            "given_name": claims.given_name,
            "family_name": claims.family_name,
            "email": claims.email,
            "picture": claims.picture,
            "locale": claims.locale,
            "updated_at": now,
        },
    )
    course_keys = {"registration_id": registration.id, "context_id": claims.context_id}
    course_values: dict[str, Any] = {
        "deployment_id": deployment_pk,
        "title": claims.context_title or claims.resource_link_title,
        "label": claims.context_label,
        "nrps_url": claims.nrps_url,
        "ags_endpoint": claims.ags_endpoint,
        "lms_url": claims.return_url,
        "updated_at": now,
    }
    if claims.context_history:  # a launch that does not say keeps what an earlier one said
        course_values["context_history"] = list(claims.context_history)
    said_end = claims.course_end  # None: says nothing, and what an earlier launch said stays
    if said_end is not None and said_end.at is not None:
        course_values["lms_ends_at"] = said_end.at
    course = None
    if claims.role is CourseRole.STAFF:
        # The row itself, so that a staff launch's roster check (views/roster.py) finds it in
        # the session instead of reading it again. A student's launch needs only the id: the
        # same statement without an ORM row to build costs a fifth (0.17 ms against 0.83 ms).
        course = upsert_row(session, Course, course_keys, course_values)
        course_id = course.id
    else:
        course_id = upsert(session, Course, course_keys, course_values)
    if said_end is not None and said_end.at is None:
        # The LMS says the course has no end (any more): an upsert never writes a None.
        session.execute(
            update(Course)
            .where(Course.id == course_id, Course.lms_ends_at.is_not(None))
            .values(lms_ends_at=None)
        )
    upsert(
        session,
        Membership,
        {"course_id": course_id, "person_id": person_id},
        {
            "role": claims.role,
            "launch_role": claims.role,
            "lti_roles": claims.roles,
            "active": True,
            "last_launch_at": now,
            "section": claims.section,
        },
    )
    link_id = placement_id = None
    # A deep-linking request may carry the link it was opened from; it launches nothing.
    if claims.resource_link_id and not claims.is_deep_linking:
        lineitem = (claims.ags_endpoint or {}).get("lineitem")
        link_id = upsert(
            session,
            ResourceLink,
            {"course_id": course_id, "resource_link_id": claims.resource_link_id},
            {
                "title": claims.resource_link_title,
                "lineitem_url": lineitem if isinstance(lineitem, str) else None,
                "custom": claims.custom or None,
                "updated_at": now,
            },
        )
        placement_id = link_placement(
            session,
            course_id,
            link_id,
            claims.custom,
            lineitem if isinstance(lineitem, str) else None,
            claims.resource_link_id,
        )
    return LaunchRecord(course_id, person_id, claims.role, link_id, placement_id, learned, course)


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
    attempts: int = 3,
) -> LaunchRecord:
    """record_launch in its own transaction, run again when it loses a race to a deadlock."""
    for attempt in range(attempts):
        try:
            record = record_launch(session, claims, registration, deployment_pk)
            session.commit()
            return record
        except OperationalError as exc:
            session.rollback()
            sqlstate = getattr(exc.orig, "sqlstate", None)
            if attempt == attempts - 1 or sqlstate not in RETRYABLE_SQLSTATES:
                raise
    raise AssertionError("unreachable")
