"""Who may do what with feedback threads, over real launches: the issue's table of roles by
actions, each cell checked by its HTTP answer and by what it did (or did not) change; then every
thread, message, activity and student route probed with ids a browser should not reach.

Issue 5 ("Privacy"): a student reads only their own threads; staff read threads of their course
as the `feedback.visibility` setting allows; mentors and everyone else read none; thread and
message ids from another course, or of another student, answer 404 whatever the URL says.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lti_tool.db import transaction
from lti_tool.models import (
    CourseSetting,
    FeedbackMessage,
    FeedbackThread,
    GradableActivity,
    GradeDelivery,
    Membership,
    Person,
    Registration,
    ThreadRead,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.course_settings import course_settings
from lti_tool.services.feedback import service as feedback
from lti_tool.services.feedback import viewers
from lti_tool.services.feedback.settings import ALL_STAFF, TUTOR_AND_INSTRUCTORS, VISIBILITY
from lti_tool.services.placements import PlacementChoice, create_placements
from tests.conftest import (
    RunningTool,
    running_tool,
    state,
)
from tests.newsfeed_flow import MENTOR, Clock, Visitor, enter, teacher, use_clock
from tests.platform import INSTRUCTOR, LEARNER

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"

# Each cell is the HTTP answer, and whether the action took effect:
#   "303" done, and redirected; "302" a feedback activity opened, redirected to this thread;
#   "200" a page shown with the thread in it (the list links it, the thread shows its first
#   message, the activity overview lists its student); "200-" a page shown without it; "302-"
#   a student sent to their own thread for the activity, not this one;
#   "403" and "404": refused, nothing changed ("404" wherever a refusal would tell that the
#   thread exists: the rule of `readable_thread`; so also a TA's "start" with a student whose
#   threads they may not read).
# The thread under test belongs to Amara, is attached to a graded feedback activity ("Essay on
# Keats", out of 10), holds a staff message and Amara's reply. Tomás (a TA) is the personal tutor
# of Amara and of Cleo; Uma is a TA who tutors nobody. "tutor-only" rows are a course whose
# `feedback.visibility` is `tutor_and_instructors`; the others have the default, `all_staff`.
# "edit own": a message by the person in this thread, written five minutes ago (put there
#   directly for those who could never write it — the rule must not rest on authorship alone;
#   "no session" has no person, and tries the staff message); "edit own, late": eleven minutes.
# "edit other's": the staff message (the instructor tries Amara's reply instead).
# "start": a new thread with Amara (a student starts one of their own only: Amara's works, by
#   default students may write first; anyone else's is not found). "grade": a reply with 8 / 10.
# "open activity": GET the activity (staff: overview; students: their own thread).
# "student's thread": the staff route opening Cleo's thread for the activity (made if need be).
# "another course" is the staff member of course B, in a browser that launched into B only,
# trying course A's URLs; "no session" a browser that never launched: its forms are refused by
# the CSRF check first (400, checked too), the cells say what the grant check answers next.
EXPECTED: dict[str, dict[str, str]] = {
    "instructor": {
        "list": "200", "read": "200", "reply": "303", "edit own": "303",
        "edit own, late": "403", "edit other's": "403", "start": "303", "grade": "303",
        "open activity": "200", "student's thread": "303",
    },
    "instructor, tutor-only": {
        "list": "200", "read": "200", "reply": "303", "edit own": "303",
        "edit own, late": "403", "edit other's": "403", "start": "303", "grade": "303",
        "open activity": "200", "student's thread": "303",
    },
    "TA tutor": {
        "list": "200", "read": "200", "reply": "303", "edit own": "303",
        "edit own, late": "403", "edit other's": "403", "start": "303", "grade": "303",
        "open activity": "200", "student's thread": "303",
    },
    "TA not tutor": {
        "list": "200", "read": "200", "reply": "303", "edit own": "303",
        "edit own, late": "403", "edit other's": "403", "start": "303", "grade": "303",
        "open activity": "200", "student's thread": "303",
    },
    "TA tutor, tutor-only": {
        "list": "200", "read": "200", "reply": "303", "edit own": "303",
        "edit own, late": "403", "edit other's": "403", "start": "303", "grade": "303",
        "open activity": "200", "student's thread": "303",
    },
    "TA not tutor, tutor-only": {
        "list": "200-", "read": "404", "reply": "404", "edit own": "404",
        "edit own, late": "404", "edit other's": "404", "start": "403", "grade": "404",
        "open activity": "200-", "student's thread": "403",
    },
    "the thread's student": {
        "list": "200", "read": "200", "reply": "303", "edit own": "303",
        "edit own, late": "403", "edit other's": "403", "start": "303", "grade": "403",
        "open activity": "302", "student's thread": "403",
    },
    "another student": {
        "list": "200-", "read": "404", "reply": "404", "edit own": "404",
        "edit own, late": "404", "edit other's": "404", "start": "404", "grade": "404",
        "open activity": "302-", "student's thread": "403",
    },
    "mentor": {
        "list": "200-", "read": "404", "reply": "404", "edit own": "404",
        "edit own, late": "404", "edit other's": "404", "start": "403", "grade": "404",
        "open activity": "403", "student's thread": "403",
    },
    "another course": {
        "list": "403", "read": "403", "reply": "403", "edit own": "403",
        "edit own, late": "403", "edit other's": "403", "start": "403", "grade": "403",
        "open activity": "403", "student's thread": "403",
    },
    "no session": {
        "list": "403", "read": "403", "reply": "403", "edit own": "403",
        "edit own, late": "403", "edit other's": "403", "start": "403", "grade": "403",
        "open activity": "403", "student's thread": "403",
    },
}  # fmt: skip
# 11 roles by 10 actions: 110 cells.
CELLS = [(role, action) for role, row in EXPECTED.items() for action in row]
READ_ONLY = ("list", "read", "open activity")  # GETs: no CSRF step for "no session"

PRIVATE = "Private words for Amara."
REPLY = "Thank you, Margaret."


@pytest.fixture(scope="module")
def rapport(tmp_path_factory: pytest.TempPathFactory, db_templates: Path) -> Iterator[RunningTool]:
    """One running Rapport for this module; every test works in courses of its own."""
    with running_tool(tmp_path_factory.mktemp("rapport"), db_templates) as running:
        use_clock(running.app, Clock())
        yield running


# -- a course with one feedback thread --------------------------------------------------------

# key: (name, course role, LTI roles) of the people put on the roster (as NRPS would).
ROSTER = {
    "amara": ("Amara Okafor", CourseRole.STUDENT, [LEARNER]),
    "ben": ("Ben Adeyemi", CourseRole.STUDENT, [LEARNER]),
    "cleo": ("Cleo Martins", CourseRole.STUDENT, [LEARNER]),
    "tomas": ("Tomás Rivera", CourseRole.STAFF, [TA]),
    "uma": ("Uma Patel", CourseRole.STAFF, [TA]),
}


@dataclass
class FeedbackCourse:
    tool: RunningTool
    context: str
    staff: Visitor
    people: dict[str, int]  # ROSTER keys, and "teacher"
    placement: int
    thread: int
    staff_message: int
    student_message: int
    visibility: str
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def app(self) -> Flask:
        return self.tool.app

    @property
    def id(self) -> int:
        return course_id_of(self.staff)

    def sub(self, key: str) -> str:
        return f"{key}-{self.context}"

    def enter(self, key: str, role: str = LEARNER, **claims: Any) -> Visitor:
        tool = self.tool
        return enter(tool.platform, tool.url, self.sub(key), role, context=self.context, **claims)


def course_id_of(visitor: Visitor) -> int:
    return int(visitor.course.strip("/").split("/")[1])


def roster_person(session: Session, course: int, sub: str, key: str) -> int:
    name, role, lti_roles = ROSTER[key]
    registration = session.scalars(select(Registration.id)).one()
    person = session.scalar(
        insert(Person)
        .values(registration_id=registration, sub=sub, name=name, given_name=name.split()[0])
        .returning(Person.id)
    )
    assert person is not None
    session.execute(
        insert(Membership).values(
            course_id=course, person_id=person, role=role, lti_roles=lti_roles, active=True
        )
    )
    return int(person)


def viewer(session: Session, course: int, person: int, role: CourseRole) -> viewers.Viewer:
    grant = CourseGrant(course, person, role)
    return viewers.viewer_for(session, grant, course_settings(session, course))


def feedback_course(tool: RunningTool, visibility: str = ALL_STAFF) -> FeedbackCourse:
    """A course of its own: an instructor's launch, a roster, tutors, a graded feedback activity
    and Amara's thread for it with the instructor's message and her reply, a minute ago."""
    context = f"course-{uuid.uuid4().hex[:8]}"
    staff = teacher(tool.platform, tool.url, context=context)
    course = course_id_of(staff)
    clock: Clock = state(tool.app).clock  # type: ignore[assignment]
    now = clock.now
    with transaction(state(tool.app).sessions) as session:
        people = {key: roster_person(session, course, f"{key}-{context}", key) for key in ROSTER}
        people["teacher"] = session.scalars(select(Person.id).where(Person.sub == "teacher")).one()
        for student in ("amara", "cleo"):
            session.add(
                TutorAllocation(
                    course_id=course,
                    student_id=people[student],
                    tutor_id=people["tomas"],
                    assigned_at=now,
                )
            )
        if visibility != ALL_STAFF:
            session.add(CourseSetting(course_id=course, key=VISIBILITY, value=visibility))
        session.flush()
        [placement] = create_placements(
            session, course, None, [PlacementChoice("feedback", "Essay on Keats", True, 10.0)]
        )
        lead = viewer(session, course, people["teacher"], CourseRole.STAFF)
        amara = viewer(session, course, people["amara"], CourseRole.STUDENT)
        thread = feedback.thread_for_activity(session, lead, placement.id, people["amara"], now)
        staff_message = feedback.post_message(session, lead, thread.id, PRIVATE, now)
        student_message = feedback.post_message(session, amara, thread.id, REPLY, now)
        ids = (placement.id, thread.id, staff_message.id, student_message.id)
    clock.advance(minutes=1)
    return FeedbackCourse(tool, context, staff, people, *ids, visibility)


def count(app: Flask, model: type[Any], *where: Any) -> int:
    with state(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def message_body(app: Flask, message_id: int) -> str:
    with state(app).sessions() as session:
        return session.get_one(FeedbackMessage, message_id).body


# -- browsers ---------------------------------------------------------------------------------


@dataclass
class Browser:
    """One person's browser aimed at course A, with the CSRF token of its own session."""

    visitor: Visitor
    token: str | None
    person: int | None  # who they are in Rapport, when they are anyone

    def open(self, path: str = "") -> requests.Response:
        return self.visitor.get(path)

    def send(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        body = dict(data or {})
        if self.token:
            body["csrf_token"] = self.token
        return self.visitor.post(path, body, csrf=False)


# role → (who, the course's visibility)
ROLES: dict[str, tuple[str, str]] = {
    "instructor": ("teacher", ALL_STAFF),
    "instructor, tutor-only": ("teacher", TUTOR_AND_INSTRUCTORS),
    "TA tutor": ("tomas", ALL_STAFF),
    "TA not tutor": ("uma", ALL_STAFF),
    "TA tutor, tutor-only": ("tomas", TUTOR_AND_INSTRUCTORS),
    "TA not tutor, tutor-only": ("uma", TUTOR_AND_INSTRUCTORS),
    "the thread's student": ("amara", ALL_STAFF),
    "another student": ("ben", ALL_STAFF),
    "mentor": ("mentor", ALL_STAFF),
    "another course": ("other-teacher", ALL_STAFF),
    "no session": ("", ALL_STAFF),
}


def browser_of(role: str, course: FeedbackCourse) -> Browser:
    who = ROLES[role][0]
    if who == "teacher":
        return Browser(course.staff, course.staff.csrf(), course.people["teacher"])
    if who in ("tomas", "uma"):
        visitor = course.enter(who, TA, name=ROSTER[who][0])
        return Browser(visitor, visitor.csrf(), course.people[who])
    if who in ("amara", "ben", "mentor"):
        visitor = course.enter(who, MENTOR if who == "mentor" else LEARNER)
        assert visitor.course == course.staff.course
        with state(course.app).sessions() as session:
            person = session.scalars(select(Person.id).where(Person.sub == course.sub(who))).one()
        return Browser(visitor, visitor.csrf(), person)
    if who == "other-teacher":
        tool = course.tool
        own = teacher(tool.platform, tool.url, who, context=course.context + "-b")
        assert own.course != course.staff.course
        with state(course.app).sessions() as session:
            person = session.scalars(select(Person.id).where(Person.sub == who)).one()
        return Browser(Visitor(own.url, own.http, course.staff.course), own.csrf(), person)
    return Browser(Visitor(course.tool.url, requests.Session(), course.staff.course), None, None)


# -- actions: how a browser attempts each, and whether it took effect ------------------------

Attempt = Callable[[Browser, FeedbackCourse], requests.Response]
TookEffect = Callable[[FeedbackCourse, requests.Response], bool]


def own_message(browser: Browser, course: FeedbackCourse, minutes: float = 5) -> int:
    """The browser's person's message in the thread, `minutes` old (see the table)."""
    if browser.person is None:
        return course.staff_message
    clock: Clock = state(course.app).clock  # type: ignore[assignment]
    with transaction(state(course.app).sessions) as session:
        message = FeedbackMessage(
            thread_id=course.thread,
            author_id=browser.person,
            body="My words.",
            body_html="<p>My words.</p>",
            created_at=clock.now,
        )
        session.add(message)
        session.flush()
        course.extra["own"] = message.id
    clock.advance(minutes=minutes)
    return course.extra["own"]


def other_message(browser: Browser, course: FeedbackCourse) -> int:
    mine = browser.person == course.people["teacher"]
    course.extra["other"] = course.student_message if mine else course.staff_message
    return course.extra["other"]


def _listed(c: FeedbackCourse, shown: requests.Response) -> bool:
    return f'/feedback/{c.thread}"' in shown.text


def _replied(c: FeedbackCourse, _: requests.Response) -> bool:
    where = (FeedbackMessage.thread_id == c.thread, FeedbackMessage.body == "A new reply.")
    return count(c.app, FeedbackMessage, *where) == 1


def _edited(key: str, words: str) -> TookEffect:
    def took_effect(c: FeedbackCourse, _: requests.Response) -> bool:
        return message_body(c.app, c.extra[key]) == words

    return took_effect


def _started(c: FeedbackCourse, _: requests.Response) -> bool:
    where = (FeedbackThread.course_id == c.id, FeedbackThread.title == "A new topic")
    return count(c.app, FeedbackThread, *where) == 1


def _graded(c: FeedbackCourse, _: requests.Response) -> bool:
    with state(c.app).sessions() as session:
        queued = session.scalar(
            select(func.count())
            .select_from(GradeDelivery)
            .join(GradableActivity, GradableActivity.id == GradeDelivery.activity_id)
            .where(
                GradableActivity.course_id == c.id,
                GradeDelivery.person_id == c.people["amara"],
                GradeDelivery.score_given == 8.0,
            )
        )
    stored = count(
        c.app,
        FeedbackMessage,
        FeedbackMessage.thread_id == c.thread,
        FeedbackMessage.score_given == 8.0,
    )
    assert queued == stored, "a grade message without its delivery, or the other way round"
    return queued == 1


def _opened_activity(c: FeedbackCourse, shown: requests.Response) -> bool:
    if shown.status_code == 302:
        return shown.headers["Location"].endswith(f"/feedback/{c.thread}")
    return f'/students/{c.people["amara"]}"' in shown.text


def _opened_cleos_thread(c: FeedbackCourse, shown: requests.Response) -> bool:
    with state(c.app).sessions() as session:
        thread = session.scalar(
            select(FeedbackThread.id).where(
                FeedbackThread.placement_id == c.placement,
                FeedbackThread.student_id == c.people["cleo"],
            )
        )
    if thread is None:
        return False
    assert shown.headers.get("Location", "").endswith(f"/feedback/{thread}")
    return True


ACTION_STEPS: dict[str, tuple[Attempt, TookEffect]] = {
    "list": (lambda b, _: b.open("feedback/"), _listed),
    "read": (lambda b, c: b.open(f"feedback/{c.thread}"), lambda _, r: PRIVATE in r.text),
    "reply": (
        lambda b, c: b.send(f"feedback/{c.thread}/messages", {"body": "A new reply."}),
        _replied,
    ),
    "edit own": (
        lambda b, c: b.send(
            f"feedback/messages/{own_message(b, c)}/edit", {"body": "Edited in time."}
        ),
        lambda c, r: "own" in c.extra and _edited("own", "Edited in time.")(c, r),
    ),
    "edit own, late": (
        lambda b, c: b.send(
            f"feedback/messages/{own_message(b, c, minutes=11)}/edit", {"body": "Too late."}
        ),
        lambda c, r: "own" in c.extra and _edited("own", "Too late.")(c, r),
    ),
    "edit other's": (
        lambda b, c: b.send(
            f"feedback/messages/{other_message(b, c)}/edit", {"body": "Rewritten by another."}
        ),
        _edited("other", "Rewritten by another."),
    ),
    "start": (
        lambda b, c: b.send(
            "feedback/new",
            {"student": c.people["amara"], "title": "A new topic", "body": "Hello again."},
        ),
        _started,
    ),
    "grade": (
        lambda b, c: b.send(f"feedback/{c.thread}/messages", {"body": "Well done.", "grade": "8"}),
        _graded,
    ),
    "open activity": (lambda b, c: b.open(f"feedback/activities/{c.placement}"), _opened_activity),
    "student's thread": (
        lambda b, c: b.send(f"feedback/activities/{c.placement}/students/{c.people['cleo']}"),
        _opened_cleos_thread,
    ),
}


@pytest.mark.parametrize(("role", "action"), CELLS)
def test_each_role_may_do_exactly_what_the_table_says(
    rapport: RunningTool, monkeypatch: pytest.MonkeyPatch, role: str, action: str
) -> None:
    course = feedback_course(rapport, ROLES[role][1])
    attempt, took_effect = ACTION_STEPS[action]
    expected = EXPECTED[role][action]
    status, effect = int(expected.rstrip("-")), expected[-1] != "-" and expected[0] in "23"
    browser = browser_of(role, course)
    if role == "no session" and action not in READ_ONLY:
        refused = attempt(browser, course)
        assert refused.status_code == 400, "a form without a session's CSRF token"
        assert not took_effect(course, refused)
        monkeypatch.setitem(course.app.config, "WTF_CSRF_ENABLED", False)  # only grants decide
    response = attempt(browser, course)
    assert response.status_code == status, response.text[:300]
    assert took_effect(course, response) is effect
    if status in (403, 404):
        assert PRIVATE not in response.text and REPLY not in response.text


# -- ids a browser should not reach: 404 whatever the URL says --------------------------------

NEVER = 2_000_000_000  # an id no row has


@dataclass
class World:
    """Course A (tutor-only) with Amara's thread; course B with its own; and who probes."""

    a: FeedbackCourse
    b: FeedbackCourse
    probers: dict[str, Browser]

    def ids(self, prober: str) -> dict[str, int]:
        """The ids a probe may name: `own_…` are of the prober's own course; the others are
        what they should not reach."""
        target, own = self.a, self.b
        if prober == "staff of A":  # course A's staff, on course A's URLs, with B's ids
            target, own = self.b, self.a
        elif prober in ("another student", "TA not tutor"):
            own = self.a
        ids = {
            "thread": target.thread,
            "staff_message": target.staff_message,
            "student_message": target.student_message,
            "placement": target.placement,
            "student": target.people["amara"],
            "own_placement": own.placement,
            "own_student": own.people["cleo"],
        }
        if prober == "another student":
            ids["placement"] = self.b.placement
        return ids


@pytest.fixture(scope="module")
def world(rapport: RunningTool) -> World:
    a = feedback_course(rapport, TUTOR_AND_INSTRUCTORS)
    b = feedback_course(rapport)
    tool = rapport
    b_only = teacher(tool.platform, tool.url, "b-only-teacher", context=b.context)
    # Amara of course A is staff in course B: her own course A thread, through course B.
    amara_b = enter(tool.platform, tool.url, a.sub("amara"), INSTRUCTOR, context=b.context)
    assert amara_b.course == b.staff.course == b_only.course
    visitors = {
        "staff of B": b_only,
        "staff of both, through B": b.staff,  # the same instructor teaches A and B
        "student here, staff there": amara_b,
        "another student": a.enter("ben"),
        "TA not tutor": a.enter("uma", TA, name="Uma Patel"),
        "staff of A": a.staff,
    }
    return World(a, b, {k: Browser(v, v.csrf(), None) for k, v in visitors.items()})


# (prober, method, path, form): on the prober's own course's URLs, `{…}` from `World.ids`.
Probe = tuple[str, str, str, dict[str, str]]
REPLY_FORM = {"body": "Found you."}
GRADE_FORM = {"body": "Found you.", "grade": "10"}
EDIT_FORM = {"body": "Mine now."}
THREAD_ROUTES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "feedback/{thread}", {}),
    ("POST", "feedback/{thread}/messages", REPLY_FORM),
    ("POST", "feedback/{thread}/messages", GRADE_FORM),
    ("GET", "feedback/messages/{staff_message}/edit", {}),
    ("POST", "feedback/messages/{staff_message}/edit", EDIT_FORM),
    ("GET", "feedback/messages/{student_message}/edit", {}),
    ("POST", "feedback/messages/{student_message}/edit", EDIT_FORM),
]
ACTIVITY_ROUTES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "feedback/activities/{placement}", {}),
    ("POST", "feedback/activities/{placement}/students/{own_student}", {}),
    ("POST", "feedback/activities/{own_placement}/students/{student}", {}),
    ("POST", "feedback/activities/{placement}/students/{student}", {}),
    ("POST", "feedback/new", {"student": "{student}", "title": "Hi", "body": "Found you."}),
]
EVERY_ROUTE = THREAD_ROUTES + ACTIVITY_ROUTES
PROBES: list[Probe] = (
    [("staff of B", *route) for route in EVERY_ROUTE]
    + [("staff of A", *route) for route in EVERY_ROUTE]
    + [("staff of both, through B", *route) for route in EVERY_ROUTE]
    + [("student here, staff there", *route) for route in THREAD_ROUTES + ACTIVITY_ROUTES[1:3]]
    + [("another student", *route) for route in THREAD_ROUTES]
    + [("another student", "GET", "feedback/activities/{placement}", {})]
    + [("TA not tutor", *route) for route in THREAD_ROUTES]
)
# 12 + 12 + 12 + 9 + 8 + 8 = 61 probes.


