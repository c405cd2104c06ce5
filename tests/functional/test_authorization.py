"""Who may do what, for the whole app: a table generated from the app's URL map.

Every route and method of the tool has an entry below, and every entry is tried by every kind
of visitor, over real launches and HTTP, each cell asserting the answer's status and its effect:
a refusal writes nothing to the database, an allowed form writes something. A route added
without an entry fails `test_every_route_has_an_entry`.

The course (course A) keeps feedback private to a student's tutor and the instructors, so that
a teaching assistant who is not the tutor differs from the tutor. Its people:
  "student"       Amara, whose thread, check-in answer and introduction the routes name
  "classmate"     Ben, another student of course A
  "TA not tutor"  Uma, a teaching assistant who tutors nobody
  "tutor"         Tomás, a teaching assistant and Amara's tutor
  "instructor"    Margaret, who runs course A
and those who must get nothing of course A:
  "no session"    a browser that never launched (its forms stop at the CSRF check: 400)
  "student elsewhere", "instructor elsewhere"  members of course B only, on the same platform
  "other platform"  an instructor on another platform with Margaret's `sub` and course A's
                  context id (a different person in a different course, whatever the ids say)
  "demoted"       a TA's browser after the LMS launched them again as a Learner: treated as
                  the student they now are (as "classmate")
  "removed"       a TA's browser after the roster marked them inactive: nothing
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import event, select, update

from lti_tool.db import transaction
from lti_tool.extensions import cache
from lti_tool.jobs import jobs
from lti_tool.models import (
    CheckInResponse,
    Course,
    CourseSetting,
    FeedbackMessage,
    GradableActivity,
    Membership,
    Occurrence,
    Person,
    Post,
    PostKind,
    Reply,
    Snippet,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.feedback.settings import TUTOR_AND_INSTRUCTORS, VISIBILITY
from lti_tool.services.placements import PlacementChoice, create_placements
from lti_tool.views.deep_linking import PendingRequest
from tests.conftest import register, state, without_rate_limits
from tests.functional.checkins.test_checkins import WEEKLY
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock, write_news
from tests.platform import LEARNER, TestPlatform

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
NOW = datetime(2027, 1, 25, 12, 0, tzinfo=UTC)

INSIDE = ("student", "classmate", "TA not tutor", "tutor", "instructor")
OUTSIDE = ("student elsewhere", "instructor elsewhere", "other platform", "removed")
VISITORS = ("no session", *INSIDE, *OUTSIDE[:3], "demoted", OUTSIDE[3])

# Tables a read writes by design (who has seen a post, when a thread was last read).
READ_RECEIPTS = frozenset({"post_view", "feedback_read"})


# -- the world ----------------------------------------------------------------------------------


@dataclass
class World:
    app: Flask
    url: str
    course: int
    people: dict[str, int]  # sub -> person id
    ids: dict[str, int]  # shared objects of course A
    browsers: dict[str, Visitor | None]
    tokens: dict[str, str]
    serial: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))

    def insert(self, row: Any) -> int:
        with transaction(state(self.app).sessions) as session:
            session.add(row)
            session.flush()
            return int(row.id)


def _person_ids(app: Flask) -> dict[str, int]:
    with transaction(state(app).sessions) as session:
        # Course A's people are all on platform A: their subs are unique there.
        rows = session.execute(select(Person.sub, Person.id).order_by(Person.id)).all()
    found: dict[str, int] = {}
    for sub, person_id in rows:
        found.setdefault(sub, person_id)  # platform A's people launched first
    return found


def _created(response: requests.Response, pattern: str) -> int:
    assert response.status_code in {302, 303}, response.text[:400]
    found = re.search(pattern, response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


@pytest.fixture
def world(tool: tuple[Flask, str], platform: TestPlatform) -> World:
    app, url = tool
    without_rate_limits(app)
    use_clock(app, Clock(NOW))
    instructor = teacher(platform, url)
    tutor = enter(platform, url, "ta", TA, name="Tomás Rivera")
    uma = enter(platform, url, "uma", TA, name="Uma Ito")
    amara = enter(platform, url, "amara", name="Amara Okafor")
    ben = enter(platform, url, "ben", name="Ben Brook")
    demoted = enter(platform, url, "dee", TA, name="Dee Demir")
    removed = enter(platform, url, "rex", TA, name="Rex Roe")
    elsewhere_teacher = teacher(platform, url, sub="teacher-b", context="course-b")
    elsewhere_student = enter(platform, url, "carla", context="course-b", name="Carla Cruz")
    course = int(instructor.course.strip("/").split("/")[1])
    people = _person_ids(app)

    with TestPlatform("https://other-lms.example.org", "client-9", "dep-9").running() as other:
        register(app, other)
        other_platform = teacher(other, url)  # Margaret's sub, course A's context id
    browsers: dict[str, Visitor | None] = {
        "no session": None,
        "student": amara,
        "classmate": ben,
        "TA not tutor": uma,
        "tutor": tutor,
        "instructor": instructor,
        "student elsewhere": elsewhere_student,
        "instructor elsewhere": elsewhere_teacher,
        "other platform": other_platform,
        "demoted": demoted,
        "removed": removed,
    }
    tokens = {kind: b.csrf() for kind, b in browsers.items() if b is not None}

    # Course A's things, made the way staff and students make them.
    assert (
        instructor.post(
            "tutors/allocate", {"student_id": people["amara"], "tutor_id": people["ta"]}
        ).status_code
        == 303
    )
    started = instructor.post(
        "feedback/new",
        {"student": people["amara"], "title": "Your essay", "body": "PRIVATE-THREAD words."},
    )
    thread = _created(started, r"/feedback/(\d+)")
    assert amara.post(f"feedback/{thread}/messages", {"body": "Thank you."}).status_code == 303
    checkin = _created(instructor.post("checkins/new", WEEKLY), r"/checkins/(\d+)")
    with transaction(state(app).sessions) as session:
        occurrence = session.scalars(
            select(Occurrence.id)
            .where(Occurrence.checkin_id == checkin)
            .order_by(Occurrence.number)
        ).first()
        [placement] = create_placements(
            session, course, None, [PlacementChoice("feedback", "Essay on Keats", True, 10.0)]
        )
        placement_id = placement.id
    answered = amara.post(
        f"checkins/occurrences/{occurrence}/answer", {"scale": "2", "text": "Lost.", "talk": "on"}
    )
    assert answered.status_code == 303, answered.text[:300]
    opened = instructor.post(f"feedback/activities/{placement_id}/students/{people['amara']}")
    graded_thread = _created(opened, r"/feedback/(\d+)")
    graded = instructor.post(f"feedback/{graded_thread}/messages", {"body": "Good.", "grade": "8"})
    assert graded.status_code == 303
    saved = instructor.post("snippets", {"action": "save", "title": "Welcome", "body": "Hi!"})
    assert saved.status_code == 303
    bulk = instructor.post(
        "snippets/start", {"student": people["amara"], "title": "Week 1", "body": "Hello."}
    )
    bulk_id = _created(bulk, r"/snippets/runs/(\d+)")
    news = write_news(instructor, "Welcome to the course")
    assert amara.post("introduction", {"body": "Hi, I'm Amara."}).status_code == 303
    jobs(app).run_pending()
    with transaction(state(app).sessions) as session:
        session.add(CourseSetting(course_id=course, key=VISIBILITY, value=TUTOR_AND_INSTRUCTORS))
        ids = {
            "thread": thread,
            "checkin": checkin,
            "occurrence": occurrence,
            "placement": placement_id,
            "news": news,
            "bulk": bulk_id,
            "response": session.scalars(select(CheckInResponse.id)).one(),
            "activity": session.scalars(select(GradableActivity.id)).one(),
            "snippet": session.scalars(select(Snippet.id)).one(),
        }
    # The LMS launches Dee again as a Learner (another browser); the roster drops Rex.
    enter(platform, url, "dee", LEARNER, name="Dee Demir")
    with transaction(state(app).sessions) as session:
        session.execute(
            update(Membership)
            .where(Membership.person_id == people["rex"], Membership.course_id == course)
            .values(active=False)
        )
    return World(app, url, course, people, ids, browsers, tokens)


# -- targets made fresh for each cell, so one visitor's success does not decide the next ---------


def _fresh_news(w: World) -> dict[str, int]:
    post = Post(
        course_id=w.course,
        author_id=w.people["teacher"],
        kind=PostKind.NEWS,
        title="Margaret's news",
        body="News.",
        body_html="<p>News.</p>",
        publish_at=NOW,
        created_at=NOW,
    )
    return {"post_id": w.insert(post)}


def _fresh_deleted_news(w: World) -> dict[str, int]:
    made = _fresh_news(w)
    with transaction(state(w.app).sessions) as session:
        session.get_one(Post, made["post_id"]).deleted_at = NOW
    return made


def _fresh_reply(w: World) -> dict[str, int]:
    reply = Reply(
        post_id=w.ids["news"], author_id=w.people["ben"], body="Hi", body_html="<p>Hi</p>"
    )
    return {"reply_id": w.insert(reply)}


def _fresh_message(w: World) -> dict[str, int]:
    message = FeedbackMessage(
        thread_id=w.ids["thread"],
        author_id=w.people["teacher"],
        body="Margaret's words.",
        body_html="<p>Margaret's words.</p>",
        created_at=NOW,
    )
    return {"message_id": w.insert(message)}


def _fresh_request(w: World) -> dict[str, Any]:
    """A deep-linking request Margaret's launch left waiting (as `start_deep_linking` does)."""
    request_id = secrets.token_urlsafe(32)
    pending = PendingRequest(
        course_id=w.course,
        person_id=w.people["teacher"],
        client_id="client-1",
        platform_issuer="https://lms.example.edu",
        deployment_id="dep-1",
        settings_claim={
            "deep_link_return_url": "https://lms.example.edu/deep-link/return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
        },
    )
    with w.app.app_context():
        cache.set("deep-linking:" + request_id, asdict(pending), timeout=600)
    return {"request_id": request_id}


