"""A check-in placed in the LMS with Deep Linking: the link opens that check-in, not the list.

In the picker the teacher chooses which of the course's check-ins the link opens (or the list,
as before); the check-in then names its placement (`CheckIn.placement_id`, the latest one
placed). A launch of the link lands on `landing`: staff on the check-in's overview, a student
on its answer form while it is open, and on their list of check-ins otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.i18n import _
from lti_tool.models import CheckIn, Occurrence, Placement
from lti_tool.services.access import CourseGrant
from lti_tool.services.refusals import Refused

LIST = "checkins.index"
CHOOSE = "checkins.choose_placed"
KIND = "checkin"


class CheckInTargets:
    """The course's current check-ins, for the picker (`PlacementTargets`)."""

    def offered(self, session: Session, course_id: int) -> list[tuple[int, str]]:
        rows = session.execute(
            select(CheckIn.id, CheckIn.title)
            .where(CheckIn.course_id == course_id, CheckIn.archived_at.is_(None))
            .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        ).all()
        return [(checkin_id, title) for checkin_id, title in rows]

    def bind(self, session: Session, placement: Placement, target_id: int) -> None:
        checkin = session.get(CheckIn, target_id)
        if checkin is None or checkin.course_id != placement.course_id or checkin.archived_at:
            raise Refused(400, _("There is no such check-in in this course."))
        checkin.placement_id = placement.id

    def bind_copy(self, session: Session, copied_from: Placement, placement: Placement) -> bool:
        if _placed(session, placement.course_id, placement.id) is not None:
            return True
        original = session.scalar(select(CheckIn.id).where(CheckIn.placement_id == copied_from.id))
        mine = session.scalar(
            select(CheckIn).where(
                CheckIn.course_id == placement.course_id,
                CheckIn.copied_from_id == original,
                CheckIn.archived_at.is_(None),
            )
        )
        if original is None or mine is None:
            return False
        mine.placement_id = placement.id
        return True


def _placed(session: Session, course_id: int, placement_id: int) -> CheckIn | None:
    return session.scalar(
        select(CheckIn).where(
            CheckIn.course_id == course_id,
            CheckIn.placement_id == placement_id,
            CheckIn.archived_at.is_(None),
        )
    )


def to_choose(session: Session, grant: CourseGrant, placement_id: int) -> Placement:
    """A check-in placement of this course that opens none of its check-ins: a link the LMS
    copied from an earlier course whose check-in was not brought over. Staff choose one."""
    if not grant.is_staff:
        raise Refused(403, _("Only the course's staff choose what a link opens."))
    placement = session.get(Placement, placement_id)
    if placement is None or placement.course_id != grant.course_id or placement.kind != KIND:
        raise Refused(404, _("There is no such link in this course."))
    return placement


def choose(session: Session, grant: CourseGrant, placement_id: int, checkin_id: int) -> None:
    placement = to_choose(session, grant, placement_id)
    CheckInTargets().bind(session, placement, checkin_id)


def landing(
    session: Session, grant: CourseGrant, placement_id: int, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The endpoint and URL values a launch of this placement opens for this person."""
    course = {"course_id": grant.course_id}
    checkin = _placed(session, grant.course_id, placement_id)
    if checkin is None:
        placement = session.get(Placement, placement_id)
        if grant.is_staff and placement is not None and placement.copied_from_id is not None:
            return CHOOSE, {**course, "placement_id": placement_id}  # copied, opening none
        return LIST, course
    if grant.is_staff:
        return "checkins.overview", {**course, "checkin_id": checkin.id}
    open_now = session.scalar(
        select(Occurrence.id)
        .where(
            Occurrence.checkin_id == checkin.id,
            Occurrence.opens_at <= now,
            Occurrence.closes_at > now,
        )
        .order_by(Occurrence.closes_at)
        .limit(1)
    )
    if open_now is None or not grant.is_student:
        return LIST, course
    return "checkins.answer", {**course, "occurrence_id": open_now}
