"""What staff can place in their course with Deep Linking 2.0, and the content items that place it.

Each feature registers the kinds of activity it offers, in a few lines beside its own code:

    register_kind(PlaceableKind(kind="newsfeed", title="Course newsfeed",
                                description="…", gradable=False, view_endpoint="newsfeed.feed"))

A placement is a row with a random token; the content item Rapport returns (DL 2.0 §3.2)
carries that token as the custom parameter `rapport_placement`, and every launch of the link
the platform made brings it back (LTI 1.3 Core §5.4.6, custom claim). Finding the placement
again on launch, in its course or as a copy in a course the LMS copied the link into, is
`placement_launches`.

A graded placement gets a `GradableActivity` keyed `placement:<id>`, and its content item asks
the platform for a line item; the launch of its link binds the one the platform created.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from lti_tool.i18n import _, lazy_gettext, ngettext, speaking
from lti_tool.lti.deep_linking import LineItem, ResourceLinkItem
from lti_tool.models import Course, Placement
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import AuditAction, AuditFacts, record, register_action
from lti_tool.services.grades.service import ActivitySpec, gradable_activity
from lti_tool.services.refusals import Refused

PLACEMENT_PARAM = "rapport_placement"
KIND_PARAM = "rapport_kind"
MAX_TITLE = 255
MAX_POINTS = 10_000.0


class PlacementTargets(Protocol):
    """What one placement of a kind can open instead of the kind's page: one of the course's
    own things (a check-in rather than the list), chosen in the picker and bound at placing."""

    def offered(self, session: Session, course_id: int) -> list[tuple[int, str]]:
        """(id, label) of each the picker offers in this course, newest first."""
        ...

    def bind(self, session: Session, placement: Placement, target_id: int) -> None:
        """Make a launch of `placement` open this one."""
        ...

    def bind_copy(self, session: Session, copied_from: Placement, placement: Placement) -> bool:
        """Make a launch of `placement` (a copy, in a later course) open that course's copy of
        what `copied_from` opens; whether it does (False: there is none yet)."""
        ...


@dataclass(frozen=True)
class PlaceableKind:
    """Something a teacher can add to their course.

    `title` and `description` may be lazy messages (`lazy_gettext`): the picker says them in the
    teacher's language, and so does the link it adds to the LMS.

    `view_endpoint` is the Flask endpoint a launch of the placed link opens. It is called with
    `course_id`, and also `placement_id` when `opens_placement` is set (a view for one
    placement, e.g. one feedback activity).
    """

    kind: str
    title: str
    description: str
    gradable: bool
    view_endpoint: str
    opens_placement: bool = False
    default_points: float = 10.0
    targets: PlacementTargets | None = None  # one of the course's own, e.g. one check-in

    def view_values(self, placement: Placement) -> dict[str, Any]:
        values: dict[str, Any] = {"course_id": placement.course_id}
        if self.opens_placement:
            values["placement_id"] = placement.id
        return values


_KINDS: dict[str, PlaceableKind] = {}


def register_kind(kind: PlaceableKind) -> PlaceableKind:
    """Offer a kind in every deep-linking picker; registering the same kind again replaces it."""
    _KINDS[kind.kind] = kind
    return kind


def placeable_kinds() -> list[PlaceableKind]:
    """Every registered kind, in the order features registered them."""
    return list(_KINDS.values())


def kind_named(name: str) -> PlaceableKind | None:
    return _KINDS.get(name)


# The course home is the newsfeed; the kind keeps its first name, which placements store.
register_kind(
    PlaceableKind(
        kind="course_home",
        title=lazy_gettext("Course newsfeed"),
        description=lazy_gettext(
            "Your course team's introductions and course news, with replies and "
            "reactions: the students' home for this course in Rapport."
        ),
        gradable=False,
        view_endpoint="course.home",
    )
)


def can_place_content(grant: CourseGrant) -> bool:
    """Only staff of a course add Rapport's activities to it."""
    return grant.is_staff


@dataclass(frozen=True)
class PlacementChoice:
    """One activity the teacher picked: its kind, title and, when graded, the points."""

    kind: str
    title: str
    graded: bool = False
    points: float | None = None
    target: int | None = None  # the one thing of the course it opens (`PlacementTargets`)


def check_choice(choice: PlacementChoice, line_items_allowed: bool) -> PlacementChoice:
    """The choice as it will be placed, or Refused(400) with a reason to show."""
    kind = kind_named(choice.kind)
    if kind is None:
        raise Refused(400, _("Rapport has no activity called %(kind)s.", kind=repr(choice.kind)))
    title = " ".join(choice.title.split())[:MAX_TITLE] or str(kind.title)
    target = choice.target if kind.targets is not None else None
    if not choice.graded:
        return PlacementChoice(kind.kind, title, target=target)
    if not kind.gradable:
        raise Refused(400, _("“%(title)s” cannot be graded.", title=kind.title))
    if not line_items_allowed:
        raise Refused(400, _("Your LMS does not take gradebook columns from this link."))
    points = choice.points
    if points is None or not 0 < points <= MAX_POINTS:
        raise Refused(
            400,
            _(
                "Give “%(title)s” a number of points greater than 0 and at most %(most)g.",
                title=title,
                most=MAX_POINTS,
            ),
        )
    return PlacementChoice(kind.kind, title, True, float(points), target)


