"""A role the LMS takes away stops working on the next request, not when a cookie expires:
every course request checks the session's grant against the membership as it is now
(services/entry.py), and a grant older than GRANT_LIFETIME is refused by the server."""

from __future__ import annotations

import re
from datetime import timedelta

import requests
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select, update

from lti_tool.db import transaction, utcnow
from lti_tool.models import FeedbackMessage, Membership, Person
from lti_tool.models.course import CourseRole
from lti_tool.services.access import GRANT_LIFETIME, CourseGrant, add_grant
from tests.conftest import state
from tests.newsfeed_flow import enter, teacher
from tests.platform import INSTRUCTOR, LEARNER


def _person(app, sub: str) -> int:
    with transaction(state(app).sessions) as session:
        return int(session.scalars(select(Person.id).where(Person.sub == sub)).one())


def _thread_with(staff, app, student_sub: str) -> int:
    started = staff.post(
        "feedback/new", {"student": _person(app, student_sub), "title": "Week 1", "body": "Hi"}
    )
    assert started.status_code == 303, started.text[:300]
    return int(re.search(r"/feedback/(\d+)", started.headers["Location"]).group(1))


def test_a_teaching_assistant_launched_again_as_learner_loses_staff_pages_at_once(tool, platform):
    app, url = tool
    instructor = teacher(platform, url)
    enter(platform, url, "amara", name="Amara Okafor")
    thread = _thread_with(instructor, app, "amara")
    ta = enter(platform, url, "ta", INSTRUCTOR, name="Tomás Rivera")
    token = ta.csrf()
    for path in ("dashboard", "dashboard.csv", f"feedback/{thread}"):
        assert ta.get(path).status_code == 200, path
    # The LMS now launches the same person as a Learner (in another browser).
    enter(platform, url, "ta", LEARNER, name="Tomás Rivera")
    for path in ("dashboard", "dashboard.csv", "people", f"feedback/{thread}"):
        assert ta.get(path).status_code in {403, 404}, path
    written = ta.post(
        f"feedback/{thread}/messages", {"csrf_token": token, "body": "Still here"}, csrf=False
    )
    assert written.status_code in {403, 404}
    with transaction(state(app).sessions) as session:
        bodies = session.scalars(select(FeedbackMessage.body)).all()
    assert "Still here" not in bodies
    assert ta.get("").status_code == 200  # still a student of the course


def test_a_member_the_roster_marks_inactive_is_let_in_no_more(tool, platform):
    app, url = tool
    student = enter(platform, url, "amara", name="Amara Okafor")
    assert student.get("").status_code == 200
    with transaction(state(app).sessions) as session:
        session.execute(
            update(Membership)
            .where(Membership.person_id == _person(app, "amara"))
            .values(active=False, roster_status="Inactive")
        )
    refused = student.get("")
    assert refused.status_code == 403
    assert "no longer lists you as a member" in refused.text
    enter(platform, url, "amara", name="Amara Okafor")  # the LMS launches them again
    with transaction(state(app).sessions) as session:
        assert session.scalars(select(Membership.active)).all() == [True]


def _cookie_with_grant(app, grant: CourseGrant, issued_ago: timedelta) -> str:
    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert signer is not None
    return signer.dumps({"grants": add_grant({}, grant, utcnow() - issued_ago)})


def test_a_session_older_than_its_lifetime_is_refused_by_the_server(tool, platform):
    app, url = tool
    student = enter(platform, url, "amara", name="Amara Okafor")
    course_id = int(student.course.strip("/").split("/")[1])
    grant = CourseGrant(course_id, _person(app, "amara"), CourseRole.STUDENT)
    for age, status in ((GRANT_LIFETIME - timedelta(minutes=5), 200), (GRANT_LIFETIME, 403)):
        browser = requests.Session()
        browser.cookies.set("rapport_session", _cookie_with_grant(app, grant, age))
        answer = browser.get(url + student.course, allow_redirects=False)
        assert answer.status_code == status, age
    signer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert signer is not None
    timeless = {"grants": {str(course_id): [grant.person_id, "student"]}}  # before grants aged
    browser = requests.Session()
    browser.cookies.set("rapport_session", signer.dumps(timeless))
    assert browser.get(url + student.course, allow_redirects=False).status_code == 403


def test_staff_made_a_student_since_the_session_began_see_their_tutor_on_the_home(tool, platform):
    """The home reads a student's tutor with the entry only for a student's session; a staff
    session whose member the LMS has since made a student reads it apart, on that request."""
    app, url = tool
    instructor = teacher(platform, url)
    ta = enter(platform, url, "ta", INSTRUCTOR, name="Tomás Rivera")
    assert "Your tutor" not in ta.text()
    enter(platform, url, "ta", LEARNER, name="Tomás Rivera")  # in another browser
    allocated = instructor.post(
        "tutors/allocate",
        {"student_id": _person(app, "ta"), "tutor_id": _person(app, "teacher")},
    )
    assert allocated.status_code == 303, allocated.text[:300]
    home = ta.text()  # the session launched as staff
    assert "Your tutor: Margaret Chen" in home
    assert 'href="' + ta.course + 'dashboard"' not in home
