"""Who may do what with check-ins, over real launches: the issue's table of roles by actions,
each cell checked by its HTTP answer and by what it did (or did not) change; then every route
probed with check-in, occurrence and response ids of another course, and with ids past any
database integer; then an anonymous check-in, whose answers no staff page may put a name to.

Issue 6: staff create, triage and answer; students answer their own and see their history;
mentors and everyone else see none of it; "anonymous (staff see only aggregates and cannot
follow up)".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, url_for
from sqlalchemy import func, insert, select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    FeedbackMessage,
    FeedbackThread,
    GradeDelivery,
    Membership,
    Person,
    Registration,
    ResponseStatus,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import service as checkins
from lti_tool.services.checkins.schedule import parse_schedule
from lti_tool.services.checkins.service import CheckInForm
from tests.conftest import (
    RunningTool,
    running_tool,
    state,
)
from tests.functional.checkins.test_checkins import WEEKLY, occurrence_ids
from tests.newsfeed_flow import MENTOR, Clock, Visitor, enter, teacher, use_clock
from tests.platform import INSTRUCTOR, LEARNER

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"

# Each cell is the HTTP answer, and whether the action took effect:
#   "303" done, and redirected; "200" a page shown with what the action is for in it (the
#   check-in listed, Amara's answer triaged, Cleo listed as not answered, a nudge sent to her);
#   "200-" a page shown without it (another student's history holds no word of Amara's);
#   "403" and "404": refused, nothing changed ("404" where the refusal names a response: a
#   response of the course is not found by anyone but its staff).
# The course: a weekly check-in, open now, that Amara answered (a 2, some words, and a request
# to talk); a second weekly check-in, open now, that nobody answered; Ben and Cleo, students
# who answered neither. Tomás is a TA.
# "answer response": reply to Amara's response in her feedback thread; "handle": mark it
#   handled without a reply; "non-respondents" / "nudge": the first check-in's page of who has
#   not answered, and a message to Cleo from it; "answer check-in": a first answer to the second
#   check-in; "change answer": a new answer to the first check-in, over the browser's person's
#   own response (put there directly for those who could never write one, so that the rule
#   cannot rest on having a response; "no session" has no person, and tries Amara's);
#   "history": the student's own answers ("200" when Amara's are shown); "csv": the export,
#   checked only once the `checkins.export` route exists.
# "another course" is the staff member of course B, in a browser that launched into B only,
# trying course A's URLs; "no session" a browser that never launched: its forms are refused by
# the CSRF check first (400, checked too), the cells say what the grant check answers next.
EXPECTED: dict[str, dict[str, str]] = {
    "instructor": {
        "list": "200", "create": "303", "overview": "200", "triage": "200",
        "answer response": "303", "handle": "303", "non-respondents": "200", "nudge": "200",
        "answer check-in": "403", "change answer": "403", "history": "403", "csv": "200",
    },
    "TA": {
        "list": "200", "create": "303", "overview": "200", "triage": "200",
        "answer response": "303", "handle": "303", "non-respondents": "200", "nudge": "200",
        "answer check-in": "403", "change answer": "403", "history": "403", "csv": "200",
    },
    "the response's student": {
        "list": "200", "create": "403", "overview": "403", "triage": "403",
        "answer response": "404", "handle": "404", "non-respondents": "403", "nudge": "403",
        "answer check-in": "303", "change answer": "303", "history": "200", "csv": "403",
    },
    "another student": {
        "list": "200", "create": "403", "overview": "403", "triage": "403",
        "answer response": "404", "handle": "404", "non-respondents": "403", "nudge": "403",
        "answer check-in": "303", "change answer": "303", "history": "200-", "csv": "403",
    },
    "mentor": {
        "list": "403", "create": "403", "overview": "403", "triage": "403",
        "answer response": "404", "handle": "404", "non-respondents": "403", "nudge": "403",
        "answer check-in": "403", "change answer": "403", "history": "403", "csv": "403",
    },
    "another course": {
        "list": "403", "create": "403", "overview": "403", "triage": "403",
        "answer response": "403", "handle": "403", "non-respondents": "403", "nudge": "403",
        "answer check-in": "403", "change answer": "403", "history": "403", "csv": "403",
    },
    "no session": {
        "list": "403", "create": "403", "overview": "403", "triage": "403",
        "answer response": "403", "handle": "403", "non-respondents": "403", "nudge": "403",
        "answer check-in": "403", "change answer": "403", "history": "403", "csv": "403",
    },
}  # fmt: skip
# 7 roles by 12 actions: 84 cells (77 while there is no `checkins.export` route to download).
CELLS = [(role, action) for role, row in EXPECTED.items() for action in row]
READ_ONLY = ("list", "overview", "triage", "non-respondents", "history", "csv")

WORDS = "Lost on metre this week."  # Amara's answer
REPLY = "We can talk on Monday."
NUDGE = "Hello {first_name}, how is {activity_title} going?"


@pytest.fixture(scope="module")
def rapport(
    tmp_path_factory: pytest.TempPathFactory, db_templates: Path
) -> Iterator[RunningTool]:
    """One running Rapport for this module; every test works in courses of its own."""
    with running_tool(tmp_path_factory.mktemp("rapport"), db_templates) as running:
        use_clock(running.app, Clock())
        yield running


# -- a course with check-ins ------------------------------------------------------------------

# key: (name, course role, LTI roles) of the people put on the roster (as NRPS would).
ROSTER = {
    "amara": ("Amara Okafor", CourseRole.STUDENT, [LEARNER]),
    "ben": ("Ben Adeyemi", CourseRole.STUDENT, [LEARNER]),
    "cleo": ("Cleo Martins", CourseRole.STUDENT, [LEARNER]),
    "tomas": ("Tomás Rivera", CourseRole.STAFF, [TA]),
}


def email_of(key: str) -> str:
    return f"{key}.{ROSTER[key][0].split()[1].lower()}@example.edu"


@dataclass
class CheckInCourse:
    tool: RunningTool
    context: str
    staff: Visitor
    people: dict[str, int]  # ROSTER keys, and "teacher"
    checkin: int  # the one Amara answered
    occurrence: int  # its first, open now
    response: int  # Amara's
    second_checkin: int  # open now, answered by nobody
    second_occurrence: int
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def app(self) -> Flask:
        return self.tool.app

    @property
    def id(self) -> int:
        return course_id_of(self.staff)

    def sub(self, key: str) -> str:
        return f"{key}-{self.context}"

    def enter(self, key: str, role: str = LEARNER) -> Visitor:
        """A launch as a roster person, with the name and email the roster has."""
        tool = self.tool
        if key not in ROSTER:
            return enter(tool.platform, tool.url, self.sub(key), role, context=self.context)
        name = ROSTER[key][0]
        claims = {"given_name": name.split()[0], "email": email_of(key)}
        return enter(
            tool.platform, tool.url, self.sub(key), role, name, context=self.context, **claims
        )


def course_id_of(visitor: Visitor) -> int:
    return int(visitor.course.strip("/").split("/")[1])


def roster_person(session: Any, course: int, sub: str, key: str) -> int:
    name, role, lti_roles = ROSTER[key]
    registration = session.scalars(select(Registration.id)).one()
    person = session.scalar(
        insert(Person)
        .values(
            registration_id=registration,
            sub=sub,
            name=name,
            given_name=name.split()[0],
            email=email_of(key),
        )
        .returning(Person.id)
    )
    session.execute(
        insert(Membership).values(
            course_id=course, person_id=person, role=role, lti_roles=lti_roles, active=True
        )
    )
    return int(person)


def weekly_form(title: str, anonymous: bool = False) -> CheckInForm:
    return CheckInForm(
        title=title,
        scale_prompt=WEEKLY["scale_prompt"],
        low_label=WEEKLY["low_label"],
        high_label=WEEKLY["high_label"],
        text_prompt=WEEKLY["text_prompt"],
        talk=True,
        anonymous=anonymous,
    )


WEEKLY_SCHEDULE = parse_schedule(
    WEEKLY["first"], WEEKLY["repeat"], WEEKLY["count"], WEEKLY["open_hours"], WEEKLY["time_zone"]
)


def checkin_course(tool: RunningTool, anonymous: bool = False) -> CheckInCourse:
    """A course of its own: an instructor's launch, a roster, two check-ins made as the form
    makes them, and Amara's answer to the first (through the service a student's form uses)."""
    context = f"course-{uuid.uuid4().hex[:8]}"
    staff = teacher(tool.platform, tool.url, context=context)
    course = course_id_of(staff)
    now: datetime = state(tool.app).clock()
    with transaction(state(tool.app).sessions) as session:
        people = {key: roster_person(session, course, f"{key}-{context}", key) for key in ROSTER}
        people["teacher"] = session.scalars(select(Person.id).where(Person.sub == "teacher")).one()
        lead = CourseGrant(course, people["teacher"], CourseRole.STAFF)
        ids = [
            checkins.create_checkin(
                session, lead, weekly_form(title, anonymous), WEEKLY_SCHEDULE, now
            ).id
            for title in (WEEKLY["title"], "Friday pulse")
        ]
    first, second = (occurrence_ids(tool.app, checkin)[0] for checkin in ids)
    with transaction(state(tool.app).sessions) as session:
        amara = CourseGrant(course, people["amara"], CourseRole.STUDENT)
        answers = {"scale": "2", "text": WORDS, "talk": "yes"}
        response = checkins.answer(session, amara, first, answers, now).id
    return CheckInCourse(tool, context, staff, people, ids[0], first, response, ids[1], second)


def count(app: Flask, model: type[Any], *where: Any) -> int:
    with state(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def response_row(app: Flask, response_id: int) -> CheckInResponse:
    with state(app).sessions() as session:
        return session.get_one(CheckInResponse, response_id)


def export_path(app: Flask, course: int, checkin: int) -> str | None:
    """The CSV export's path within the course, or None while the route does not exist."""
    if "checkins.export" not in app.view_functions:
        return None
    with app.test_request_context():
        path = url_for("checkins.export", course_id=course, checkin_id=checkin)
    prefix = f"/courses/{course}/"
    assert path.startswith(prefix), path
    return path[len(prefix) :]


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


