"""Grades reaching the gradebook of an LMS Rapport's authors did not write (lti1p3platform, over
HTTP): line items found or created, Moodle's "grade sync only", Canvas's submission extension,
and the staff page that shows every score's delivery, with Retry.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.db import transaction, utcnow
from lti_tool.extensions import cache
from lti_tool.i18n import shown
from lti_tool.lti.ags_scores import CANVAS_SUBMISSION
from lti_tool.lti.platform_keys import USER_AGENT
from lti_tool.models import (
    Course,
    DeliveryStatus,
    GradableActivity,
    GradeDelivery,
    Membership,
    Person,
    Registration,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant, add_grant
from lti_tool.services.grades.service import ActivitySpec, record_score
from lti_tool.services.grades.worker import GradeWorker
from tests.conftest import register, state
from tests.independent_platform import INSTRUCTOR, LEARNER, auto_post_form
from tests.independent_services import FakeClock, Fault, ServicesPlatform, services_platform

LINK = "c-poetry-rapport"  # the resource link the independent platform launches
CHECKIN = ActivitySpec("checkin:1", "Week 1 check-in", 5, resource_link_id=LINK)


@pytest.fixture
def lms() -> Iterator[ServicesPlatform]:
    built = services_platform()
    platform = built.platform
    platform.add_user("u-grace", "Grace Hopper", "grace@example.edu")
    platform.add_course("c-poetry", "Introduction to Poetry", "POE101")
    platform.enrol("c-poetry", "u-grace", INSTRUCTOR)
    for n in range(1, 4):
        platform.add_user(f"u-student{n}", f"Student {n}", None)
        platform.enrol("c-poetry", f"u-student{n}", LEARNER)
    with platform.running():
        yield built


@pytest.fixture
def rapport(live: Any, lms: ServicesPlatform) -> tuple[Any, str]:
    app, url = live()
    lms.platform.connect(url)
    register(app, lms.platform)
    return app, url


def launch(browser: requests.Session, lms: ServicesPlatform, url: str, user: str) -> int:
    """The OIDC flow as a browser follows it; returns the course id Rapport opened."""
    params = lms.platform.login_params("c-poetry", user)
    login = browser.post(url + "/lti/login", data=params, allow_redirects=False)
    auth = browser.get(login.headers["Location"], allow_redirects=False)
    action, form = auto_post_form(auth.text)
    response = browser.post(action, data=form, allow_redirects=False)
    assert response.status_code == 303, response.text
    found = re.search(r"/courses/(\d+)/", response.headers["Location"])
    assert found is not None
    return int(found.group(1))


def worker_for(app: Any, **options: Any) -> GradeWorker:
    clock = FakeClock(utcnow())
    return GradeWorker.create(
        state(app).sessions,
        state(app).keyring,
        app.extensions["cache"][cache],
        state(app).http,
        clock=clock,
        **options,
    )


def grade(app: Any, course_id: int, sub: str, score: float, spec: ActivitySpec = CHECKIN) -> int:
    with transaction(state(app).sessions) as session:
        course = session.get_one(Course, course_id)
        person = session.scalar(select(Person).where(Person.sub == sub))
        if person is None:  # on the roster (as NRPS would bring them), never launched
            name = sub.replace("u-student", "Student ")
            person = Person(registration_id=course.registration_id, sub=sub, name=name)
            session.add(person)
            session.flush()
        return record_score(session, course, spec, person, score).id


def deliveries(app: Any) -> dict[int, GradeDelivery]:
    with transaction(state(app).sessions) as session:
        return {d.id: d for d in session.scalars(select(GradeDelivery))}


def page_text(response: requests.Response) -> str:
    inline = re.sub(r"</?(strong|span|time)\b[^>]*>", "", response.text)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


# -- line items and scores --------------------------------------------------------------------
def test_the_first_score_creates_the_column_and_later_ones_reuse_it(rapport, lms, browser):
    app, url = rapport
    course_id = launch(browser, lms, url, "u-grace")
    first = grade(app, course_id, "u-student1", 4)
    grade(app, course_id, "u-student2", 5)
    worker = worker_for(app)
    assert worker.drain() == 2
    assert len(lms.ags.line_items) == 1
    item = next(iter(lms.ags.line_items.values()))
    assert (item["label"], item["scoreMaximum"], item["resourceId"], item["resourceLinkId"]) == (
        "Week 1 check-in",
        5,
        "checkin:1",
        LINK,
    )
    assert sorted((s.user_id, s.score_given) for s in lms.ags.accepted) == [
        ("u-student1", 4),
        ("u-student2", 5),
    ]
    sent = deliveries(app)[first]
    assert sent.status is DeliveryStatus.SENT and sent.last_error is None
    with transaction(state(app).sessions) as session:
        activity = session.scalars(select(GradableActivity)).one()
        assert activity.lineitem_url == item["id"]
    # Rapport asked the platform for the link's columns before creating one, and sent a
    # User-Agent with every call, the token requests included.
    calls = [
        (method, u.split("?")[0].removeprefix(lms.platform.base_url))
        for method, u, _ in lms.ags.requests
    ]
    assert calls[:2] == [("GET", "/ags/c-poetry/lineitems"), ("POST", "/ags/c-poetry/lineitems")]
    assert {ua for *_, ua in lms.ags.requests} | set(lms.tokens.user_agents) == {USER_AGENT}
    assert lms.tokens.requests == 1


def test_a_regrade_in_the_same_second_moves_to_the_next_second(rapport, lms, browser):
    app, url = rapport
    course_id = launch(browser, lms, url, "u-grace")
    worker = worker_for(app)
    grade(app, course_id, "u-student1", 2)
    worker.drain()
    grade(app, course_id, "u-student1", 3)  # within the same second, most likely: forced below
    with transaction(state(app).sessions) as session:
        first, second = session.scalars(select(GradeDelivery).order_by(GradeDelivery.id)).all()
        second.scored_at = first.scored_at.replace(microsecond=999_000)
    worker.drain()
    seconds = [s.second for s in lms.ags.accepted]
    assert [s.score_given for s in lms.ags.accepted] == [2, 3]
    assert seconds[1] == seconds[0] + 1 and lms.ags.conflicts == []


def test_grade_sync_only_posts_to_the_line_item_the_launch_named(rapport, lms, browser):
    """Moodle's "grade sync only": the score scope and the link's `lineitem`, nothing else."""
    app, url = rapport
    lms.ags.score_only = True
    course_id = launch(browser, lms, url, "u-grace")
    grade(app, course_id, "u-student1", 3)
    assert worker_for(app).drain() == 1
    (item,) = lms.ags.line_items.values()
    assert lms.ags.accepted[0].line_item == 1 and item["resourceLinkId"] == LINK
    assert [m for m, *_ in lms.ags.requests] == ["POST"]  # no line item listing or creation
    unlinked = ActivitySpec("participation", "Participation", 10)  # no link: nowhere to go
    refused = grade(app, course_id, "u-student1", 1, unlinked)
    worker_for(app).drain()
    assert deliveries(app)[refused].status is DeliveryStatus.FAILED
    assert "only to the gradebook column of the link" in shown(deliveries(app)[refused].last_error)


def test_canvas_regrades_do_not_open_a_new_submission(rapport, lms, browser):
    app, url = rapport
    course_id = launch(browser, lms, url, "u-grace")
    with transaction(state(app).sessions) as session:
        session.scalars(select(Registration)).one().product_family = "canvas"
    worker = worker_for(app)
    grade(app, course_id, "u-student1", 2)
    worker.drain()
    grade(app, course_id, "u-student1", 4)
    worker.drain()
    sent = [s.body[CANVAS_SUBMISSION] for s in lms.ags.accepted]
    assert sent == [{"new_submission": True}, {"new_submission": False}]


def test_a_refusal_is_kept_and_nothing_is_retried(rapport, lms, browser):
    app, url = rapport
    course_id = launch(browser, lms, url, "u-grace")
    lms.faults.push("scores", Fault(403, body='{"error": "The gradebook column is locked"}'))
    refused = grade(app, course_id, "u-student1", 2)
    worker = worker_for(app)
    worker.drain()
    row = deliveries(app)[refused]
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    said = shown(row.last_error)  # stored as its msgid and values (lti_tool.i18n.keep)
    assert "does not let Rapport post this score (403" in said
    assert "The gradebook column is locked" not in row.last_error  # the log has it
    assert lms.ags.accepted == []
    page = page_text(browser.get(f"{url}/courses/{course_id}/grades/{row.activity_id}"))
    assert "The platform does not let Rapport post this score (403 FORBIDDEN)." in page
    assert '"said"' not in page


def test_a_refused_score_s_reason_reads_in_the_reader_s_language(rapport, lms, browser):
    """Stored once by the worker, shown in Spanish to a Spanish reader (the words inside it,
    the platform's status line, as they came)."""
    app, url = rapport
    browser.headers["Accept-Language"] = "es"
    course_id = launch(browser, lms, url, "u-grace")
    lms.faults.push("scores", Fault(403, body='{"error": "The gradebook column is locked"}'))
    refused = grade(app, course_id, "u-student1", 2)
    worker_for(app).drain()
    row = deliveries(app)[refused]
    page = page_text(browser.get(f"{url}/courses/{course_id}/grades/{row.activity_id}"))
    assert (
        "La plataforma no permite que Rapport publique esta calificación (403 FORBIDDEN)." in page
    )
    assert "does not let Rapport" not in page


def test_retry_after_is_honoured_to_the_second_and_no_call_goes_out_before(rapport, lms, browser):
    app, url = rapport
    course_id = launch(browser, lms, url, "u-grace")
    lms.faults.push("scores", Fault(429, retry_after=7))
    row = grade(app, course_id, "u-student1", 2)
    worker = worker_for(app)
    start = worker.clock.now()
    assert worker.deliver_due() == 1
    assert deliveries(app)[row].next_attempt_at == start + timedelta(seconds=7)
    calls = len(lms.ags.requests)
    worker.clock.sleep(6.9)  # type: ignore[attr-defined]
    assert worker.deliver_due() == 0 and len(lms.ags.requests) == calls
    worker.clock.sleep(0.1)  # type: ignore[attr-defined]
    assert worker.deliver_due() == 1
    assert deliveries(app)[row].status is DeliveryStatus.SENT


def test_a_score_above_the_maximum_is_sent_with_a_note_for_staff(rapport, lms, browser):
    """Moodle accepts it and clamps it to the maximum: staff are told so."""
    app, url = rapport
    course_id = launch(browser, lms, url, "u-grace")
    with transaction(state(app).sessions) as session:
        session.scalars(select(Registration)).one().product_family = "moodle"
    row = grade(app, course_id, "u-student1", 7)
    worker_for(app).drain()
    assert lms.ags.accepted[0].body["scoreGiven"] == 7
    sent = deliveries(app)[row]
    assert sent.status is DeliveryStatus.SENT
    assert shown(sent.last_error) == "Sent 7 out of 5; Moodle records at most 5."
    page = browser.get(f"{url}/courses/{course_id}/grades/{sent.activity_id}")
    assert "Moodle records at most 5." in page_text(page)


# -- the staff page ---------------------------------------------------------------------------
@dataclass
class ThreeStates:
    """One score sent, one refused with Moodle's status-line words, one waiting on a 503."""

    url: str
    course_id: int
    activity_id: int
    failed: int
    worker: GradeWorker

    @property
    def page(self) -> str:
        return f"{self.url}/courses/{self.course_id}/grades/{self.activity_id}"


@pytest.fixture
def three_states(rapport, lms, browser) -> ThreeStates:
    app, url = rapport
    course_id = launch(browser, lms, url, "u-grace")
    sent = grade(app, course_id, "u-student1", 4)
    lms.faults.push("scores", None)  # student 1's score goes through
    lms.faults.push("scores", Fault(400, reason="Incorrect score received", body="[]"))
    lms.faults.push("scores", Fault(503, retry_after=120))
    failed = grade(app, course_id, "u-student2", 5)
    grade(app, course_id, "u-student3", 1)
    worker = worker_for(app, concurrency=1)  # the faults meet the scores in the order given
    assert worker.deliver_due() == 3
    assert worker.deliver_due() == 0  # the 503's Retry-After pauses the platform
    return ThreeStates(url, course_id, deliveries(app)[sent].activity_id, failed, worker)


def test_staff_see_every_delivery_with_the_platforms_words(three_states, browser):
    page = browser.get(three_states.page)
    assert page.status_code == 200
    text = page_text(page)
    assert "Week 1 check-in" in text
    assert re.search(r"Student 1 4 / 5 .* Sent", text)
    assert re.search(r"Student 2 5 / 5 .* Failed The platform refused the score as incorrect", text)
    assert "Incorrect score received" in text  # Moodle's words, from the HTTP status line
    assert re.search(r"Student 3 1 / 5 .* Waiting, next attempt .* 1 attempt so far", text)
    index = browser.get(f"{three_states.url}/courses/{three_states.course_id}/grades/")
    assert "Week 1 check-in 1 1 1" in page_text(index)  # sent, waiting, failed


def test_staff_retry_a_failed_score_and_it_arrives(three_states, rapport, lms, browser):
    app, _ = rapport
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(three_states.page).text)
    assert token is not None
    retry_url = three_states.page + "/retry"
    no_token = browser.post(retry_url, data={"delivery": three_states.failed})
    assert no_token.status_code == 400
    data = {"delivery": three_states.failed, "csrf_token": token.group(1)}
    retried = browser.post(retry_url, data=data, allow_redirects=False)
    assert retried.status_code == 303
    confirmation = page_text(browser.get(three_states.url + retried.headers["Location"]))
    assert "1 score queued to be sent again" in confirmation
    assert deliveries(app)[three_states.failed].status is DeliveryStatus.WAITING
    three_states.worker.clock.sleep(121)  # type: ignore[attr-defined]
    three_states.worker.drain()
    assert {d.status for d in deliveries(app).values()} == {DeliveryStatus.SENT}
    assert sorted((s.user_id, s.score_given) for s in lms.ags.accepted) == [
        ("u-student1", 4),
        ("u-student2", 5),
        ("u-student3", 1),
    ]


