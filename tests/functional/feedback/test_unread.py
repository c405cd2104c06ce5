"""Unread feedback, as each person sees it after each kind of event: the navigation's badge
(`count-badge`) and the list's "Unread (n)" agree, and both count conversations with a message
this person has not read since it was written.

Issue 5: "Read state per participant; unread counts in the navigation for students and staff."
Read state is one `ThreadRead` row per (thread, person): one staff member reading a thread does
not read it for another; one's own message is never unread for its author; a thread with no
message yet is unread for nobody; and a thread a TA may not read counts nothing for them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import (
    Course,
    CourseSetting,
    FeedbackMessage,
    FeedbackThread,
    TutorAllocation,
)
from lti_tool.services.feedback.settings import TUTOR_AND_INSTRUCTORS, VISIBILITY
from lti_tool.services.placements import PlacementChoice, create_placements
from tests.conftest import state
from tests.functional.feedback.test_feedback import course_id, on_roster_only, person_id, start
from tests.newsfeed_flow import MENTOR, Clock, Visitor, enter, teacher, use_clock
from tests.platform import INSTRUCTOR

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


def unread(visitor: Visitor) -> int:
    """The navigation's badge on the course home and the list's filter, which must agree."""
    home = visitor.text()
    badge = re.search(r'class="count-badge">(\d+)<', home)
    listed = re.search(r"Unread \((\d+)\)", visitor.text("feedback/"))
    assert listed, "the list names its unread filter"
    from_badge = int(badge.group(1)) if badge else 0
    assert from_badge == int(listed.group(1)), (from_badge, listed.group(1))
    return from_badge


def unread_titles(visitor: Visitor) -> list[str]:
    page = visitor.text("feedback/?show=unread")
    return re.findall(r'<span class="thread-title">([^<]*)</span>', page)


def feedback_activity(app: Any, graded: bool = False) -> int:
    with transaction(state(app).sessions) as session:
        course = session.scalars(select(Course)).one()
        choice = PlacementChoice("feedback", "Essay 1", graded, 10.0 if graded else None)
        [placement] = create_placements(session, course.id, None, [choice])
        return placement.id


def thread_of(response: Any) -> int:
    found = re.search(r"/feedback/(\d+)", response.headers["Location"])
    assert found, response.headers.get("Location")
    return int(found.group(1))


def test_a_staff_message_is_unread_for_the_student_until_they_open_it(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    student = enter(platform, url, "amara", name="Amara Okafor")
    amara = person_id(app, "amara")
    assert unread(student) == 0 and unread(staff) == 0

    first = start(staff, amara, "Your essay", "Well argued.")
    assert unread(student) == 1 and unread_titles(student) == ["Your essay"]
    assert unread(staff) == 0  # one's own message is never unread for its author
    clock.advance(minutes=1)
    assert staff.post(f"feedback/{first}/messages", {"body": "One more thing."}).status_code == 303
    assert unread(student) == 1  # conversations are counted, not messages
    clock.advance(minutes=1)
    second = start(staff, amara, "Your presentation", "Clear slides.")
    assert unread(student) == 2

    clock.advance(minutes=1)
    student.text(f"feedback/{first}")
    assert unread(student) == 1 and unread_titles(student) == ["Your presentation"]
    student.text(f"feedback/{second}")
    assert unread(student) == 0 and unread_titles(student) == []
    clock.advance(minutes=1)
    assert staff.post(f"feedback/{first}/messages", {"body": "And a source."}).status_code == 303
    assert unread(student) == 1  # read before it was written: unread again


def test_a_students_message_is_unread_for_each_staff_member_separately(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    margaret = teacher(platform, url)
    david = enter(platform, url, "teacher-2", INSTRUCTOR, name="David Osei")
    student = enter(platform, url, "amara", name="Amara Okafor")
    mentor = enter(platform, url, "parent", MENTOR, name="A Parent")
    activity = feedback_activity(app)

    opened = student.get(f"feedback/activities/{activity}")
    assert opened.status_code == 302
    thread = thread_of(opened)
    # An activity's thread with no message yet is unread for nobody.
    assert (unread(student), unread(margaret), unread(david)) == (0, 0, 0)

    clock.advance(minutes=1)
    assert student.post(f"feedback/{thread}/messages", {"body": "My draft."}).status_code == 303
    assert unread(student) == 0  # her own message
    assert (unread(margaret), unread(david)) == (1, 1)
    assert unread(mentor) == 0

    clock.advance(minutes=1)
    margaret.text(f"feedback/{thread}")
    assert (unread(margaret), unread(david)) == (0, 1)  # read state is per person
    assert unread_titles(david) == ["Essay 1"]
    assert "Awaiting your reply" in david.text("feedback/")

    clock.advance(minutes=1)
    assert margaret.post(f"feedback/{thread}/messages", {"body": "Good start."}).status_code == 303
    assert unread(student) == 1 and unread(margaret) == 0
    david.text(f"feedback/{thread}")
    assert unread(david) == 0
    student.text(f"feedback/{thread}")
    assert (unread(student), unread(margaret), unread(david)) == (0, 0, 0)


def test_a_thread_staff_open_for_an_activity_is_unread_only_once_it_carries_a_message(
    tool, platform
):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    student = enter(platform, url, "ben", name="Ben Adeyemi")
    activity = feedback_activity(app, graded=True)

    opened = staff.post(f"feedback/activities/{activity}/students/{person_id(app, 'ben')}")
    assert opened.status_code == 303
    thread = thread_of(opened)
    assert (unread(student), unread(staff)) == (0, 0)

    clock.advance(minutes=1)
    graded = staff.post(f"feedback/{thread}/messages", {"body": "", "grade": "9"})
    assert graded.status_code == 303
    assert unread(student) == 1 and unread(staff) == 0  # a grade alone is news too
    assert "Grade: <strong>9 / 10</strong>" in student.text(f"feedback/{thread}")
    assert unread(student) == 0


def test_messages_written_for_many_students_at_once_count_too(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    amara = enter(platform, url, "amara", name="Amara Okafor", given_name="Amara")
    cleo = on_roster_only(app, course_id(staff), "cleo", "Cleo Martins")  # never launched yet
    activity = feedback_activity(app)
    # Amara already opened the activity: her (empty) thread is continued, Cleo's is new.
    continued = thread_of(amara.get(f"feedback/activities/{activity}"))
    assert unread(amara) == 0

    clock.advance(minutes=1)
    confirmed = staff.post(
        "snippets/start",
        {
            "student": [person_id(app, "amara"), cleo],
            "title": "Essay 1",
            "body": "Hi {first_name}, your essay is next week.",
            "placement_id": activity,
        },
    )
    assert confirmed.status_code == 303, confirmed.text[:400]
    jobs(app).run_pending()
    with transaction(state(app).sessions) as session:
        automated = dict(
            session.execute(
                select(FeedbackThread.student_id, FeedbackMessage.thread_id)
                .join(FeedbackThread, FeedbackThread.id == FeedbackMessage.thread_id)
                .where(FeedbackMessage.automated.is_(True))
            ).all()
        )
    assert automated == {person_id(app, "amara"): continued, cleo: automated[cleo]}

    assert unread(amara) == 1 and unread_titles(amara) == ["Essay 1"]
    assert unread(staff) == 0  # the one who sent them
    clock.advance(minutes=1)
    cleo_visitor = enter(platform, url, "cleo", name="Cleo Martins")
    assert unread(cleo_visitor) == 1  # found on her first launch
    assert "Hi Cleo, your essay is next week." in cleo_visitor.text(f"feedback/{automated[cleo]}")
    assert unread(cleo_visitor) == 0


def test_a_ta_who_may_not_read_a_thread_counts_none_of_it(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    tutor = enter(platform, url, "ta-1", TA, name="Tomás Rivera")
    other_ta = enter(platform, url, "ta-2", TA, name="Uma Patel")
    student = enter(platform, url, "amara", name="Amara Okafor")
    thread = start(staff, person_id(app, "amara"), "Essay", "Words.")
    with transaction(state(app).sessions) as session:
        session.add(
            TutorAllocation(
                course_id=course_id(staff),
                student_id=person_id(app, "amara"),
                tutor_id=person_id(app, "ta-1"),
                assigned_at=clock.now,
            )
        )
    for ta in (tutor, other_ta):
        ta.text(f"feedback/{thread}")  # all staff read it, by default

    clock.advance(minutes=1)
    assert student.post(f"feedback/{thread}/messages", {"body": "Thanks!"}).status_code == 303
    assert (unread(staff), unread(tutor), unread(other_ta)) == (1, 1, 1)

    with transaction(state(app).sessions) as session:
        session.add(
            CourseSetting(course_id=course_id(staff), key=VISIBILITY, value=TUTOR_AND_INSTRUCTORS)
        )
    assert (unread(staff), unread(tutor)) == (1, 1)
    assert unread(other_ta) == 0 and unread_titles(other_ta) == []
    clock.advance(minutes=1)
    assert student.post(f"feedback/{thread}/messages", {"body": "And again."}).status_code == 303
    assert unread(other_ta) == 0
    assert other_ta.get(f"feedback/{thread}").status_code == 404


def test_beyond_99_unread_conversations_the_badge_says_99_plus_and_the_list_counts_them(
    tool, platform
):
    """The navigation's badge counts no further than it shows (`pages.BADGE_MOST`): in a course
    of thousands it read every conversation a student wrote last, on every page."""
    app, url = tool
    staff = teacher(platform, url)
    course = course_id(staff)
    students = [on_roster_only(app, course, f"s{n}", f"Student {n}") for n in range(101)]
    with transaction(state(app).sessions) as session:
        for n, student in enumerate(students[:99]):
            session.add(
                FeedbackThread(
                    course_id=course, student_id=student, title=f"Q{n}", last_author_id=student
                )
            )
    badge = r'class="count-badge">([^<]*)<span class="visually-hidden"> unread</span>'
    assert re.findall(badge, staff.text()) == ["99"]
    with transaction(state(app).sessions) as session:
        for student in students[99:]:
            thread = FeedbackThread(
                course_id=course, student_id=student, title="More", last_author_id=student
            )
            session.add(thread)
    assert re.findall(badge, staff.text()) == ["99+"]
    assert re.findall(badge, staff.text("feedback/")) == ["99+"]
    assert "Unread (101)" in staff.text("feedback/")