def person_of(app: Flask, sub: str) -> int:
    with state(app).sessions() as session:
        return int(session.scalars(select(Person.id).where(Person.sub == sub)).one())


def browser_of(role: str, course: CheckInCourse) -> Browser:
    if role == "instructor":
        return Browser(course.staff, course.staff.csrf(), course.people["teacher"])
    if role == "TA":
        visitor = course.enter("tomas", TA)
        return Browser(visitor, visitor.csrf(), course.people["tomas"])
    if role in ("the response's student", "another student", "mentor"):
        key = {"the response's student": "amara", "another student": "ben"}.get(role, "mentor")
        visitor = course.enter(key, MENTOR if key == "mentor" else LEARNER)
        assert visitor.course == course.staff.course
        return Browser(visitor, visitor.csrf(), person_of(course.app, course.sub(key)))
    if role == "another course":
        tool = course.tool
        own = teacher(tool.platform, tool.url, "other-teacher", context=course.context + "-b")
        assert own.course != course.staff.course
        visitor = Visitor(own.url, own.http, course.staff.course)
        return Browser(visitor, own.csrf(), person_of(course.app, "other-teacher"))
    return Browser(Visitor(course.tool.url, requests.Session(), course.staff.course), None, None)


# -- actions: how a browser attempts each, and whether it took effect ------------------------

