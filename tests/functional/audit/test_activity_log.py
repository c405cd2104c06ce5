"""The activity log over real HTTP after real OIDC launches: an instructor sees what staff did,
newest first, in sentences; teaching assistants, students and other courses' instructors are
refused and see nothing of it."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import Course, Person
from lti_tool.models.grades import DeliveryStatus
from lti_tool.services.grades.service import ActivitySpec, record_score
from tests.conftest import state
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock, write_news
from tests.platform import LEARNER

TEACHING_ASSISTANT = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
)


def sentences(page: str) -> list[str]:
    """The log's lines as a reader reads them: whitespace collapsed, tags dropped."""
    items = re.findall(r'<p class="activity-what">(.*?)</p>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in items]


def test_an_instructor_reads_what_staff_did_newest_first(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    margaret = teacher(platform, url)
    tomas = enter(platform, url, "tomas", TEACHING_ASSISTANT, name="Tomás Ruiz")
    amara = enter(platform, url, "amara", LEARNER, name="Amara Okafor")
    assert margaret.text("audit").count('class="activity"') == 0
    news_id = write_news(tomas, "Week 1")
    assert margaret.post(f"posts/{news_id}/pin", {"pinned": "1"}).status_code == 303
    assert amara.post(f"posts/{news_id}/replies", {"body": "Thanks!"}).status_code == 303
    saved = margaret.post(
        "settings",
        {"newsfeed.reactions": "on", "feedback.students_start": "on", "course.time_zone": "UTC"},
    )
    assert saved.status_code == 303

    page = margaret.text("audit")
    assert sentences(page) == [
        "Margaret Chen changed Replies from On to Off; Student introductions from On to Off",
        "Margaret Chen pinned “Week 1”",
        "Tomás Ruiz published “Week 1”",
    ]
    assert 'aria-current="page">Activity log' in page
    assert "<time datetime=" in page  # the app's one date formatter


def test_teaching_assistants_students_and_other_courses_are_refused(tool, platform):
    _, url = tool
    margaret = teacher(platform, url)
    write_news(margaret, "Exam dates")
    tomas = enter(platform, url, "tomas", TEACHING_ASSISTANT, name="Tomás Ruiz")
    amara = enter(platform, url, "amara", LEARNER, name="Amara Okafor")
    for visitor in (tomas, amara):
        refused = visitor.get("audit")
        assert refused.status_code == 403
        assert "Exam dates" not in refused.text
        assert "Activity log" not in visitor.text()  # not offered in the navigation
    assert "Activity log" in margaret.text()

    elsewhere = teacher(platform, url, sub="grace", name="Grace Hopper", context="course-2")
    assert elsewhere.course != margaret.course
    intruder = Visitor(url, elsewhere.http, margaret.course)
    assert intruder.get("audit").status_code == 403
    own = elsewhere.text("audit")
    assert sentences(own) == []
    assert "Exam dates" not in own and "Nothing yet." in own


def person_id(app, sub: str) -> int:
    with transaction(state(app).sessions) as session:
        return int(session.scalars(select(Person.id).where(Person.sub == sub)).one())


def refused_score(app, course_id: int, sub: str) -> tuple[int, int]:
    """A score for the student that the LMS refused: (activity id, delivery id)."""
    with transaction(state(app).sessions) as session:
        course = session.get_one(Course, course_id)
        person = session.get_one(Person, person_id(app, sub))
        delivery = record_score(session, course, ActivitySpec("quiz:1", "Quiz 1", 10), person, 7)
        delivery.status = DeliveryStatus.FAILED
        return delivery.activity_id, delivery.id


def test_staff_forms_across_the_course_land_in_the_log_under_who_sent_them(tool, platform):
    # The app's own clock throughout: grade deliveries are timed by the wall clock, which a
    # test clock would put out of order with everything else.
    app, url = tool
    margaret = teacher(platform, url)
    tomas = enter(platform, url, "tomas", TEACHING_ASSISTANT, name="Tomás Ruiz")
    enter(platform, url, "amara", LEARNER, name="Amara Okafor")
    amara = person_id(app, "amara")
    course_id = int(margaret.course.strip("/").split("/")[1])
    news_id = write_news(margaret, "Exam dates")
    steps = [
        (tomas, "profile", {"pronouns": "he/him", "role_title": "", "bio": "", "contact": ""}),
        (tomas, "tutors/allocate", {"student_id": amara, "tutor_id": person_id(app, "tomas")}),
        (margaret, "checkins/new", {"title": "Weekly", "scale_prompt": "How is it going?",
                                    "first": "2027-02-01T09:00", "repeat": "0", "count": "1",
                                    "open_hours": "24", "time_zone": "UTC"}),
        (tomas, "feedback/new", {"student": amara, "title": "Your essay", "body": "Hello!"}),
        (margaret, f"posts/{news_id}/delete", {}),
        (margaret, f"posts/{news_id}/restore", {}),  # a TA restores only their own
    ]  # fmt: skip
    for visitor, path, form in steps:
        assert visitor.post(path, form).status_code == 303, path
    activity_id, delivery_id = refused_score(app, course_id, "amara")
    retried = tomas.post(f"grades/{activity_id}/retry", {"delivery": delivery_id})
    assert retried.status_code == 303

    assert sentences(margaret.text("audit")) == [
        "Tomás Ruiz sent Amara Okafor's refused score for “Quiz 1” to the LMS gradebook again",
        "Margaret Chen restored “Exam dates”",
        "Margaret Chen deleted “Exam dates”",
        "Tomás Ruiz started the conversation “Your essay” with Amara Okafor",
        "Margaret Chen created the check-in “Weekly”, first open on 1 Feb 2027, 09:00 UTC",
        "Tomás Ruiz made Tomás Ruiz the tutor of Amara Okafor",
        "Tomás Ruiz updated their staff profile (pronouns)",
        "Margaret Chen published “Exam dates”",
    ]
