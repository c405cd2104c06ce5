"""Bringing a course's set-up over (issue 18), without Flask: what the home offers and to whom,
which courses a set-up can come from, what comes over (introductions and news as drafts,
profiles, snippets, check-ins moved to the new term, settings) and what never does, once only,
and links the LMS copied finding the new course's check-in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from lti_tool.db import transaction
from lti_tool.models import (
    AuditEntry,
    CheckIn,
    CheckInResponse,
    Course,
    CourseSetting,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    Placement,
    Post,
    PostKind,
    PostView,
    Registration,
    Snippet,
    StaffProfile,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import placed
from lti_tool.services.placement_launches import placement_for_token
from lti_tool.services.refusals import Refused
from lti_tool.services.rollover import service as rollover
from tests.conftest import state

T0 = datetime(2027, 8, 30, 9, 0, tzinfo=UTC)
OLD_FIRST = "2026-09-07T09:00"  # a Monday, London time
STAFF, STUDENT = CourseRole.STAFF, CourseRole.STUDENT


@dataclass
class World:
    sessions: Any
    registration_id: int
    courses: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)

    def course(self, context: str, history: list[str] | None = None) -> int:
        with transaction(self.sessions) as session:
            course = Course(
                registration_id=self.registration_id,
                context_id=context,
                title=context.title(),
                context_history=history or [],
                created_at=T0 - timedelta(days=len(self.courses)),
            )
            session.add(course)
            session.flush()
            self.courses[context] = course.id
            return course.id

    def member(self, name: str, context: str, role: CourseRole) -> int:
        with transaction(self.sessions) as session:
            if name not in self.people:
                person = Person(registration_id=self.registration_id, sub=name, name=name)
                session.add(person)
                session.flush()
                self.people[name] = person.id
            session.add(
                Membership(course_id=self.courses[context], person_id=self.people[name], role=role)
            )
            return self.people[name]

    def grant(self, name: str, context: str, leads: bool | None = None) -> CourseGrant:
        return CourseGrant(self.courses[context], self.people[name], STAFF, leads=leads)


@pytest.fixture
def world(app: Any) -> World:
    """Last year's course, in full use, and this year's copy of it (Canvas's history names
    last year's), where only Ada has launched so far."""
    sessions = state(app).sessions
    with transaction(sessions) as session:
        lms = Registration(
            issuer="https://lms.example.edu",
            client_id="c",
            auth_login_url="https://lms.example.edu/a",
            auth_token_url="https://lms.example.edu/t",
        )
        session.add(lms)
        session.flush()
        w = World(sessions, lms.id)
    old = w.course("psy-2026")
    w.course("psy-2027", history=["psy-2026", "psy-2025"])
    ada, tom = w.member("Ada", "psy-2026", STAFF), w.member("Tom", "psy-2026", STAFF)
    sam = w.member("Sam", "psy-2026", STUDENT)
    w.member("Ada", "psy-2027", STAFF)
    with transaction(sessions) as session:

        def post(author: int, kind: PostKind, title: str | None, **more: Any) -> None:
            session.add(Post(course_id=old, author_id=author, kind=kind, title=title,
                             body=f"{title} words", body_html=f"<p>{title} words</p>",
                             publish_at=T0 - timedelta(days=300), **more))  # fmt: skip

        post(ada, PostKind.INTRODUCTION, None)
        post(tom, PostKind.INTRODUCTION, None)
        post(sam, PostKind.STUDENT_INTRODUCTION, None)
        post(ada, PostKind.NEWS, "Welcome week", pinned=True)
        post(ada, PostKind.NEWS, "Withdrawn", deleted_at=T0 - timedelta(days=200))
        session.add(StaffProfile(course_id=old, person_id=ada, pronouns="she/her",
                                 contact="Office hours: Tuesdays 14:00"))  # fmt: skip
        session.add(Snippet(course_id=old, title="Well done", body="Well done, {first_name}!"))
        session.add(CourseSetting(course_id=old, key="newsfeed.replies", value=False))
        session.add(CourseSetting(course_id=old, key="checkins.holidays", value="2026-10-28"))
        session.add(CourseSetting(course_id=old, key="course.end_date", value="2027-06-30"))
        schedule = {"first": OLD_FIRST, "every_days": 7, "count": 3,
                    "open_hours": 72, "time_zone": "Europe/London"}  # fmt: skip
        checkin = CheckIn(course_id=old, title="Weekly", questions=[{"id": "q1", "kind": "talk"}],
                          schedule=schedule, graded=True, points=5.0)  # fmt: skip
        session.add(checkin)
        session.flush()
        opens = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
        occurrence = Occurrence(checkin_id=checkin.id, number=1, opens_at=opens,
                                closes_at=opens + timedelta(hours=72))  # fmt: skip
        session.add(occurrence)
        session.flush()
        session.add(CheckInResponse(occurrence_id=occurrence.id, student_id=sam, answers={},
                                    score=2, wants_talk=True))  # fmt: skip
        link = Placement(course_id=old, token="old-token", kind="checkin", title="Weekly")
        session.add(link)
        session.flush()
        checkin.placement_id = link.id
        thread = FeedbackThread(course_id=old, student_id=sam, title="Essay")
        session.add(thread)
        session.flush()
        session.add(FeedbackMessage(thread_id=thread.id, author_id=ada, body="b", body_html="b"))
        session.add(TutorAllocation(course_id=old, student_id=sam, tutor_id=ada))
    return w


def _in(w: World, model: type, context: str, **where: Any) -> int:
    with transaction(w.sessions) as session:
        query = select(func.count()).select_from(model).where(model.course_id == w.courses[context])  # type: ignore[attr-defined]
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query) or 0)