Attempt = Callable[[Browser, CheckInCourse], requests.Response]
TookEffect = Callable[[CheckInCourse, Browser, requests.Response], bool]
NEW_TITLE = "Made in this cell"


def own_response(browser: Browser, course: CheckInCourse) -> int:
    """The browser's person's response to the first check-in (see the table's note)."""
    if browser.person is None or browser.person == course.people["amara"]:
        return course.response
    now = state(course.app).clock()
    with transaction(state(course.app).sessions) as session:
        response = CheckInResponse(
            occurrence_id=course.occurrence,
            student_id=browser.person,
            answers={"scale": 3, "text": "As before.", "talk": False},
            score=3,
            submitted_at=now,
            updated_at=now,
        )
        session.add(response)
        session.flush()
        return response.id


def _change_answer(b: Browser, c: CheckInCourse) -> requests.Response:
    fields = {"scale": "5", "text": "Changed my mind."}
    return b.send(f"checkins/occurrences/{c.occurrence}/answer", fields)


def _changed(c: CheckInCourse, b: Browser, _: requests.Response) -> bool:
    row = response_row(c.app, c.extra["own"])
    mine = CheckInResponse.occurrence_id == c.occurrence
    if b.person is not None:
        assert count(c.app, CheckInResponse, mine, CheckInResponse.student_id == b.person) <= 1
    return row.score == 5 and row.answers.get("text") == "Changed my mind."