def _fresh_occurrence(w: World) -> dict[str, int]:
    """A week of the check-in, open now, that nobody has answered yet."""
    week = Occurrence(
        checkin_id=w.ids["checkin"],
        number=100 + next(w.serial),
        opens_at=NOW,
        closes_at=NOW.replace(day=28),
    )
    return {"occurrence_id": w.insert(week)}


def _fresh_response(w: World) -> dict[str, int]:
    """Amara's answer to a fresh week, low, asking to talk."""
    week = _fresh_occurrence(w)["occurrence_id"]
    answer = CheckInResponse(
        occurrence_id=week,
        student_id=w.people["amara"],
        answers={"scale": 1, "text": "Lost.", "talk": True},
        score=1,
        wants_talk=True,
    )
    return {"response_id": w.insert(answer)}


def _fresh_placement(w: World) -> dict[str, int]:
    """A feedback activity nobody has a thread for yet, and Amara."""
    with transaction(state(w.app).sessions) as session:
        [placement] = create_placements(
            session, w.course, None, [PlacementChoice("feedback", "Reading log", False, None)]
        )
        return {"placement_id": placement.id, "student_id": w.people["amara"]}


def _fresh_student(w: World) -> dict[str, int]:
    """A student of course A nobody tutors yet (what sharing out tutees acts on)."""
    with transaction(state(w.app).sessions) as session:
        registration = session.scalars(
            select(Person.registration_id).where(Person.id == w.people["amara"])
        ).one()
        person = Person(registration_id=registration, sub=f"new-{next(w.serial)}", name="New")
        session.add(person)
        session.flush()
        session.add(Membership(course_id=w.course, person_id=person.id, role=CourseRole.STUDENT))
    return {}