def test_students_cannot_see_grade_deliveries_or_retry(rapport, lms, browser):
    app, url = rapport
    staff_course = launch(browser, lms, url, "u-grace")
    grade(app, staff_course, "u-student2", 5)
    activity_id = next(iter(deliveries(app).values())).activity_id
    student = requests.Session()
    course_id = launch(student, lms, url, "u-student1")
    assert course_id == staff_course
    pages = [f"/courses/{course_id}/grades/", f"/courses/{course_id}/grades/{activity_id}"]
    for path in pages:
        assert student.get(url + path).status_code == 403
    stranger = requests.Session()
    assert stranger.get(url + pages[1]).status_code == 403
    assert browser.get(f"{url}/courses/{course_id}/grades/{activity_id + 1}").status_code == 404


def failed_score(app, role: str) -> tuple[Any, str, int]:
    """A failed score in a course of one person with `role`, signed in with CSRF out of the way:
    their browser, the activity's retry URL, and the score's delivery id."""
    app.config["WTF_CSRF_ENABLED"] = False
    with transaction(state(app).sessions) as session:
        registration = Registration(
            issuer="https://lms.example.edu",
            client_id="c",
            auth_login_url="https://lms.example.edu/a",
            auth_token_url="https://lms.example.edu/t",
        )
        session.add(registration)
        session.flush()
        course = Course(registration_id=registration.id, context_id="c1")
        person = Person(registration_id=registration.id, sub="s1")
        session.add_all([course, person])
        session.flush()
        session.add(Membership(course_id=course.id, person_id=person.id, role=CourseRole(role)))
        row = record_score(session, course, CHECKIN, person, 3)
        row.status = DeliveryStatus.FAILED
        ids = (course.id, person.id, row.activity_id, row.id)
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["grants"] = add_grant({}, CourseGrant(ids[0], ids[1], CourseRole(role)), utcnow())
    return client, f"/courses/{ids[0]}/grades/{ids[2]}/retry", ids[3]


@pytest.mark.parametrize(("role", "status"), [("student", 403), ("guest", 403), ("staff", 303)])
def test_only_staff_may_retry(app, role, status):
    """The retry rule itself, with CSRF out of the way so that only the role decides."""
    client, retry_url, delivery = failed_score(app, role)
    answer = client.post(retry_url, data={"delivery": delivery})
    assert answer.status_code == status
    expected = DeliveryStatus.WAITING if status == 303 else DeliveryStatus.FAILED
    assert deliveries(app)[delivery].status is expected


@pytest.mark.parametrize(
    "named",
    ["2147483648", "9223372036854775808", "9" * 5000, "abc", "-1", "0", "\N{SUPERSCRIPT TWO}"],
)
def test_a_retry_of_a_score_no_database_could_hold_is_refused_and_retries_nothing(app, named):
    """Found by tests/properties/test_forms.py: an id past a database integer was a 500, and a
    word was read as no id at all, which retried every failed score."""
    client, retry_url, delivery = failed_score(app, "staff")
    assert client.post(retry_url, data={"delivery": named}).status_code == 400
    assert deliveries(app)[delivery].status is DeliveryStatus.FAILED