def _listed(c: CheckInCourse, _: Browser, shown: requests.Response) -> bool:
    return WEEKLY["title"] in shown.text and "Friday pulse" in shown.text


def _created(c: CheckInCourse, _: Browser, __: requests.Response) -> bool:
    return count(c.app, CheckIn, CheckIn.course_id == c.id, CheckIn.title == NEW_TITLE) == 1


def _overview(c: CheckInCourse, _: Browser, shown: requests.Response) -> bool:
    return WEEKLY["title"] in shown.text and "1 of 3" in shown.text


def _triaged(c: CheckInCourse, _: Browser, shown: requests.Response) -> bool:
    return "Amara Okafor" in shown.text and WORDS in shown.text


def _answered(c: CheckInCourse, b: Browser, _: requests.Response) -> bool:
    row = response_row(c.app, c.response)
    with state(c.app).sessions() as session:
        replies = session.scalar(
            select(func.count())
            .select_from(FeedbackMessage)
            .join(FeedbackThread, FeedbackThread.id == FeedbackMessage.thread_id)
            .where(
                FeedbackThread.student_id == c.people["amara"],
                FeedbackThread.checkin_id == c.checkin,
                FeedbackMessage.body.contains(REPLY),
                FeedbackMessage.body.contains(WORDS),  # her answer quoted
            )
        )
    done = row.status is ResponseStatus.ANSWERED and row.thread_id is not None
    assert done == (replies == 1), "the response marked answered without its message, or not"
    return done and row.handled_by_id == b.person


def _handled(c: CheckInCourse, b: Browser, _: requests.Response) -> bool:
    row = response_row(c.app, c.response)
    return row.status is ResponseStatus.HANDLED and row.handled_by_id == b.person


def _missing_listed(c: CheckInCourse, _: Browser, shown: requests.Response) -> bool:
    assert "Amara Okafor" not in shown.text
    return "Cleo Martins" in shown.text


def _nudged(c: CheckInCourse, _: Browser, shown: requests.Response) -> bool:
    jobs(c.app).run_pending()  # a worker writes the messages
    with state(c.app).sessions() as session:
        sent = session.scalar(
            select(func.count())
            .select_from(FeedbackMessage)
            .join(FeedbackThread, FeedbackThread.id == FeedbackMessage.thread_id)
            .where(
                FeedbackThread.student_id == c.people["cleo"],
                FeedbackThread.checkin_id == c.checkin,
                FeedbackMessage.body.startswith("Hello Cleo, how is Weekly check"),
            )
        )
    assert (sent == 1) == ("Sending 1 personal message" in shown.text)
    return sent == 1


