"""Named feedback threads over real launches: staff start a conversation with a student on the
roster (who finds it on their first launch), both sides see unread counts, authors edit for ten
minutes, graded feedback activities queue their grade, and nobody reads a thread not theirs."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import insert, select

from lti_tool.db import transaction
from lti_tool.models import (
    Course,
    DeliveryStatus,
    FeedbackThread,
    GradeDelivery,
    Membership,
    Person,
    Registration,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.placements import PlacementChoice, create_placements
from tests.conftest import state
from tests.newsfeed_flow import MENTOR, Clock, Visitor, enter, teacher, use_clock

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


def course_id(visitor: Visitor) -> int:
    return int(visitor.course.strip("/").split("/")[1])


def on_roster_only(app: Any, course: int, sub: str, name: str) -> int:
    """A student the roster (NRPS) brought, who has never launched Rapport."""
    with transaction(state(app).sessions) as session:
        registration = session.scalars(select(Registration.id)).one()
        person = session.scalar(
            insert(Person)
            .values(
                registration_id=registration, sub=sub, name=name, given_name=name.partition(" ")[0]
            )
            .returning(Person.id)
        )
        session.execute(
            insert(Membership).values(
                course_id=course, person_id=person, role=CourseRole.STUDENT, active=True
            )
        )
        return int(person)


def person_id(app: Any, sub: str) -> int:
    with transaction(state(app).sessions) as session:
        return int(session.scalars(select(Person.id).where(Person.sub == sub)).one())


def start(staff: Visitor, student: int, title: str, body: str) -> int:
    response = staff.post("feedback/new", {"student": student, "title": title, "body": body})
    assert response.status_code == 303, response.text[:400]
    return int(re.search(r"/feedback/(\d+)", response.headers["Location"]).group(1))


def unread_badge(page: str) -> int:
    found = re.search(r'class="count-badge">(\d+)<', page)
    return int(found.group(1)) if found else 0


def test_a_student_finds_a_conversation_started_before_their_first_launch(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    amara = on_roster_only(app, course_id(staff), "amara", "Amara Okafor")
    thread = start(staff, amara, "Your first essay", "Dear Amara, **well argued**.")
    assert "Amara Okafor" in staff.text("feedback/")

    clock.advance(minutes=1)
    student = enter(platform, url, "amara", name="Amara Okafor")
    home = student.text()
    assert unread_badge(home) == 1
    listing = student.text("feedback/")
    assert "Your first essay" in listing and "New" in listing
    page = student.text(f"feedback/{thread}")
    assert "<strong>well argued</strong>" in page and "Margaret Chen" in page
    assert unread_badge(student.text()) == 0  # opening it read it

    clock.advance(minutes=1)
    assert student.post(f"feedback/{thread}/messages", {"body": "Thank you!"}).status_code == 303
    staff_list = staff.text("feedback/")
    assert unread_badge(staff_list) == 1 and "Awaiting your reply" in staff_list
    staff.text(f"feedback/{thread}")
    assert unread_badge(staff.text()) == 0


def test_nobody_else_reads_a_thread(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    amara = enter(platform, url, "amara", name="Amara Okafor")
    ben = enter(platform, url, "ben", name="Ben Adeyemi")
    mentor = enter(platform, url, "mentor", MENTOR, name="Parent")
    elsewhere = teacher(platform, url, sub="other-teacher", context="course-2")
    thread = start(staff, person_id(app, "amara"), "Essay", "Private words.")
    assert amara.get(f"feedback/{thread}").status_code == 200
    for visitor in (ben, mentor):
        assert visitor.get(f"feedback/{thread}").status_code == 404
        assert visitor.post(f"feedback/{thread}/messages", {"body": "x"}).status_code == 404
        assert "Private words" not in visitor.text("feedback/")
    # Course 2's staff, with course 1's thread id under course 2's URL: not found there.
    assert elsewhere.get(f"feedback/{thread}").status_code == 404
    assert elsewhere.post(f"feedback/{thread}/messages", {"body": "x"}).status_code == 404
    # A student starts threads of their own only; nobody starts one with another course's.
    assert (
        amara.post(
            "feedback/new", {"student": person_id(app, "ben"), "title": "t", "body": "b"}
        ).status_code
        == 404
    )
    other_student = enter(platform, url, "carol", context="course-2")
    refused = staff.post(
        "feedback/new", {"student": person_id(app, "carol"), "title": "t", "body": "b"}
    )
    assert refused.status_code == 404
    assert other_student.get("feedback/").status_code == 200


def test_an_author_edits_for_ten_minutes_then_not(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    enter(platform, url, "amara")
    thread = start(staff, person_id(app, "amara"), "Essay", "Frist draft.")
    message = int(re.search(r'id="message-(\d+)"', staff.text(f"feedback/{thread}")).group(1))
    clock.advance(minutes=9)
    edited = staff.post(f"feedback/messages/{message}/edit", {"body": "First draft."})
    assert edited.status_code == 303
    page = staff.text(f"feedback/{thread}")
    assert "First draft." in page and "· edited" in page
    clock.advance(minutes=2)
    assert staff.post(f"feedback/messages/{message}/edit", {"body": "x"}).status_code == 403
    assert staff.get(f"feedback/messages/{message}/edit").status_code == 403


def test_only_the_tutor_and_instructors_read_when_the_course_says_so(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    tutor = enter(platform, url, "ta-1", TA, name="Tomás Rivera")
    other_ta = enter(platform, url, "ta-2", TA, name="Uma Patel")
    enter(platform, url, "amara")
    amara = person_id(app, "amara")
    thread = start(staff, amara, "Essay", "Words.")
    assert other_ta.get(f"feedback/{thread}").status_code == 200  # default: all staff
    settings = staff.text("settings")
    token = re.search(r'name="csrf_token" value="([^"]+)"', settings).group(1)
    saved = staff.post(
        "settings",
        {
            "csrf_token": token,
            "feedback.visibility": "tutor_and_instructors",
            "newsfeed.replies": "on",
            "newsfeed.reactions": "on",
        },
    )
    assert saved.status_code == 303
    with transaction(state(app).sessions) as session:
        session.execute(
            insert(TutorAllocation).values(
                course_id=course_id(staff),
                student_id=amara,
                tutor_id=person_id(app, "ta-1"),
                assigned_at=Clock().now,
            )
        )
    assert tutor.get(f"feedback/{thread}").status_code == 200
    assert other_ta.get(f"feedback/{thread}").status_code == 404
    assert "Essay" not in other_ta.text("feedback/")
    assert staff.get(f"feedback/{thread}").status_code == 200  # the instructor


def test_a_graded_feedback_activity_queues_each_grade_and_the_student_sees_it(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    student = enter(platform, url, "amara", name="Amara Okafor")
    with transaction(state(app).sessions) as session:
        course = session.scalars(select(Course)).one()
        [placement] = create_placements(
            session, course.id, None, [PlacementChoice("feedback", "Essay 1", True, 10.0)]
        )
        placement_id = placement.id
    opened = student.get(f"feedback/activities/{placement_id}")
    assert opened.status_code == 302
    thread = int(re.search(r"/feedback/(\d+)", opened.headers["Location"]).group(1))
    assert student.post(f"feedback/{thread}/messages", {"body": "Here it is."}).status_code == 303
    assert (
        student.post(f"feedback/{thread}/messages", {"body": "x", "grade": "10"}).status_code == 403
    )

    overview = staff.text(f"feedback/activities/{placement_id}")
    assert "Amara Okafor" in overview
    bad = staff.post(f"feedback/{thread}/messages", {"body": "", "grade": "11"})
    assert bad.status_code == 400 and "Give a grade from 0 to 10." in bad.text
    clock.advance(minutes=1)
    assert (
        staff.post(
            f"feedback/{thread}/messages", {"body": "Strong start.", "grade": "7"}
        ).status_code
        == 303
    )
    clock.advance(minutes=1)
    assert (
        staff.post(f"feedback/{thread}/messages", {"body": "", "grade": "8,5"}).status_code == 303
    )
    page = student.text(f"feedback/{thread}")
    assert "Grade: <strong>8.5 / 10</strong>" in page and "Strong start." in page
    with transaction(state(app).sessions) as session:
        deliveries = session.execute(
            select(GradeDelivery.score_given, GradeDelivery.status).order_by(GradeDelivery.id)
        ).all()
    assert deliveries == [(7.0, DeliveryStatus.SUPERSEDED), (8.5, DeliveryStatus.WAITING)]
    assert "on its way to the gradebook" in staff.text(f"feedback/{thread}")
    # The activity's one thread per student: opening it again finds the same one.
    again = student.get(f"feedback/activities/{placement_id}")
    assert again.headers["Location"].endswith(f"/feedback/{thread}")
    with transaction(state(app).sessions) as session:
        assert (
            session.scalar(
                select(FeedbackThread.id).where(FeedbackThread.placement_id == placement_id)
            )
            == thread
        )
