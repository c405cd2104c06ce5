"""Placements: the kinds features register, who may place them, and finding them on launch."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import Course, GradableActivity, Registration, ResourceLink
from lti_tool.models.course import CourseRole
from lti_tool.services import placement_launches as launches
from lti_tool.services import placements as p
from lti_tool.services.access import CourseGrant
from lti_tool.services.refusals import Refused
from tests.conftest import state

FEEDBACK = p.PlaceableKind(
    kind="feedback_activity",
    title="Feedback activity",
    description="A named feedback conversation.",
    gradable=True,
    view_endpoint="feedback.activity",
    opens_placement=True,
)


@pytest.fixture
def feedback(monkeypatch: pytest.MonkeyPatch) -> p.PlaceableKind:
    monkeypatch.setitem(p._KINDS, FEEDBACK.kind, FEEDBACK)
    return FEEDBACK


@pytest.fixture
def session(app: Any) -> Any:
    with transaction(state(app).sessions) as db_session:
        yield db_session


def make_course(session: Any, context_id: str = "course-1") -> Course:
    registration = session.scalar(select(Registration)) or Registration(
        issuer="https://lms.example.edu",
        client_id="c1",
        auth_login_url="https://lms.example.edu/auth",
        auth_token_url="https://lms.example.edu/token",
    )
    session.add(registration)
    session.flush()
    course = Course(registration_id=registration.id, context_id=context_id)
    session.add(course)
    session.flush()
    return course


def make_link(session: Any, course: Course, link_id: str = "link-1") -> ResourceLink:
    link = ResourceLink(course_id=course.id, resource_link_id=link_id)
    session.add(link)
    session.flush()
    return link


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(CourseRole.STAFF, True), (CourseRole.STUDENT, False), (CourseRole.GUEST, False)],
)
def test_only_staff_place_content(role, allowed):
    assert p.can_place_content(CourseGrant(1, 1, role)) is allowed


def test_course_home_is_built_in_and_features_register_their_own(feedback):
    names = [kind.kind for kind in p.placeable_kinds()]
    assert names[0] == "course_home"
    assert "feedback_activity" in names
    assert p.kind_named("course_home").gradable is False
    assert p.kind_named("nope") is None


@pytest.mark.parametrize(
    ("choice", "line_items", "outcome"),
    [
        (p.PlacementChoice("course_home", "  Our   home "), True, ("Our home", False, None)),
        (p.PlacementChoice("course_home", ""), True, ("Course newsfeed", False, None)),
        (p.PlacementChoice("course_home", "x", True, 5), True, "cannot be graded"),
        (p.PlacementChoice("feedback_activity", "Essay", True, 5), True, ("Essay", True, 5.0)),
        (p.PlacementChoice("feedback_activity", "Essay", True, 5), False, "gradebook columns"),
        (p.PlacementChoice("feedback_activity", "Essay", True, None), True, "points"),
        (p.PlacementChoice("feedback_activity", "Essay", True, 0), True, "points"),
        (p.PlacementChoice("feedback_activity", "Essay", True, float("nan")), True, "points"),
        (p.PlacementChoice("feedback_activity", "Essay", False, 0), False, ("Essay", False, None)),
        (p.PlacementChoice("unknown", "x"), True, "no activity called"),
    ],
)
def test_check_choice(feedback, choice, line_items, outcome):
    if isinstance(outcome, str):
        with pytest.raises(Refused, match=outcome):
            p.check_choice(choice, line_items)
    else:
        checked = p.check_choice(choice, line_items)
        assert (checked.title, checked.graded, checked.points) == outcome


def test_long_titles_are_cut_to_fit(feedback):
    checked = p.check_choice(p.PlacementChoice("course_home", "x" * 400), True)
    assert len(checked.title) == p.MAX_TITLE


def test_graded_placement_gets_a_gradable_activity_and_content_item(session, feedback):
    course = make_course(session)
    plain, graded = p.create_placements(
        session,
        course.id,
        None,
        [
            p.PlacementChoice("course_home", "Home"),
            p.PlacementChoice("feedback_activity", "Essay", True, 20.0),
        ],
    )
    assert plain.token != graded.token and len(graded.token) >= 32
    [activity] = session.scalars(select(GradableActivity)).all()
    assert (activity.key, activity.label, activity.score_maximum, activity.tag) == (
        f"placement:{graded.id}",
        "Essay",
        20.0,
        "feedback_activity",
    )
    item = p.content_item(graded, "https://rapport.example.edu/lti/launch")
    assert item.custom == {"rapport_placement": graded.token, "rapport_kind": "feedback_activity"}
    assert item.line_item is not None and item.line_item.resource_id == activity.key
    assert p.content_item(plain, "https://rapport.example.edu/lti/launch").line_item is None


def test_a_token_resolves_in_its_course_and_as_a_copy_in_another_of_its_platform(session):
    """A link the LMS copied into another course finds a copy made there (issue 18)."""
    course, other = make_course(session), make_course(session, "course-2")
    [placement] = p.create_placements(
        session, course.id, None, [p.PlacementChoice("course_home", "Home")]
    )
    assert launches.placement_for_token(session, course.id, placement.token) is placement
    copy = launches.placement_for_token(session, other.id, placement.token)
    assert copy is not None and copy.course_id == other.id and copy.copied_from_id == placement.id
    assert launches.placement_for_token(session, other.id, placement.token) is copy  # made once
    for junk in (None, "", 42, ["x"], placement.token + "x"):
        assert launches.placement_for_token(session, course.id, junk) is None


def test_a_token_of_another_platforms_course_resolves_nowhere(session):
    course = make_course(session)
    elsewhere = Registration(
        issuer="https://other.example.edu", client_id="c2",
        auth_login_url="https://other.example.edu/a", auth_token_url="https://other.example.edu/t",
    )  # fmt: skip
    session.add(elsewhere)
    session.flush()
    stranger = Course(registration_id=elsewhere.id, context_id="course-1")
    session.add(stranger)
    session.flush()
    [placement] = p.create_placements(
        session, course.id, None, [p.PlacementChoice("course_home", "Home")]
    )
    assert launches.placement_for_token(session, stranger.id, placement.token) is None
    link = make_link(session, stranger)
    custom = {"rapport_placement": placement.token}
    assert launches.link_placement(session, stranger.id, link.id, custom, None, "link-1") is None
    assert link.placement_id is None


def test_a_copied_graded_link_gets_its_own_gradebook_activity(session, feedback):
    course, other = make_course(session), make_course(session, "course-2")
    [placement] = p.create_placements(
        session, course.id, None, [p.PlacementChoice("feedback_activity", "Essay", True, 10.0)]
    )
    link = make_link(session, other)
    custom = {"rapport_placement": placement.token}
    column = "https://lms.example.edu/lineitems/77/lineitem"
    copy_id = launches.link_placement(session, other.id, link.id, custom, column, "link-1")
    assert copy_id is not None and copy_id != placement.id
    activities = {a.course_id: a for a in session.scalars(select(GradableActivity))}
    assert activities[other.id].key == f"placement:{copy_id}"
    assert activities[other.id].lineitem_url == column  # the copied column, not the old one
    assert activities[course.id].lineitem_url != column


def test_a_launch_binds_its_link_and_the_platforms_line_item(session, feedback):
    course = make_course(session)
    [placement] = p.create_placements(
        session, course.id, None, [p.PlacementChoice("feedback_activity", "Essay", True, 10.0)]
    )
    link = make_link(session, course)
    custom = {"rapport_placement": placement.token}
    column = "https://lms.example.edu/lineitems/9/lineitem?type_id=1"
    assert (
        launches.link_placement(session, course.id, link.id, custom, column, "link-1")
        == placement.id
    )
    assert link.placement_id == placement.id
    activity = session.scalars(select(GradableActivity)).one()
    assert (activity.lineitem_url, activity.resource_link_id) == (column, "link-1")
    # A later launch without the lineitem claim keeps the column already known.
    launches.link_placement(session, course.id, link.id, custom, None, "link-1")
    assert activity.lineitem_url == column


def test_placement_view_names_the_kinds_endpoint(session, feedback):
    course = make_course(session)
    home, activity = p.create_placements(
        session,
        course.id,
        None,
        [p.PlacementChoice("course_home", "Home"), p.PlacementChoice("feedback_activity", "F")],
    )
    assert launches.placement_view(session, home.id) == ("course.home", {"course_id": course.id})
    assert launches.placement_view(session, activity.id) == (
        "feedback.activity",
        {"course_id": course.id, "placement_id": activity.id},
    )
    assert launches.placement_view(session, 999_999) is None