def _first_answer(c: CheckInCourse, b: Browser, _: requests.Response) -> bool:
    where = [CheckInResponse.occurrence_id == c.second_occurrence]
    if b.person is not None:
        where.append(CheckInResponse.student_id == b.person)
    return count(c.app, CheckInResponse, *where) == 1


def _history(c: CheckInCourse, _: Browser, shown: requests.Response) -> bool:
    return WORDS in shown.text


def _exported(c: CheckInCourse, _: Browser, shown: requests.Response) -> bool:
    return WORDS in shown.text and "Amara Okafor" in shown.text


def _csv(b: Browser, c: CheckInCourse) -> requests.Response:
    path = export_path(c.app, c.id, c.checkin)
    assert path is not None
    return b.open(path)


NEW_CHECKIN = {**WEEKLY, "title": NEW_TITLE}
ACTION_STEPS: dict[str, tuple[Attempt, TookEffect]] = {
    "list": (lambda b, _: b.open("checkins/"), _listed),
    "create": (lambda b, _: b.send("checkins/new", NEW_CHECKIN), _created),
    "overview": (lambda b, c: b.open(f"checkins/{c.checkin}"), _overview),
    "triage": (lambda b, c: b.open(f"checkins/triage?checkin={c.checkin}"), _triaged),
    "answer response": (
        lambda b, c: b.send(f"checkins/responses/{c.response}/answer", {"body": REPLY}),
        _answered,
    ),
    "handle": (lambda b, c: b.send(f"checkins/responses/{c.response}/handle"), _handled),
    "non-respondents": (
        lambda b, c: b.open(f"checkins/occurrences/{c.occurrence}/missing"),
        _missing_listed,
    ),
    "nudge": (
        lambda b, c: b.send(
            f"checkins/occurrences/{c.occurrence}/missing",
            {"student": c.people["cleo"], "body": NUDGE},
        ),
        _nudged,
    ),
    "answer check-in": (
        lambda b, c: b.send(
            f"checkins/occurrences/{c.second_occurrence}/answer", {"scale": "4", "text": "Fine."}
        ),
        _first_answer,
    ),
    "change answer": (_change_answer, _changed),
    "history": (lambda b, _: b.open("checkins/mine"), _history),
    "csv": (_csv, _exported),
}


def _everything(app: Flask) -> tuple[Any, ...]:
    """Every check-in, response, feedback and grade row: a refusal changes none of them."""
    with state(app).sessions() as session:
        return (
            sorted(session.execute(select(CheckIn.id, CheckIn.title))),
            sorted(
                session.execute(
                    select(
                        CheckInResponse.id,
                        CheckInResponse.score,
                        CheckInResponse.status,
                        CheckInResponse.updated_at,
                        CheckInResponse.thread_id,
                    )
                )
            ),
            sorted(session.execute(select(FeedbackThread.id, FeedbackThread.last_message_at))),
            sorted(session.execute(select(FeedbackMessage.id, FeedbackMessage.body))),
            session.scalar(select(func.count()).select_from(GradeDelivery)),
        )


@pytest.mark.parametrize(("role", "action"), CELLS)
def test_each_role_may_do_exactly_what_the_table_says(
    rapport: RunningTool, monkeypatch: pytest.MonkeyPatch, role: str, action: str
) -> None:
    if action == "csv":
        assert "checkins.export" in rapport.app.view_functions, "the CSV route is missing"
    course = checkin_course(rapport)
    attempt, took_effect = ACTION_STEPS[action]
    expected = EXPECTED[role][action]
    status, effect = int(expected.rstrip("-")), expected[-1] != "-" and expected[0] in "23"
    browser = browser_of(role, course)
    if action == "change answer":
        course.extra["own"] = own_response(browser, course)
    if role == "no session" and action not in READ_ONLY:
        before = _everything(course.app)
        refused = attempt(browser, course)
        assert refused.status_code == 400, "a form without a session's CSRF token"
        assert _everything(course.app) == before
        monkeypatch.setitem(course.app.config, "WTF_CSRF_ENABLED", False)  # only grants decide
    before = _everything(course.app)
    response = attempt(browser, course)
    assert response.status_code == status, response.text[:300]
    assert took_effect(course, browser, response) is effect
    if status in (403, 404):
        assert _everything(course.app) == before, "a refusal changed something"
        assert WORDS not in response.text and "Amara Okafor" not in response.text