def _fresh_checkin_link(w: World) -> dict[str, int]:
    """A check-in link opening none of the course's check-ins (as one the LMS copied)."""
    with transaction(state(w.app).sessions) as session:
        [placement] = create_placements(
            session, w.course, None, [PlacementChoice("checkin", "Weekly", False, None)]
        )
        return {"placement_id": placement.id}


def _fresh_source(w: World) -> dict[str, int]:
    """Another course of the platform where Margaret is staff: one to bring a set-up from."""
    with transaction(state(w.app).sessions) as session:
        margaret = session.get_one(Person, w.people["teacher"])
        source = Course(
            registration_id=margaret.registration_id, context_id=f"src-{next(w.serial)}"
        )
        session.add(source)
        session.flush()
        session.add(Membership(course_id=source.id, person_id=margaret.id, role=CourseRole.STAFF))
        w.ids["source"] = source.id
    return _fresh_rollover(w)


def _fresh_rollover(w: World) -> dict[str, int]:
    """Course A as it was before anyone brought a set-up over or chose to start afresh."""
    with transaction(state(w.app).sessions) as session:
        course = session.get_one(Course, w.course)
        course.brought_over_from_id = course.rollover_closed_at = None
    return {}


def _shared(**names: str) -> Callable[[World], dict[str, int]]:
    return lambda w: {param: w.ids[key] for param, key in names.items()}


