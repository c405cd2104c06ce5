"""Two courses in the test database and one person who wrote every kind of content Rapport
keeps, each through the service that writes it in the product: Zephyrine Quillfeather, a
student of Poetry and a member of staff of the Lab (a `sub` is per platform, not per course).

Every word she wrote carries a marker of its own ("zqmark-…"), so that a search can tell which
of her words is left. Ben (Poetry) and Chidi (Lab) are students whose own data her erasure
must leave alone; Margaret teaches both courses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import transaction
from lti_tool.models import (
    Course,
    Membership,
    Occurrence,
    Person,
    Placement,
    Registration,
    ResourceLink,
    StudentFlag,
)
from lti_tool.models.course import CourseRole
from lti_tool.models.notifications import NotificationMode
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import replies as checkin_replies
from lti_tool.services.checkins.schedule import Schedule
from lti_tool.services.checkins.service import CheckInForm, answer, create_checkin
from lti_tool.services.course_settings import course_settings
from lti_tool.services.dashboard.flags import set_flag
from lti_tool.services.feedback import editing
from lti_tool.services.feedback import service as feedback
from lti_tool.services.feedback.viewers import viewer_for
from lti_tool.services.newsfeed import replies as newsfeed_replies
from lti_tool.services.newsfeed import service as newsfeed
from lti_tool.services.notifications import outbox
from lti_tool.services.notifications.preferences import set_mode
from lti_tool.services.profiles import ProfileForm, save_profile
from lti_tool.services.snippets.bulk_run import run_bulk
from lti_tool.services.snippets.bulk_start import start_bulk
from lti_tool.services.snippets.service import save_snippet
from lti_tool.services.tutors.service import allocate

ISSUER = "https://lms.example.edu"
SUB = "zq-7781-f3a9c2"
NAME, GIVEN, FAMILY = "Zephyrine Quillfeather", "Zephyrine", "Quillfeather"
EMAIL = "zeph.quill@students.example.edu"
PICTURE = "https://lms.example.edu/pictures/zq-portrait.png"
T0 = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
UTC_ZONE = ZoneInfo("UTC")


def mark(kind: str) -> str:
    return f"zqmark-{kind}"


# Each kind of words she writes, by the marker it carries.
MARKERS = [
    mark(kind)
    for kind in (
        "introduction", "reply", "message", "answer",  # as a student
        "bio", "pronouns", "contact", "staff-introduction", "news-title", "news-body", "news-reply",
        "feedback", "grade-first", "grade-comment", "flag-note",  # as staff
    )
]  # fmt: skip
# What names her: everything the search looks for besides her words.
IDENTITY = [NAME, GIVEN, FAMILY, EMAIL, SUB, PICTURE]


@dataclass
class World:
    sessions: Any
    registration: int
    poetry: int = 0
    lab: int = 0
    ids: dict[str, int] = field(default_factory=dict)
    clock: datetime = T0

    def tick(self, minutes: float = 5) -> datetime:
        self.clock += timedelta(minutes=minutes)
        return self.clock

    @contextmanager
    def session(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def grant(self, name: str, course: int) -> CourseGrant:
        with self.session() as session:
            role = session.scalar(
                select(Membership.role).where(
                    Membership.course_id == course, Membership.person_id == self.ids[name]
                )
            )
        assert role is not None, (name, course)
        return CourseGrant(course, self.ids[name], CourseRole(role), leads=name == "Margaret")

    def viewer(self, session: Session, name: str, course: int) -> Any:
        grant = self.grant(name, course)
        return viewer_for(session, grant, course_settings(session, course))


PEOPLE = {
    # name: (sub, full name, given, family, email, picture)
    "Zephyrine": (SUB, NAME, GIVEN, FAMILY, EMAIL, PICTURE),
    "Margaret": ("margaret", "Margaret Chen", "Margaret", "Chen", "m.chen@example.edu", None),
    "Ben": ("ben", "Ben Adler", "Ben", "Adler", "ben@students.example.edu", None),
    "Chidi": ("chidi", "Chidi Anagonye", "Chidi", "Anagonye", "chidi@students.example.edu", None),
}
STAFF, STUDENT = CourseRole.STAFF, CourseRole.STUDENT
MEMBERS = {
    "Poetry": {"Margaret": STAFF, "Zephyrine": STUDENT, "Ben": STUDENT},
    "Lab": {"Margaret": STAFF, "Zephyrine": STAFF, "Chidi": STUDENT},
}


def build_world(sessions: Any) -> World:
    """The courses and people, before anyone writes."""
    outbox.enable(sessions)  # the app mails: the outbox keeps what each person is to be told
    with transaction(sessions) as session:
        lms = Registration(
            issuer=ISSUER,
            client_id="rapport",
            auth_login_url=f"{ISSUER}/auth",
            auth_token_url=f"{ISSUER}/token",
        )
        session.add(lms)
        session.flush()
        world = World(sessions, lms.id)
        for name, (sub, full, given, family, email, picture) in PEOPLE.items():
            person = Person(
                registration_id=lms.id, sub=sub, name=full, given_name=given,
                family_name=family, email=email, picture=picture, locale="en-GB",
            )  # fmt: skip
            session.add(person)
            session.flush()
            world.ids[name] = person.id
        for title, members in MEMBERS.items():
            course = Course(registration_id=lms.id, context_id=title.lower(), title=title)
            session.add(course)
            session.flush()
            setattr(world, title.lower(), course.id)
            for name, role in members.items():
                session.add(
                    Membership(
                        course_id=course.id,
                        person_id=world.ids[name],
                        role=role,
                        lti_roles=INSTRUCTOR if name == "Margaret" else [],
                        section="Group A",
                    )
                )
    return world


def feedback_activity(world: World, course: int, title: str, by: str) -> int:
    with world.session() as session:
        placement = Placement(
            course_id=course, token=f"token-{course}", kind="feedback", title=title,
            graded=True, score_maximum=10, created_by_id=world.ids[by],
        )  # fmt: skip
        session.add(placement)
        session.flush()
        return placement.id


def checkin(world: World, course: int, by: str, title: str) -> int:
    """A check-in open now; the id of its one occurrence."""
    form = CheckInForm(title, "How confident do you feel?", text_prompt="Anything else?")
    schedule = Schedule(datetime(2027, 3, 1, 9, 0), 0, 1, 72, "UTC")  # noqa: DTZ001 (local)
    with world.session() as session:
        made = create_checkin(session, world.grant(by, course), form, schedule, world.tick())
        return made.id


def occurrence_of(world: World, checkin_id: int) -> int:
    with world.session() as session:
        return int(
            session.scalars(select(Occurrence.id).where(Occurrence.checkin_id == checkin_id)).one()
        )


# -- what each of them writes -------------------------------------------------------------------
def write_everything(world: World) -> None:
    """Every kind of content, in the order a term might bring it."""
    _as_a_student(world)
    _as_staff(world)


def _as_a_student(world: World) -> None:
    """Zephyrine in Poetry, and what Margaret writes to her there."""
    poetry, settings = world.poetry, {}
    zeph, margaret = world.grant("Zephyrine", poetry), world.grant("Margaret", poetry)
    with world.session() as s:
        settings = dict(course_settings(s, poetry))
        intro = newsfeed.write_introduction(
            s, zeph, newsfeed.PostForm(f"I'm {GIVEN}: {mark('introduction')}"), world.tick(),
            UTC_ZONE, settings,
        )  # fmt: skip
        newsfeed_replies.add_reply(
            s, margaret, intro.id, f"Welcome, {GIVEN}!", world.tick(), settings
        )
        news = newsfeed.write_news(
            s, margaret, newsfeed.PostForm("Read chapter 1.", "Week 1"), world.tick(), UTC_ZONE
        )
        newsfeed_replies.add_reply(
            s, zeph, news.id, f"Done! {mark('reply')}", world.tick(), settings
        )
        newsfeed_replies.add_reply(
            s, world.grant("Ben", poetry), news.id, "Me too.", world.tick(), settings
        )
        newsfeed_replies.toggle_reaction(
            s, zeph, news.id, next(iter(newsfeed.REACTIONS)), world.tick(), settings
        )
        newsfeed_replies.record_views(s, world.ids["Zephyrine"], [news.id], world.tick())
        set_mode(s, poetry, world.ids["Zephyrine"], NotificationMode.DAILY, world.tick())
        # What a launch keeps of a link whose platform substitutes the user's login there.
        s.add(
            ResourceLink(
                course_id=poetry, resource_link_id="rl-1", custom={"login": EMAIL, "unit": "1"}
            )
        )
    essay = feedback_activity(world, poetry, "Essay 1", "Margaret")
    with world.session() as s:
        thread = feedback.start_thread(
            s, world.viewer(s, "Margaret", poetry), world.ids["Zephyrine"], "", f"Dear {GIVEN}, "
            "your essay is in.", world.tick(), placement_id=essay,
        )  # fmt: skip
        named = feedback.start_thread(
            s, world.viewer(s, "Margaret", poetry), world.ids["Zephyrine"],
            f"A word for {NAME}", "How are you?", world.tick(),
        )  # fmt: skip
        mine = feedback.post_message(
            s, world.viewer(s, "Zephyrine", poetry), thread.id, mark("edited"), world.tick()
        )
        editing.edit_message(
            s,
            world.viewer(s, "Zephyrine", poetry),
            mine.id,
            f"Thanks! {mark('message')}",
            world.tick(1),
        )
        feedback.post_message(
            s, world.viewer(s, "Margaret", poetry), thread.id, f"Well argued, {GIVEN}.",
            world.tick(), grade="8",
        )  # fmt: skip
        feedback.post_message(
            s, world.viewer(s, "Zephyrine", poetry), named.id, "Fine.", world.tick()
        )
        allocate(s, margaret, world.ids["Zephyrine"], world.ids["Margaret"], world.tick())
        set_flag(s, margaret, world.ids["Zephyrine"], True, world.tick())
        s.flush()
        flag = s.scalars(
            select(StudentFlag).where(StudentFlag.student_id == world.ids["Zephyrine"])
        ).one()
        flag.note = f"{GIVEN} seems quiet"
    weekly = checkin(world, poetry, "Margaret", "Weekly")
    week = occurrence_of(world, weekly)
    with world.session() as s:
        response = answer(
            s, zeph, week, {"scale": "2", "text": mark("answer"), "talk": "yes"}, world.tick()
        )
        answer(
            s, world.grant("Ben", poetry), week, {"scale": "4", "text": "Ben is fine"}, world.tick()
        )
        checkin_replies.answer_response(
            s, margaret, response.id, f"Let's talk, {GIVEN}.", settings, world.tick()
        )
        bulk = start_bulk(
            s, margaret, [world.ids["Zephyrine"], world.ids["Ben"]], "Week 2 for {first_name}",
            "Hello {first_name}, how is it going?", None, world.tick(),
        )  # fmt: skip
    run_bulk(world.sessions, bulk.id, lambda: world.clock)


def _as_staff(world: World) -> None:
    """Zephyrine on the Lab's staff, and Chidi, a student there."""
    lab = world.lab
    zeph, chidi = world.grant("Zephyrine", lab), world.grant("Chidi", lab)
    with world.session() as s:
        settings = dict(course_settings(s, lab))
        profile = ProfileForm(mark("pronouns"), "Lab demonstrator", mark("bio"), mark("contact"))
        save_profile(s, zeph, profile, world.tick())
        newsfeed.write_introduction(
            s, zeph, newsfeed.PostForm(mark("staff-introduction")), world.tick(), UTC_ZONE, settings
        )
        news = newsfeed.write_news(
            s,
            zeph,
            newsfeed.PostForm(mark("news-body"), mark("news-title")),
            world.tick(),
            UTC_ZONE,
        )
        newsfeed_replies.add_reply(s, chidi, news.id, "Chidi says thanks", world.tick(), settings)
        newsfeed_replies.add_reply(s, zeph, news.id, mark("news-reply"), world.tick(), settings)
        newsfeed.write_introduction(
            s, chidi, newsfeed.PostForm("Chidi, philosophy"), world.tick(), UTC_ZONE, settings
        )
        save_snippet(
            s, zeph, None, "Keep going", f"Keep going, {{first_name}}! — {GIVEN}", world.tick()
        )
        allocate(s, zeph, world.ids["Chidi"], world.ids["Zephyrine"], world.tick())
        set_flag(s, zeph, world.ids["Chidi"], True, world.tick())
        s.flush()
        flag = s.scalars(
            select(StudentFlag).where(StudentFlag.student_id == world.ids["Chidi"])
        ).one()
        flag.note = mark("flag-note")
    report = feedback_activity(world, lab, "Lab report", "Zephyrine")
    with world.session() as s:
        thread = feedback.start_thread(
            s, world.viewer(s, "Zephyrine", lab), world.ids["Chidi"], "", mark("feedback"),
            world.tick(), placement_id=report,
        )  # fmt: skip
        feedback.post_message(
            s, world.viewer(s, "Chidi", lab), thread.id, "Chidi asks why", world.tick()
        )
        graded = feedback.post_message(
            s, world.viewer(s, "Zephyrine", lab), thread.id, mark("grade-first"), world.tick(),
            grade="7",
        )  # fmt: skip
        # Edited: the gradebook gets the new words; the first stay on the older delivery.
        viewer = world.viewer(s, "Zephyrine", lab)
        editing.edit_message(s, viewer, graded.id, mark("grade-comment"), world.tick(1))
        margaret = world.viewer(s, "Margaret", lab)
        feedback.post_message(s, margaret, thread.id, "Margaret agrees", world.tick(), grade="9")
    lab_checkin = checkin(world, lab, "Zephyrine", f"Lab safety ({GIVEN})")
    with world.session() as s:
        answer(
            s,
            chidi,
            occurrence_of(world, lab_checkin),
            {"scale": "5", "text": "Chidi is safe"},
            world.tick(),
        )