# -- ids a browser should not reach: 404 whatever the URL says --------------------------------

NEVER = 2_000_000_000  # an id no row has


@dataclass
class World:
    """Courses A and B, each with its check-ins and Amara's response; and who probes."""

    a: CheckInCourse
    b: CheckInCourse
    probers: dict[str, Browser]

    def ids(self, prober: str) -> dict[str, Any]:
        """The ids a probe names: `own_…` are of the course whose URLs the prober uses; the
        others are of the course they should not reach."""
        target, own = (self.b, self.a) if prober == "staff of A" else (self.a, self.b)
        return {
            "checkin": target.checkin,
            "occurrence": target.occurrence,
            "response": target.response,
            "own_student": own.people["cleo"],
        }


@pytest.fixture(scope="module")
def world(rapport: RunningTool) -> World:
    a, b = checkin_course(rapport), checkin_course(rapport)
    tool = rapport
    b_only = teacher(tool.platform, tool.url, "b-only-teacher", context=b.context)
    # Amara of course A is staff in course B: her own course A response, through course B.
    amara_b = enter(tool.platform, tool.url, a.sub("amara"), INSTRUCTOR, context=b.context)
    assert amara_b.course == b.staff.course == b_only.course
    visitors = {
        "staff of B": b_only,
        "staff of A": a.staff,  # course A's staff, on course A's URLs, with B's ids
        "staff of both, through B": b.staff,  # the same instructor teaches A and B
        "student here, staff there": amara_b,
        "student of B": b.enter("ben"),
    }
    return World(a, b, {k: Browser(v, v.csrf(), None) for k, v in visitors.items()})


# (prober, method, path, form): on the prober's own course's URLs, `{…}` from `World.ids`.
Probe = tuple[str, str, str, dict[str, str]]
STAFF_ROUTES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "checkins/{checkin}", {}),
    ("GET", "checkins/triage?checkin={checkin}", {}),
    ("GET", "checkins/triage?occurrence={occurrence}", {}),
    ("POST", "checkins/responses/{response}/answer", {"body": "Found you."}),
    ("POST", "checkins/responses/{response}/handle", {}),
    ("GET", "checkins/occurrences/{occurrence}/missing", {}),
    ("POST", "checkins/occurrences/{occurrence}/missing", {"student": "{own_student}"}),
    ("GET", "export:{checkin}", {}),  # the CSV, when the route exists
]  # fmt: skip
STUDENT_ROUTES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "checkins/occurrences/{occurrence}/answer", {}),
    ("POST", "checkins/occurrences/{occurrence}/answer", {"scale": "1", "text": "Found you."}),
    ("POST", "checkins/responses/{response}/answer", {"body": "Found you."}),
    ("POST", "checkins/responses/{response}/handle", {}),
]
STAFF_PROBERS = (
    "staff of B",
    "staff of A",
    "staff of both, through B",
    "student here, staff there",
)
PROBES: list[Probe] = [(p, *route) for p in STAFF_PROBERS for route in STAFF_ROUTES] + [
    ("student of B", *route) for route in STUDENT_ROUTES
]
# 4 staff probers by 8 routes, 1 student by 4 routes: 36 probes (32 while there is no export).


def _probe_id(probe: Probe) -> str:
    prober, method, path, _ = probe
    return f"{prober}: {method} {path}"


