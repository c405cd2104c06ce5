"""The relationship dashboard on a small course made by hand, whose figures are worked out
here: the summary, per-tutor shares, the filters, the "contact next" order, flags and the CSV."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    CourseSetting,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    Post,
    PostKind,
    Registration,
    Reply,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.feedback.settings import ALL_STAFF, TUTOR_AND_INSTRUCTORS, VISIBILITY
from tests.conftest import state
from tests.newsfeed_flow import Clock, enter, teacher, use_clock

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def build(app, course_id: int) -> dict[str, int]:
    """Ada: answered within the goal, after writing a day before. Ben: last contact 20 days
    ago, check-ins falling. Cy: never contacted, asked to talk. Di: never contacted, waiting 3
    days for a reply. Eve: no tutor, a reply under her introduction yesterday, flagged."""
    with transaction(state(app).sessions) as session:
        registration = session.scalars(select(Registration.id)).one()
        ids = {
            p.sub: p.id
            for p in session.scalars(select(Person).where(Person.sub.in_(["teacher", "ta"])))
        }
        for sub, name in [
            ("ada", "Ada Ames"),
            ("ben", "Ben Brook"),
            ("cy", "Cy Cole"),
            ("di", "Di Dane"),
            ("eve", "Eve Egan"),
        ]:
            person = Person(registration_id=registration, sub=sub, name=name)
            session.add(person)
            session.flush()
            session.add(
                Membership(course_id=course_id, person_id=person.id, role=CourseRole.STUDENT)
            )
            ids[sub] = person.id
        m, t = ids["teacher"], ids["ta"]
        for student, tutor in [("ada", m), ("ben", m), ("cy", t), ("di", t)]:
            session.add(
                TutorAllocation(
                    course_id=course_id,
                    student_id=ids[student],
                    tutor_id=tutor,
                    assigned_at=ago(days=30),
                )
            )

        def thread(student: str, *messages: tuple[int, datetime]) -> None:
            made = FeedbackThread(
                course_id=course_id,
                student_id=ids[student],
                title="Essay",
                last_message_at=messages[-1][1],
                last_author_id=messages[-1][0],
            )
            session.add(made)
            session.flush()
            for author, at in messages:
                session.add(
                    FeedbackMessage(
                        thread_id=made.id, author_id=author, body="x", body_html="x", created_at=at
                    )
                )

        thread("ada", (ids["ada"], ago(days=4)), (m, ago(days=3)))
        thread("ben", (m, ago(days=20)))
        thread("di", (ids["di"], ago(days=3)))
        intro = Post(
            course_id=course_id,
            author_id=ids["eve"],
            kind=PostKind.STUDENT_INTRODUCTION,
            body="Hi",
            body_html="Hi",
        )
        session.add(intro)
        session.flush()
        session.add(
            Reply(
                post_id=intro.id, author_id=t, body="Welcome", body_html="W", created_at=ago(days=1)
            )
        )
        checkin = CheckIn(
            course_id=course_id,
            title="Weekly",
            schedule={},
            questions=[{"id": "scale", "kind": "scale"}],
        )
        session.add(checkin)
        session.flush()
        weeks = []
        for n in range(3):
            occurrence = Occurrence(
                checkin_id=checkin.id,
                number=n + 1,
                opens_at=ago(days=21 - 7 * n),
                closes_at=ago(days=18 - 7 * n),
            )
            session.add(occurrence)
            session.flush()
            weeks.append(occurrence.id)
        for week, score in zip(weeks, (5, 4, 2), strict=True):
            session.add(
                CheckInResponse(
                    occurrence_id=week, student_id=ids["ben"], score=score, answers={"scale": score}
                )
            )
        session.add(
            CheckInResponse(
                occurrence_id=weeks[2],
                student_id=ids["cy"],
                score=3,
                wants_talk=True,
                answers={"scale": 3, "talk": True},
            )
        )
        return ids


def names(page: str) -> list[str]:
    table = page.split('class="stack dashboard-table"', 1)[1]
    return re.findall(r"<td><strong>([^<]+)</strong>", table)


def test_the_dashboard_on_a_course_worked_out_by_hand(tool, platform):
    app, url = tool
    use_clock(app, Clock(NOW))
    staff = teacher(platform, url)
    enter(platform, url, "ta", TA, name="Tomás Rivera")
    ids = build(app, int(staff.course.strip("/").split("/")[1]))
    page = staff.text("dashboard")
    assert "<strong>40%</strong> contacted within 14 days (2 of 5)" in page
    assert "<strong>1</strong> waiting for a reply: median 3 days, longest 3 days" in page
    assert "<strong>1 day</strong> staff's median time to reply, last 30 days (1 reply)" in page
    per_tutor = re.findall(r"<tr><td>([^<]+)</td><td[^>]*>(\d+)</td><td[^>]*>(\d+) \(", page)
    assert per_tutor == [
        ("Margaret Chen", "2", "1"),
        ("No tutor", "1", "1"),
        ("Tomás Rivera", "2", "0"),
    ]
    upcoming = re.findall(
        r"<li><span><strong>([^<]+)</strong> <span class=\"muted small\">— ([^<]+)</span>", page
    )
    assert upcoming == [
        ("Cy Cole", "Asked to talk in a check-in"),
        ("Di Dane", "Waiting 3 days for a reply"),
        ("Ben Brook", "Check-in answers falling"),
        ("Ada Ames", "No personal contact for 3 days"),
        ("Eve Egan", "No personal contact for 1 day"),
    ]
    assert names(page) == ["Cy Cole", "Di Dane", "Ben Brook", "Ada Ames", "Eve Egan"]
    assert names(staff.text("dashboard?show=outside")) == ["Cy Cole", "Di Dane", "Ben Brook"]
    assert names(staff.text("dashboard?show=never")) == ["Cy Cole", "Di Dane"]
    assert names(staff.text("dashboard?show=waiting")) == ["Di Dane"]
    assert names(staff.text(f"dashboard?tutor={ids['ta']}")) == ["Cy Cole", "Di Dane"]
    assert names(staff.text("dashboard?q=ad&sort=name")) == ["Ada Ames"]
    assert names(staff.text("dashboard?sort=name")) == [
        "Ada Ames",
        "Ben Brook",
        "Cy Cole",
        "Di Dane",
        "Eve Egan",
    ]

    assert staff.post(f"dashboard/flags/{ids['eve']}", {"flagged": "1"}).status_code == 303
    assert names(staff.text("dashboard?show=flagged")) == ["Eve Egan"]
    assert staff.post(f"dashboard/flags/{ids['eve']}", {"flagged": "0"}).status_code == 303
    assert names(staff.text("dashboard?show=flagged")) == []

    csv = staff.get("dashboard.csv")
    assert csv.status_code == 200 and csv.text.count("\n") == 6
    assert "Ben Brook" in csv.text and "falling" in csv.text


def test_only_staff_see_the_dashboard(tool, platform):
    app, url = tool
    use_clock(app, Clock(NOW))
    staff = teacher(platform, url)
    student = enter(platform, url, "amara")
    other = teacher(platform, url, sub="other", context="course-2")
    assert student.get("dashboard").status_code == 403
    assert student.get("dashboard.csv").status_code == 403
    amara = re.search(r"\d+", student.course).group(0)
    assert student.post(f"dashboard/flags/{amara}", {"flagged": "1"}).status_code == 403
    assert other.post(f"dashboard/flags/{amara}", {"flagged": "1"}).status_code == 404
    assert staff.get("dashboard").status_code == 200


def test_where_only_tutors_read_feedback_the_dashboard_keeps_it_from_other_staff(tool, platform):
    """Issue 13, finding 5: with feedback restricted to a student's tutor and the instructors,
    the dashboard and its CSV showed a teaching assistant who tutors nobody every student's
    thread titles and last contact. The thread-reading rule now holds there too."""
    app, url = tool
    use_clock(app, Clock(NOW))
    staff = teacher(platform, url)
    tutor = enter(platform, url, "ta", TA, name="Tomás Rivera")
    uma = enter(platform, url, "uma", TA, name="Uma Ito")
    course = int(staff.course.strip("/").split("/")[1])
    build(app, course)
    with transaction(state(app).sessions) as session:
        session.add(CourseSetting(course_id=course, key=VISIBILITY, value=TUTOR_AND_INSTRUCTORS))

    page = uma.text("dashboard")
    table = page.split('class="stack dashboard-table"', 1)[1]
    assert "Essay" not in page and "Margaret Chen, feedback" not in page
    assert table.count("Private to their tutor and the instructors") == 5
    assert "Waiting 3 days" not in page and "feedback/new" not in table
    assert "No personal contact for" not in page  # nothing to act on in "contact next"
    assert "<strong>40%</strong> contacted within 14 days (2 of 5)" in page  # counts stay
    for show in ("never", "outside", "waiting"):
        assert names(uma.text(f"dashboard?show={show}")) == [], show
    csv = uma.get("dashboard.csv").text
    assert "Essay" not in csv and csv.count("private to their tutor and the instructors") == 5

    # Tomás tutors Cy and Di: theirs he sees; Ada's and Ben's (Margaret's tutees) he does not.
    page = tutor.text("dashboard")
    assert "Di Dane" in page and "Essay" not in page.split("Ada Ames", 1)[1].split("</tr>")[0]
    assert page.count("Private to their tutor and the instructors") == 3  # Ada, Ben, Eve
    assert "Waiting 3 days" in page
    csv = tutor.get("dashboard.csv").text
    assert csv.count("private to their tutor and the instructors") == 3

    # Instructors read every thread, and so does everyone once the course says all staff.
    assert "Private to their tutor" not in staff.text("dashboard")
    with transaction(state(app).sessions) as session:
        setting = session.scalars(select(CourseSetting)).one()
        setting.value = ALL_STAFF
    assert "Private to their tutor" not in uma.text("dashboard")
    assert "feedback: Essay" in uma.get("dashboard.csv").text
