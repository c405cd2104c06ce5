"""Finding a placement again when its link is launched, and what the launch opens.

Every launch of a link the platform made for a placement brings back the placement's token as
the custom parameter `rapport_placement` (LTI 1.3 Core §5.4.6, custom claim; the content item
that carries it is `placements.content_item`). A token names a placement of one course; a link
the LMS copied into another course of the same platform (a course copied for a new term) finds
a copy of that placement made for the new course, which opens the new course's own copy of what
it opened (issue 18), never the old course's. A copy launched before the course's set-up was
brought over (rollover) is bound to it then, by `rebind_copies`.

The launch of a graded placement's link binds its `GradableActivity` to the line item the
platform created (AGS 2.0 §3.2, the `lineitem` of the endpoint claim).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import Course, GradableActivity, Placement, ResourceLink
from lti_tool.services.grades.service import ActivitySpec, gradable_activity
from lti_tool.services.placements import PLACEMENT_PARAM, activity_key, kind_named
from lti_tool.services.upsert import upsert


def placement_for_token(session: Session, course_id: int, token: object) -> Placement | None:
    """The placement a launch's custom parameter names in this course: its own, or the copy
    of another course's whose link the LMS copied here."""
    if not isinstance(token, str) or not token:
        return None
    found = session.scalar(select(Placement).where(Placement.token == token))
    if found is None or found.course_id == course_id:
        return found
    return _copy_here(session, course_id, found)


def _copy_here(session: Session, course_id: int, original: Placement) -> Placement | None:
    """This course's copy of a placement of another course on the same platform, made the
    first time its copied link is launched here."""
    courses = {
        c.id: c.registration_id
        for c in session.scalars(
            select(Course).where(Course.id.in_((course_id, original.course_id)))
        )
    }
    if courses.get(course_id) is None or courses.get(course_id) != courses.get(original.course_id):
        return None  # a token of another platform's course names nothing here
    copy_id = upsert(
        session,
        Placement,
        {"course_id": course_id, "copied_from_id": original.id},
        {
            "token": secrets.token_urlsafe(24),
            "kind": original.kind,
            "title": original.title,
            "settings": original.settings,
            "graded": original.graded,
            "score_maximum": original.score_maximum,
            "created_by_id": None,
        },
        update=False,
    )
    copy = session.get_one(Placement, copy_id)
    if copy.graded and copy.score_maximum is not None:
        course = session.get_one(Course, course_id)
        spec = ActivitySpec(activity_key(copy), copy.title, copy.score_maximum, tag=copy.kind)
        gradable_activity(session, course, spec)
    _bind_copy(session, original, copy)
    return copy


def _bind_copy(session: Session, original: Placement, copy: Placement) -> bool:
    kind = kind_named(copy.kind)
    if kind is None or kind.targets is None:
        return True  # nothing of its own to open: the kind's page
    return kind.targets.bind_copy(session, original, copy)


def rebind_copies(session: Session, course_id: int) -> int:
    """Bind the course's copied placements that open nothing yet to the course's copies of
    what they opened (after a set-up was brought over); how many now do."""
    copies = session.execute(
        select(Placement, Placement.copied_from_id).where(
            Placement.course_id == course_id, Placement.copied_from_id.is_not(None)
        )
    ).all()
    bound = 0
    for copy, original_id in copies:
        original = session.get(Placement, original_id)
        bound += original is not None and _bind_copy(session, original, copy)
    return bound


def link_placement(
    session: Session,
    course_id: int,
    link_pk: int,
    custom: dict[str, Any],
    lineitem_url: str | None,
    resource_link_id: str,
) -> int | None:
    """Bind the launched resource link to its placement; the placement's id, or None."""
    placement = placement_for_token(session, course_id, custom.get(PLACEMENT_PARAM))
    if placement is None:
        return None
    link = session.get(ResourceLink, link_pk)
    if link is not None and link.placement_id != placement.id:
        link.placement_id = placement.id
    if placement.graded:
        activity = session.scalar(
            select(GradableActivity).where(
                GradableActivity.course_id == course_id,
                GradableActivity.key == activity_key(placement),
            )
        )
        if activity is not None:
            activity.resource_link_id = resource_link_id
            if lineitem_url:
                activity.lineitem_url = lineitem_url
    return placement.id


def placement_view(session: Session, placement_id: int) -> tuple[str, dict[str, Any]] | None:
    """The endpoint and URL values a launch of this placement opens."""
    placement = session.get(Placement, placement_id)
    kind = kind_named(placement.kind) if placement is not None else None
    if placement is None or kind is None:
        return None
    return kind.view_endpoint, kind.view_values(placement)