def _send(world: World, probe: Probe, ids: dict[str, Any]) -> requests.Response:
    prober, method, path, form = probe
    browser = world.probers[prober]
    if path.startswith("export:"):
        own = world.a if prober == "staff of A" else world.b
        found = export_path(own.app, own.id, int(path.split(":")[1].format(**ids)))
        assert found is not None
        return browser.open(found)
    if method == "GET":
        return browser.open(path.format(**ids))
    return browser.send(path.format(**ids), {k: v.format(**ids) for k, v in form.items()})


def _require_export(world_app: Flask, probe: Probe) -> None:
    """A probe of the CSV fails when its route is gone, instead of passing unnoticed."""
    if probe[2].startswith("export:"):
        assert "checkins.export" in world_app.view_functions, "the CSV route is missing"


@pytest.mark.parametrize("probe", [pytest.param(p, id=_probe_id(p)) for p in PROBES])
def test_an_id_of_another_course_is_not_found(world: World, probe: Probe) -> None:
    app = world.a.app
    _require_export(app, probe)
    before = _everything(app)
    response = _send(world, probe, world.ids(probe[0]))
    assert response.status_code == 404, response.text[:300]
    for private in (WORDS, "Amara Okafor", "Cleo Martins"):
        assert private not in response.text
    assert _everything(app) == before


def _answer(response: requests.Response) -> tuple[int, str]:
    """The status and the words of the error page, without what changes per request."""
    found = re.search(r'<section class="card error"[^>]*>(.*?)</section>', response.text, re.S)
    words = re.sub(r"<[^>]+>", " ", found.group(1)) if found else response.text
    return response.status_code, " ".join(words.split())


def _oracle_param(probe: Probe) -> Any:
    return pytest.param(probe, id=_probe_id(probe))


@pytest.mark.parametrize("probe", [_oracle_param(p) for p in PROBES])
def test_an_id_of_another_course_answers_as_one_that_never_existed(world: World, probe: Probe):
    _require_export(world.a.app, probe)
    ids = world.ids(probe[0])
    never = {k: (v if k.startswith("own_") else NEVER) for k, v in ids.items()}
    assert _answer(_send(world, probe, ids)) == _answer(_send(world, probe, never))


HUGE_ROUTES = [
    ("staff", "GET", "checkins/{v}"),
    ("staff", "POST", "checkins/responses/{v}/answer"),
    ("staff", "POST", "checkins/responses/{v}/handle"),
    ("staff", "GET", "checkins/occurrences/{v}/missing"),
    ("staff", "POST", "checkins/occurrences/{v}/missing"),
    ("student", "GET", "checkins/occurrences/{v}/answer"),
    ("student", "POST", "checkins/occurrences/{v}/answer"),
    ("staff", "GET", "export:{v}"),
]


@pytest.mark.parametrize(
    "value", [pytest.param(2**31, id="2**31"), pytest.param(2**63, id="2**63")]
)
@pytest.mark.parametrize(
    ("who", "method", "path"),
    [pytest.param(*r, id=f"{r[0]} {r[1]} {r[2]}") for r in HUGE_ROUTES]
    + [
        pytest.param(
            "staff",
            "GET",
            f"checkins/triage?{name}={{v}}",
            id=f"staff GET triage?{name}=",
        )
        for name in ("checkin", "occurrence")
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(
    world: World, who: str, method: str, path: str, value: int
) -> None:
    """An id past the database's integers cannot even be compared: still a 404, never a 500."""
    browser = world.probers["staff of A" if who == "staff" else "student of B"]
    app = world.a.app
    if path.startswith("export:"):
        assert "checkins.export" in app.view_functions, "the CSV route is missing"
        found = export_path(app, world.a.id, value)
        assert found is not None
        path = found
    before = _everything(app)
    if method == "GET":
        response = browser.open(path.format(v=value))
    else:
        form = {"body": "x", "scale": "3", "student": str(world.a.people["cleo"])}
        response = browser.send(path.format(v=value), form)
    assert response.status_code == 404, response.text[:300]
    assert _everything(app) == before


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(2**31, id="2**31"),
        pytest.param(2**63, id="2**63"),
        # A digit to str.isdigit() that int() refuses: was a 500 (tests/properties/test_forms.py).
        pytest.param("\N{SUPERSCRIPT TWO}", id="superscript two"),
    ],
)
def test_a_nudge_to_a_student_id_too_large_sends_nothing(world: World, value: int | str) -> None:
    """Student ids in the nudge form are checkboxes: one no database could hold is not among
    the non-respondents, so nothing is sent, and the form says so (as for any other id)."""
    staff, app = world.probers["staff of A"], world.a.app
    before = _everything(app)
    path = f"checkins/occurrences/{world.a.occurrence}/missing"
    response = staff.send(path, {"student": str(value), "body": "Hi"})
    assert response.status_code == 400 and "Nothing was sent" in response.text
    assert _everything(app) == before