def _amara(w: World) -> dict[str, int]:
    return {"student_id": w.people["amara"]}


# -- the entries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """Who gets what from one route and method.

    `inside`: the answers of student, classmate, TA not tutor, tutor and instructor, in that
    order ("-" for a GET that answers 200 without the private marker). The other visitors
    follow from the rule, not from the route: "no session" 403 (400 for a form, the CSRF check);
    members of another course or platform and "removed" 403; "demoted" as "classmate".
    `target`: the path's ids; `form`: what a person would submit; `writes`: whether an allowed
    form changes something (a preview does not); `marker`: text only those allowed to see the
    private object find on the page.
    """

    inside: tuple[int | str, ...]
    target: Callable[[World], dict[str, Any]] = lambda w: {}
    form: Callable[[World, int], dict[str, Any]] = lambda w, n: {}
    writes: bool = True
    marker: str | None = None
    public: bool = False  # not a course page: the same for everyone

    def expected(self, visitor: str, method: str) -> int | str:
        if self.public:
            return self.inside[0]
        if visitor in INSIDE:
            return self.inside[INSIDE.index(visitor)]
        if visitor == "demoted":
            return self.inside[INSIDE.index("classmate")]
        if visitor == "no session" and method == "POST":
            return 400
        return 403


def _everyone(status: int) -> Entry:
    return Entry((status,), public=True)


STAFF_PAGE = (403, 403, 200, 200, 200)
STAFF_FORM = (403, 403, 303, 303, 303)
INSTRUCTOR_PAGE = (403, 403, 403, 403, 200)
INSTRUCTOR_FORM = (403, 403, 403, 403, 303)
MEMBER_PAGE = (200, 200, 200, 200, 200)
MEMBER_FORM = (303, 303, 303, 303, 303)
THREAD_PAGE = (200, 404, 404, 200, 200)  # Amara's thread: hers, her tutor's, the instructor's
THREAD_FORM = (303, 404, 404, 303, 303)

ENTRIES: dict[tuple[str, str], Entry] = {
    # Not course pages: the same answer for everyone.
    ("about.index", "GET"): _everyone(200),
    ("health.healthz", "GET"): _everyone(200),
    # Counts only, no person in them; served to loopback and private addresses when no
    # METRICS_TOKEN is set, and every visitor here comes from loopback (the guard itself:
    # tests/functional/test_observability.py).
    ("metrics.metrics", "GET"): _everyone(200),
    ("lti.jwks", "GET"): _everyone(200),
    ("install.canvas_json", "GET"): _everyone(200),
    ("install.register", "GET"): _everyone(400),  # no openid_configuration: told what is missing
    ("lti.login", "GET"): _everyone(400),  # no iss: not a login a platform started
    ("lti.login", "POST"): _everyone(400),
    ("lti.launch", "POST"): _everyone(400),  # no id_token
    # The reader's time zone, kept in their own session only: without one named, refused.
    ("language.zone", "POST"): _everyone(400),
    # The course.
    ("course.home", "GET"): Entry(MEMBER_PAGE),
    ("settings.index", "GET"): Entry(INSTRUCTOR_PAGE),
    ("audit.index", "GET"): Entry(INSTRUCTOR_PAGE),
    # The whole course as a ZIP: every student's words, so those who run the course only (its
    # one write is the activity log's entry saying who downloaded it).
    ("archive.download", "POST"): Entry((403, 403, 403, 403, 200)),
    ("settings.index", "POST"): Entry(
        INSTRUCTOR_FORM, form=lambda w, n: {"contact.goal_days": str(n % 20 + 1)}
    ),
    # Bringing a set-up over from another course: those who run the course, once.
    ("rollover.index", "GET"): Entry(INSTRUCTOR_PAGE),
    ("rollover.index", "POST"): Entry(
        INSTRUCTOR_FORM, _fresh_source, lambda w, n: {"source": w.ids["source"]}
    ),
    ("rollover.not_now", "POST"): Entry(INSTRUCTOR_FORM, _fresh_rollover),
    ("roster.people", "GET"): Entry(STAFF_PAGE),
    # The test platform offers no NRPS here: a refresh says so and changes nothing (the sync
    # itself: tests/functional/roster).
    ("roster.refresh", "POST"): Entry(STAFF_FORM, writes=False),
    # The newsfeed.
    ("newsfeed.introductions", "GET"): Entry(MEMBER_PAGE),
    ("newsfeed.introduction", "GET"): Entry(MEMBER_PAGE),
    ("newsfeed.introduction", "POST"): Entry(
        MEMBER_FORM, form=lambda w, n: {"body": f"Hello, take {n}."}
    ),
    ("newsfeed.my_profile", "GET"): Entry(STAFF_PAGE),
    ("newsfeed.my_profile", "POST"): Entry(
        STAFF_FORM, form=lambda w, n: {"role_title": f"Tutor {n}", "reach": "Mondays"}
    ),
    ("newsfeed.new", "GET"): Entry(STAFF_PAGE),
    ("newsfeed.new", "POST"): Entry(
        STAFF_FORM, form=lambda w, n: {"title": f"News {n}", "body": "Hello.", "when": "now"}
    ),
    ("newsfeed.post", "GET"): Entry(MEMBER_PAGE, _shared(post_id="news")),
    ("newsfeed.seen", "GET"): Entry(STAFF_PAGE, _shared(post_id="news")),
    ("newsfeed.deleted", "GET"): Entry(STAFF_PAGE),
    # Margaret's post: a TA edits, deletes and restores only their own.
    ("newsfeed.edit", "GET"): Entry(INSTRUCTOR_PAGE, _fresh_news),
    ("newsfeed.edit", "POST"): Entry(
        INSTRUCTOR_FORM, _fresh_news, lambda w, n: {"title": "Edited", "body": f"Now {n}."}
    ),
    ("newsfeed.delete", "POST"): Entry(INSTRUCTOR_FORM, _fresh_news),
    ("newsfeed.restore", "POST"): Entry(INSTRUCTOR_FORM, _fresh_deleted_news),
    ("newsfeed.pin", "POST"): Entry(STAFF_FORM, _fresh_news, lambda w, n: {"pinned": "1"}),
    ("newsfeed.react", "POST"): Entry(
        MEMBER_FORM, _shared(post_id="news"), lambda w, n: {"reaction": "like"}
    ),
    ("newsfeed.reply", "POST"): Entry(
        MEMBER_FORM, _shared(post_id="news"), lambda w, n: {"body": f"Reply {n}"}
    ),
    ("newsfeed.hide_reply", "POST"): Entry(STAFF_FORM, _fresh_reply, lambda w, n: {"hidden": "1"}),
    # Feedback: Amara's thread is hers, her tutor's and the instructors'.
    ("feedback.index", "GET"): Entry(("200", "200-", "200-", "200", "200"), marker="Your essay"),
    ("feedback.thread", "GET"): Entry(THREAD_PAGE, _shared(thread_id="thread")),
    ("feedback.reply", "POST"): Entry(
        THREAD_FORM, _shared(thread_id="thread"), lambda w, n: {"body": f"Words {n}."}
    ),
    # Margaret's message in Amara's thread: those who read the thread are told it is not theirs.
    ("feedback.edit_message", "GET"): Entry((403, 404, 404, 403, 200), _fresh_message),
    ("feedback.edit_message", "POST"): Entry(
        (403, 404, 404, 403, 303), _fresh_message, lambda w, n: {"body": f"Better {n}."}
    ),
    # Students write first (the course's default): a thread of their own, nobody else's.
    ("feedback.new", "GET"): Entry((200, 200, 200, 200, 200)),
    ("feedback.new", "POST"): Entry(
        (303, 404, 403, 303, 303),
        form=lambda w, n: {"student": w.people["amara"], "title": f"T{n}", "body": "Hi."},
    ),
    ("feedback.activity", "GET"): Entry(
        (302, 302, "200-", "200", "200"), _shared(placement_id="placement"), marker="Amara Okafor"
    ),
    ("feedback.activity_thread", "POST"): Entry((403, 403, 403, 303, 303), _fresh_placement),
    # Check-ins.
    ("checkins.index", "GET"): Entry(MEMBER_PAGE),
    ("checkins.mine", "GET"): Entry((200, 200, 403, 403, 403)),
    # A placed link with no check-in bound to it lands on the list (the landing itself:
    # tests/functional/checkins/test_placed.py).
    ("checkins.placed", "GET"): Entry((303,) * 5, _shared(placement_id="placement")),
    # A link the LMS copied whose check-in did not come over: staff choose what it opens.
    ("checkins.choose_placed", "GET"): Entry(STAFF_PAGE, _fresh_checkin_link),
    ("checkins.choose_placed", "POST"): Entry(
        STAFF_FORM, _fresh_checkin_link, lambda w, n: {"checkin": w.ids["checkin"]}
    ),
    ("checkins.new", "GET"): Entry(STAFF_PAGE),
    ("checkins.new", "POST"): Entry(STAFF_FORM, form=lambda w, n: {**WEEKLY, "title": f"C{n}"}),
    ("checkins.overview", "GET"): Entry(STAFF_PAGE, _shared(checkin_id="checkin")),
    ("checkins.export", "GET"): Entry(STAFF_PAGE, _shared(checkin_id="checkin")),
    ("checkins.triage", "GET"): Entry(STAFF_PAGE),
    ("checkins.answer", "GET"): Entry((200, 200, 403, 403, 403), _fresh_occurrence),
    ("checkins.answer", "POST"): Entry(
        (303, 303, 403, 403, 403),
        _fresh_occurrence,
        lambda w, n: {"scale": str(n % 5 + 1), "text": f"Week {n}."},
    ),
    ("checkins.missing", "GET"): Entry(STAFF_PAGE, _fresh_occurrence),
    # A nudge goes to those the sender may write to: Amara is not Uma's to write to (400).
    ("checkins.missing", "POST"): Entry(
        (403, 403, 400, 200, 200),
        _fresh_occurrence,
        lambda w, n: {"student": w.people["amara"], "body": f"Missed you {n}."},
    ),
    # A check-in answer is staff's to see: to students it does not exist (404).
    ("checkins.answer_response", "POST"): Entry(
        (404, 404, 403, 303, 303),
        _fresh_response,
        lambda w, n: {"body": f"Let's talk, {n}."},
    ),
    ("checkins.handle", "POST"): Entry((404, 404, 303, 303, 303), _fresh_response),
    # The relationship dashboard.
    ("dashboard.index", "GET"): Entry(STAFF_PAGE),
    ("dashboard.export", "GET"): Entry(STAFF_PAGE),
    ("dashboard.flag", "POST"): Entry(
        (403, 403, 303, 303, 303), _amara, lambda w, n: {"flagged": str(n % 2)}
    ),
    # Tutors.
    ("tutors.index", "GET"): Entry(STAFF_PAGE),
    ("tutors.history", "GET"): Entry(STAFF_PAGE, _amara),
    ("tutors.allocate", "POST"): Entry(
        STAFF_FORM,
        form=lambda w, n: {
            "student_id": w.people["ben"],
            "tutor_id": w.people[("uma", "ta", "teacher")[n % 3]],
        },
    ),
    ("tutors.balance", "POST"): Entry(
        STAFF_FORM,
        _fresh_student,
        form=lambda w, n: {"tutors": [w.people["ta"]], "scope": "unallocated"},
    ),
    # Snippets and bulk starts.
    ("snippets.index", "GET"): Entry(STAFF_PAGE),
    ("snippets.index", "POST"): Entry(
        STAFF_FORM, form=lambda w, n: {"action": "save", "title": f"S{n}", "body": "Hi."}
    ),
    ("snippets.start", "GET"): Entry(STAFF_PAGE),
    # Uma may not write to Amara in this course: her preview and start are refused (400).
    ("snippets.preview", "POST"): Entry(
        (403, 403, 400, 200, 200),
        form=lambda w, n: {"student": w.people["amara"], "title": "T", "body": f"B{n}"},
        writes=False,
    ),
    ("snippets.confirm", "POST"): Entry(
        (403, 403, 400, 303, 303),
        form=lambda w, n: {"student": w.people["amara"], "title": "T", "body": f"B{n}"},
    ),
    ("snippets.progress", "GET"): Entry(STAFF_PAGE, _shared(bulk_id="bulk")),
    # Email: each member's own choice; the unsubscribe link is signed (a forged one is 404).
    ("notifications.preferences", "GET"): Entry(MEMBER_PAGE),
    ("notifications.preferences", "POST"): Entry(MEMBER_FORM, form=lambda w, n: {"mode": "daily"}),
    ("notifications.unsubscribe", "GET"): Entry((404,), lambda w: {"token": "forged"}, public=True),
    ("notifications.unsubscribe", "POST"): Entry(
        (404,), lambda w: {"token": "forged"}, public=True
    ),
    # Grades.
    ("grades.index", "GET"): Entry(STAFF_PAGE),
    ("grades.activity", "GET"): Entry(STAFF_PAGE, _shared(activity_id="activity")),
    ("grades.retry", "POST"): Entry(STAFF_FORM, _shared(activity_id="activity")),
    # Deep linking: Margaret's request, in her session only.
    ("deep_linking.picker", "GET"): Entry((403, 403, 404, 404, 200), _fresh_request),
    ("deep_linking.place", "POST"): Entry(
        (403, 403, 404, 404, 200),
        _fresh_request,
        lambda w, n: {"kind": "course_home", "title-course_home": f"Rapport {n}"},
    ),
    # Cancelling answers the LMS and forgets the request (in the cache, not the database).
    ("deep_linking.cancel", "POST"): Entry((403, 403, 404, 404, 200), _fresh_request, writes=False),
}


# -- the table ------------------------------------------------------------------------------------


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"} and rule.endpoint != "static"
    }


def test_every_route_has_an_entry(make_app):
    """A route added to the tool without saying who may use it fails here. The demo LMS's routes
    exist only with RAPPORT_DEMO (checked below), and belong to the demo platform."""
    tool_routes = _routes(make_app())
    assert sorted(tool_routes - set(ENTRIES)) == [], "routes without an entry in ENTRIES"
    assert sorted(set(ENTRIES) - tool_routes) == [], "entries for routes that no longer exist"
    demo_routes = _routes(make_app(demo=True)) - tool_routes
    assert demo_routes and all(endpoint.startswith("demo.") for endpoint, _ in demo_routes)


def test_the_demo_lms_is_not_there_without_demo(app):
    client = app.test_client()
    for path in ("/demo", "/demo/token", "/demo/nrps/course-1/memberships", "/demo/jwks.json"):
        assert client.get(path).status_code == 404, path


@contextmanager
def _writes(app: Flask) -> Iterator[set[str]]:
    """The tables whose writes were committed while the block ran (the app serves from this
    process); writes rolled back, as a refusal's are, do not count."""
    committed: set[str] = set()
    pending: dict[int, set[str]] = {}

    def seen(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found = re.match(r"\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", statement, re.I)
        if found:
            pending.setdefault(id(conn), set()).add(found.group(1))

    def commit(conn: Any) -> None:
        committed.update(pending.pop(id(conn), set()))

    def rollback(conn: Any) -> None:
        pending.pop(id(conn), None)

    engine = state(app).engine
    hooks = [("before_cursor_execute", seen), ("commit", commit), ("rollback", rollback)]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield committed
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


def _path(rule: str, course: int, values: dict[str, Any]) -> str:
    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        return str(course if name == "course_id" else values[name])

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule)