def test_the_home_offers_the_course_the_lms_says_it_copies_to_those_who_run_it(world):
    with transaction(world.sessions) as session:
        offer = rollover.offer(session, world.grant("Ada", "psy-2027"))
        assert offer == rollover.Source(
            world.courses["psy-2026"], "Psy-2026", True, date(2026, 9, 7)
        )
        # a teaching assistant does not run the course: no offer, and no page
        assert rollover.offer(session, world.grant("Ada", "psy-2027", leads=False)) is None
        with pytest.raises(Refused) as refused:
            rollover.sources(session, world.grant("Ada", "psy-2027", leads=False))
        assert refused.value.status == 403
        # last year's course has no history: nothing to offer there
        assert rollover.offer(session, world.grant("Ada", "psy-2026")) is None


def test_a_set_up_comes_from_the_history_first_then_courses_taught_newest_first(world):
    world.course("chem-2026")
    world.member("Ada", "chem-2026", STAFF)
    world.course("bio-2026")
    world.member("Ada", "bio-2026", STUDENT)  # not taught: she was a student there
    with transaction(world.sessions) as session:
        found = rollover.sources(session, world.grant("Ada", "psy-2027"))
    assert [(s.title, s.copied_from) for s in found] == [
        ("Psy-2026", True),
        ("Chem-2026", False),
    ]


def test_check_ins_need_the_new_courses_first_week(world):
    with transaction(world.sessions) as session, pytest.raises(Refused) as refused:
        rollover.bring_over(
            session, world.grant("Ada", "psy-2027"), world.courses["psy-2026"], None, T0
        )
    assert refused.value.status == 400 and "first_week" in refused.value.errors
    assert _in(world, Snippet, "psy-2027") == 0  # nothing came over