def _probe_id(probe: Probe) -> str:
    prober, method, path, form = probe
    return f"{prober}: {method} {path}{'+grade' if 'grade' in form else ''}"


def _send(world: World, probe: Probe, ids: dict[str, int]) -> requests.Response:
    prober, method, path, form = probe
    browser = world.probers[prober]
    if method == "GET":
        return browser.open(path.format(**ids))
    return browser.send(path.format(**ids), {k: v.format(**ids) for k, v in form.items()})


def _everything(app: Flask) -> tuple[Any, ...]:
    """All feedback and grade rows: a probe must change none of them."""
    with state(app).sessions() as session:
        return (
            sorted(session.execute(select(FeedbackThread.id, FeedbackThread.last_message_at))),
            sorted(session.execute(select(FeedbackMessage.id, FeedbackMessage.body))),
            sorted(session.execute(select(ThreadRead.thread_id, ThreadRead.person_id))),
            session.scalar(select(func.count()).select_from(GradeDelivery)),
        )


@pytest.mark.parametrize("probe", [pytest.param(p, id=_probe_id(p)) for p in PROBES])
def test_an_id_out_of_reach_is_not_found(world: World, probe: Probe) -> None:
    app = world.a.app
    before = _everything(app)
    response = _send(world, probe, world.ids(probe[0]))
    assert response.status_code == 404, response.text[:300]
    for private in (PRIVATE, REPLY, "Amara Okafor", "Essay on Keats"):
        assert private not in response.text
    assert _everything(app) == before