def _answer(world: World, visitor: str, method: str, path: str, form: dict[str, Any]) -> Any:
    browser = world.browsers[visitor]
    http = browser.http if browser is not None else requests.Session()
    if method == "GET":
        return http.get(world.url + path, allow_redirects=False)
    body = dict(form)
    if visitor in world.tokens:
        body["csrf_token"] = world.tokens[visitor]
    return http.post(world.url + path, data=body, allow_redirects=False)


def test_the_whole_app_by_every_kind_of_visitor(world):
    app = world.app
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    cells: list[tuple[str, str, str, Any, Any, str]] = []
    for (endpoint, method), entry in sorted(ENTRIES.items()):
        for visitor in VISITORS:
            n = next(world.serial)
            values = entry.target(world)
            path = _path(rules[endpoint], world.course, values)
            form = entry.form(world, n)
            with _writes(app) as written:
                response = _answer(world, visitor, method, path, form)
                jobs(app).run_pending()  # a roster refresh's sync is part of its effect
            expected = entry.expected(visitor, method)
            status = response.status_code
            got: int | str = status
            if isinstance(expected, str) and status == 200:
                got = "200" if entry.marker and entry.marker in response.text else "200-"
            effects = written - READ_RECEIPTS
            if status >= 400:
                effect = "nothing" if not effects else f"wrote {sorted(effects)}"
                want_effect = "nothing"
            elif method == "POST" and entry.writes:
                effect = "wrote" if effects else "nothing"
                want_effect = "wrote"
            else:
                effect = want_effect = "-"
            if (got, effect) != (expected, want_effect):
                said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))[-900:]
                cells.append((f"{method} {endpoint}", visitor, path, expected, got, effect, said))
    assert cells == [], "\n".join(map(str, cells))
    size = len(ENTRIES) * len(VISITORS)
    assert size >= 70 * 11