def test_the_set_up_comes_over_and_nothing_of_a_students(world):
    new = world.courses["psy-2027"]
    with transaction(world.sessions) as session:
        copied = rollover.bring_over(
            session, world.grant("Ada", "psy-2027"), world.courses["psy-2026"],
            date(2027, 9, 8), T0,  # a Wednesday: the week of Monday 6 September 2027
        )  # fmt: skip
    assert copied == rollover.Copied(
        introductions=1, news=1, profiles=1, snippets=1, checkins=1, settings=2
    )
    with transaction(world.sessions) as session:
        posts = session.scalars(select(Post).where(Post.course_id == new).order_by(Post.id)).all()
        # Ada's introduction (Tom is not on this course's staff yet) and the news, as drafts
        assert [(p.kind, p.title, p.draft, p.pinned, p.author_id) for p in posts] == [
            (PostKind.INTRODUCTION, None, True, False, world.people["Ada"]),
            (PostKind.NEWS, "Welcome week", True, False, world.people["Ada"]),
        ]
        [checkin] = session.scalars(select(CheckIn).where(CheckIn.course_id == new)).all()
        assert checkin.schedule["first"] == "2027-09-06T09:00"  # same weekday and local time
        assert (checkin.graded, checkin.points, checkin.title) == (True, 5.0, "Weekly")
        opens = session.scalars(
            select(Occurrence.opens_at).where(Occurrence.checkin_id == checkin.id)
            .order_by(Occurrence.number)
        ).all()  # fmt: skip
        # 09:00 London is 08:00 UTC in September; the week of 25 October 2027 is a week off,
        # moved from 28 October 2026 with everything else
        assert opens == [
            datetime(2027, 9, 6, 8, 0, tzinfo=UTC),
            datetime(2027, 9, 13, 8, 0, tzinfo=UTC),
            datetime(2027, 9, 20, 8, 0, tzinfo=UTC),
        ]
        settings = dict(
            session.execute(
                select(CourseSetting.key, CourseSetting.value).where(CourseSetting.course_id == new)
            ).all()
        )
        # last term's end date stays with last term
        assert settings == {"newsfeed.replies": False, "checkins.holidays": "2027-10-27"}
        profile = session.scalars(select(StaffProfile).where(StaffProfile.course_id == new)).one()
        assert profile.contact == "Office hours: Tuesdays 14:00"
        course = session.get_one(Course, new)
        assert course.brought_over_from_id == world.courses["psy-2026"]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.course_id == new)).one()
        assert entry.action == rollover.BROUGHT_OVER and entry.details["shift_days"] == 364
    for model in (FeedbackThread, FeedbackMessage, TutorAllocation, PostView):
        if hasattr(model, "course_id"):
            assert _in(world, model, "psy-2027") == 0, model
    assert _in(world, Post, "psy-2027", kind=PostKind.STUDENT_INTRODUCTION) == 0
    with transaction(world.sessions) as session:
        answers = session.scalar(
            select(func.count()).select_from(CheckInResponse)
            .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
            .where(Occurrence.checkin_id == checkin.id)
        )  # fmt: skip
        assert answers == 0
        # once only; and the home offers nothing more
        with pytest.raises(Refused) as refused:
            rollover.bring_over(
                session, world.grant("Ada", "psy-2027"), world.courses["psy-2026"],
                date(2027, 9, 8), T0,
            )  # fmt: skip
        assert refused.value.status == 409
        assert rollover.offer(session, world.grant("Ada", "psy-2027")) is None


def test_only_a_course_of_the_list_can_be_the_source(world):
    stranger = world.course("law-2026")  # Ada never taught it, and no history names it
    with transaction(world.sessions) as session, pytest.raises(Refused) as refused:
        rollover.bring_over(session, world.grant("Ada", "psy-2027"), stranger, None, T0)
    assert refused.value.status == 404


def test_starting_afresh_ends_the_offer(world):
    with transaction(world.sessions) as session:
        rollover.start_afresh(session, world.grant("Ada", "psy-2027"), T0)
    with transaction(world.sessions) as session:
        assert rollover.offer(session, world.grant("Ada", "psy-2027")) is None
        # the page still lists what could come over
        assert rollover.sources(session, world.grant("Ada", "psy-2027"))


def test_a_copied_check_in_link_asks_staff_until_its_check_in_comes_over(world):
    new = world.courses["psy-2027"]
    ada = world.grant("Ada", "psy-2027")
    with transaction(world.sessions) as session:
        copy = placement_for_token(session, new, "old-token")
        assert copy is not None and copy.course_id == new and copy.graded is False
        copy_id = copy.id
        # staff are asked which check-in it opens; students see their list
        endpoint, _ = placed.landing(session, ada, copy_id, T0)
        assert endpoint == placed.CHOOSE
        student = CourseGrant(new, world.people["Ada"], STUDENT)
        assert placed.landing(session, student, copy_id, T0)[0] == placed.LIST
    with transaction(world.sessions) as session:
        rollover.bring_over(session, ada, world.courses["psy-2026"], date(2027, 9, 8), T0)
    with transaction(world.sessions) as session:
        mine = session.scalars(select(CheckIn).where(CheckIn.course_id == new)).one()
        assert mine.placement_id == copy_id  # bound once the set-up came over
        endpoint, values = placed.landing(session, ada, copy_id, T0)
        assert (endpoint, values["checkin_id"]) == ("checkins.overview", mine.id)
        assert placement_for_token(session, new, "old-token").id == copy_id  # the same copy