def check_targets(
    session: Session, course_id: int, choices: list[PlacementChoice]
) -> list[PlacementChoice]:
    """The choices, or Refused(400) when one names a target its kind does not offer in this
    course (another course's check-in, one archived since the picker was drawn)."""
    errors: dict[str, str] = {}
    for choice in choices:
        kind = kind_named(choice.kind)
        if choice.target is None or kind is None or kind.targets is None:
            continue
        if choice.target not in dict(kind.targets.offered(session, course_id)):
            errors[choice.kind] = _(
                "Choose which %(kind)s “%(title)s” opens.",
                kind=str(kind.title).lower(),
                title=choice.title,
            )
    if errors:
        raise Refused(400, " ".join(errors.values()), errors)
    return choices


def check_choices(
    choices: list[PlacementChoice], line_items_allowed: bool, accept_multiple: bool
) -> list[PlacementChoice]:
    """Everything the picker chose, as it will be placed; or Refused(400) naming what to fix,
    by kind, and as `_form` when the choice as a whole is not one the platform asked for
    (nothing chosen, or several where it takes one: DL 2.0 §4.4.1 `accept_multiple`)."""
    checked: list[PlacementChoice] = []
    errors: dict[str, str] = {}
    for choice in choices:
        try:
            checked.append(check_choice(choice, line_items_allowed))
        except Refused as refused:
            errors[choice.kind] = refused.message
    if not choices:
        errors["_form"] = _("Choose what to add to your course.")
    elif len(choices) > 1 and not accept_multiple:
        errors["_form"] = _("Your LMS takes one activity at a time here: choose one.")
    if errors:
        raise Refused(400, " ".join(errors.values()), errors)
    return checked


def _placed(facts: AuditFacts) -> str:
    known = kind_named(str(facts.details.get("kind")))
    kind = str(known.title) if known else facts.details.get("kind_title")
    points = facts.details.get("points")
    title = facts.quoted
    if isinstance(points, int | float) and kind:
        return ngettext(
            "added %(title)s (%(kind)s) to the course in the LMS, graded out of %(points)g point",
            "added %(title)s (%(kind)s) to the course in the LMS, graded out of %(points)g points",
            round(points),
            title=title,
            kind=kind,
            points=points,
        )
    if isinstance(points, int | float):
        return ngettext(
            "added %(title)s to the course in the LMS, graded out of %(points)g point",
            "added %(title)s to the course in the LMS, graded out of %(points)g points",
            round(points),
            title=title,
            points=points,
        )
    if kind:
        return _("added %(title)s (%(kind)s) to the course in the LMS", title=title, kind=kind)
    return _("added %(title)s to the course in the LMS", title=title)


PLACED = register_action(AuditAction("placement.created", _placed))


def create_placements(
    session: Session,
    course_id: int,
    person_id: int | None,
    choices: list[PlacementChoice],
    now: datetime | None = None,
) -> list[Placement]:
    """Store what the teacher placed; graded ones with their gradable activity (grades service).
    Each is logged in the course's activity log: students find it in their course."""
    course = session.get(Course, course_id)
    if course is None:
        raise Refused(404, _("This course is no longer known to Rapport."))
    placements = []
    for choice in choices:
        placement = Placement(
            course_id=course_id,
            token=secrets.token_urlsafe(24),
            kind=choice.kind,
            title=choice.title,
            graded=choice.graded,
            score_maximum=choice.points if choice.graded else None,
            created_by_id=person_id,
        )
        session.add(placement)
        session.flush()
        if choice.graded and choice.points is not None:
            spec = ActivitySpec(
                activity_key(placement), choice.title, choice.points, tag=choice.kind
            )
            gradable_activity(session, course, spec)
        placements.append(placement)
        kind = kind_named(choice.kind)
        if choice.target is not None and kind is not None and kind.targets is not None:
            kind.targets.bind(session, placement, choice.target)
        with speaking("en"):  # stored: the log says it in its reader's language
            kind_title = str(kind.title) if kind else None
        details = {
            "placement_id": placement.id,
            "kind": choice.kind,
            "kind_title": kind_title,
            "points": placement.score_maximum,
        }
        record(session, course_id, person_id, PLACED, placement.title, details, now=now)
    session.flush()
    return placements


def activity_key(placement: Placement) -> str:
    return f"placement:{placement.id}"


def content_item(placement: Placement, launch_url: str) -> ResourceLinkItem:
    """The content item that makes the platform create a link to this placement."""
    kind = kind_named(placement.kind)
    line_item = None
    if placement.graded and placement.score_maximum is not None:
        line_item = LineItem(
            score_maximum=placement.score_maximum,
            label=placement.title,
            resource_id=activity_key(placement),
            tag=placement.kind,
        )
    return ResourceLinkItem(
        title=placement.title,
        url=launch_url,
        text=str(kind.description) if kind else None,
        custom={PLACEMENT_PARAM: placement.token, KIND_PARAM: placement.kind},
        line_item=line_item,
    )