def _answer(response: requests.Response) -> tuple[int, str]:
    """The status and the words of the error page, without what changes per request."""
    found = re.search(r'<section class="card error"[^>]*>(.*?)</section>', response.text, re.S)
    words = re.sub(r"<[^>]+>", " ", found.group(1)) if found else response.text
    return response.status_code, " ".join(words.split())


# Whether an id exists is not private from staff of the same course (they see the roster and
# every thread the setting lets them): only probers from another course, and students, must get
# the very answer an id that never existed gets.
HIDDEN_EXISTENCE = ("staff of B", "staff of A", "student here, staff there", "another student")


def _oracle_param(probe: Probe) -> Any:
    return pytest.param(probe, id=_probe_id(probe))


@pytest.mark.parametrize("probe", [_oracle_param(p) for p in PROBES if p[0] in HIDDEN_EXISTENCE])
def test_an_id_out_of_reach_answers_as_one_that_never_existed(world: World, probe: Probe) -> None:
    ids = world.ids(probe[0])
    never = {k: (v if k.startswith("own_") else NEVER) for k, v in ids.items()}
    assert _answer(_send(world, probe, ids)) == _answer(_send(world, probe, never))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(2**31, id="2**31"),
        pytest.param(2**63, id="2**63"),
    ],
)
@pytest.mark.parametrize(
    "route",
    [
        "GET feedback/{v}",
        "POST feedback/{v}/messages",
        "GET feedback/messages/{v}/edit",
        "POST feedback/messages/{v}/edit",
        "GET feedback/activities/{v}",
        "POST feedback/activities/{placement}/students/{v}",
        "POST feedback/new student={v}",
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(world: World, route: str, value: int):
    """An id past the database's integers cannot even be compared: still a 404, never a 500."""
    method, _, rest = route.partition(" ")
    path, _, field_value = rest.partition(" ")
    staff = world.probers["staff of A"]
    path = path.format(v=value, placement=world.a.placement)
    if method == "GET":
        response = staff.open(path)
    else:
        form = dict([field_value.format(v=value).split("=")]) if field_value else {}
        response = staff.send(path, {"title": "t", "body": "x", **form})
    assert response.status_code == 404, response.text[:300]


def test_the_new_conversation_form_names_no_student_of_another_course(world: World) -> None:
    """`?student=` only preselects a student of this course; another course's is not shown."""
    amara = world.a.people["amara"]
    response = world.probers["staff of B"].open(f"feedback/new?student={amara}")
    assert response.status_code == 200
    assert f'value="{amara}"' not in response.text and " selected" not in response.text
    # Course B's own Amara (another person, the same name) is offered, and not chosen.
    assert f'<option value="{world.b.people["amara"]}">Amara Okafor<' in response.text