# -- an anonymous check-in: aggregates only ---------------------------------------------------


@pytest.fixture
def anonymous(rapport: RunningTool) -> CheckInCourse:
    """A course whose only check-ins are anonymous; Amara answered the first, asking for help."""
    return checkin_course(rapport, anonymous=True)


def _identifies(text: str) -> list[str]:
    """Whatever in a page names Amara, or Ben and Cleo (who did not answer: naming them
    names her by elimination)."""
    found = []
    for key in ("amara", "ben", "cleo"):
        name = ROSTER[key][0]
        found += [w for w in (name, name.split()[1], email_of(key)) if w in text]
    return found


def test_no_staff_page_names_who_answered_an_anonymous_check_in(
    rapport: RunningTool, anonymous: CheckInCourse
) -> None:
    course, staff = anonymous, anonymous.staff
    pages = {
        "check-ins": ("checkins/", 200),
        "overview": (f"checkins/{course.checkin}", 200),
        "triage, all": ("checkins/triage", 200),
        "triage, the check-in": (f"checkins/triage?checkin={course.checkin}", 403),
        "triage, the occurrence": (f"checkins/triage?occurrence={course.occurrence}", 403),
        "not answered": (f"checkins/occurrences/{course.occurrence}/missing", 200),
    }
    csv = export_path(course.app, course.id, course.checkin)
    if csv is not None:
        pages["csv"] = (csv, 200)
    for name, (path, status) in pages.items():
        shown = staff.get(path)
        assert shown.status_code == status, (name, shown.text[:300])
        assert _identifies(shown.text) == [], name
    overview = staff.text(f"checkins/{course.checkin}")
    assert "1 of 3" in overview  # the aggregate is there: one answer of three students
    if csv is not None:
        assert WORDS in staff.text(csv)  # the words, without whose they are


def test_an_anonymous_answer_can_be_neither_answered_nor_handled(
    rapport: RunningTool, anonymous: CheckInCourse
) -> None:
    course = anonymous
    before = _everything(course.app)
    replied = course.staff.post(f"checkins/responses/{course.response}/answer", {"body": REPLY})
    handled = course.staff.post(f"checkins/responses/{course.response}/handle")
    assert (replied.status_code, handled.status_code) == (403, 403)
    assert _identifies(replied.text + handled.text) == []
    assert _everything(course.app) == before
    assert response_row(course.app, course.response).status is ResponseStatus.NEW


def test_nobody_is_nudged_about_an_anonymous_check_in(
    rapport: RunningTool, anonymous: CheckInCourse
) -> None:
    course = anonymous
    everyone = [str(course.people[k]) for k in ("amara", "ben", "cleo")]
    before = _everything(course.app)
    sent = course.staff.post(
        f"checkins/occurrences/{course.occurrence}/missing", {"student": everyone, "body": NUDGE}
    )
    assert sent.status_code == 403, sent.text[:300]
    assert "Sent 2 personal messages" not in sent.text
    assert _everything(course.app) == before
