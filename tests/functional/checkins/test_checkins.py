"""Check-ins over real launches: staff create a weekly check-in, a student answers it from the
top of the course home and changes the answer until it closes, staff triage the answers and
answer one in the student's feedback thread, handle another, and nudge who has not answered;
anonymous check-ins show staff no names anywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import CheckInResponse, Occurrence, Person
from lti_tool.tasks import BULK_START
from tests.conftest import state
from tests.newsfeed_flow import MENTOR, Clock, Visitor, enter, teacher, use_clock

WEEKLY = {
    "title": "Weekly check-in",
    "scale_prompt": "How confident do you feel about this week?",
    "scale_style": "scale",
    "low_label": "Lost",
    "high_label": "On top of it",
    "text_prompt": "What is one thing we could help with?",
    "talk": "on",
    "first": "2027-01-25T09:00",
    "repeat": "7",
    "count": "10",
    "open_hours": "72",
    "time_zone": "Europe/London",
}


def create(staff: Visitor, **changes: str) -> int:
    response = staff.post("checkins/new", {**WEEKLY, **changes})
    assert response.status_code == 303, response.text[:600]
    return int(re.search(r"/checkins/(\d+)", response.headers["Location"]).group(1))


def occurrence_ids(app, checkin_id: int) -> list[int]:
    with transaction(state(app).sessions) as session:
        return list(
            session.scalars(
                select(Occurrence.id)
                .where(Occurrence.checkin_id == checkin_id)
                .order_by(Occurrence.number)
            )
        )


def answer(student: Visitor, occurrence: int, **fields: str):
    return student.post(f"checkins/occurrences/{occurrence}/answer", fields)


def test_a_student_answers_from_the_course_home_and_changes_it_until_it_closes(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    checkin = create(staff)
    first, second = occurrence_ids(app, checkin)[:2]
    student = enter(platform, url, "amara", name="Amara Okafor")
    home = student.text()
    assert "Check-in open now" in home and "Answer: Weekly check-in" in home
    page = student.text(f"checkins/occurrences/{first}/answer")
    assert "How confident do you feel about this week?" in page and "Lost" in page
    refused = answer(student, first, text="hello")
    assert refused.status_code == 400 and "Choose one of the five answers." in refused.text
    assert answer(student, first, scale="4", text="All good").status_code == 303
    assert answer(student, first, scale="2", text="Actually lost", talk="yes").status_code == 303
    with transaction(state(app).sessions) as session:
        responses = session.scalars(select(CheckInResponse)).all()
    assert [(r.score, r.wants_talk, r.answers["text"]) for r in responses] == [
        (2, True, "Actually lost")
    ]
    assert "Change your answer: Weekly check-in" in student.text()
    assert answer(student, second, scale="3").status_code == 403  # not open yet
    clock.advance(hours=72)  # 28 Jan 10:00: the first closed at 09:00
    closed = answer(student, first, scale="5")
    assert closed.status_code == 403 and "closed" in closed.text
    assert "Check-in open now" not in student.text()
    history = student.text("checkins/mine")
    assert "Actually lost" in history and "Not answered yet." in history


def test_weekly_occurrences_keep_their_local_time_across_daylight_saving(tool, platform):
    app, url = tool
    use_clock(app, Clock(datetime(2027, 3, 1, 8, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    checkin = create(staff, first="2027-03-22T09:00", count="3")  # UK clocks change on 28 March
    with transaction(state(app).sessions) as session:
        opens = session.scalars(
            select(Occurrence.opens_at).where(Occurrence.checkin_id == checkin)
        ).all()
    assert [o.isoformat() for o in sorted(opens)] == [
        "2027-03-22T09:00:00+00:00",
        "2027-03-29T08:00:00+00:00",
        "2027-04-05T08:00:00+00:00",
    ]


def test_triage_puts_requests_to_talk_then_low_scores_then_drops_first(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    checkin = create(staff)
    first, second = occurrence_ids(app, checkin)[:2]
    people = {
        sub: enter(platform, url, sub, name=name)
        for sub, name in [
            ("ada", "Ada Ames"),
            ("ben", "Ben Brook"),
            ("cy", "Cy Cole"),
            ("di", "Di Dane"),
        ]
    }
    for sub, score in [("ada", "5"), ("ben", "4"), ("cy", "3"), ("di", "4")]:
        assert answer(people[sub], first, scale=score).status_code == 303
    clock.advance(days=7)
    for sub, fields in [
        ("ada", {"scale": "3"}),  # dropped by 2
        ("ben", {"scale": "4", "talk": "yes"}),  # asked to talk
        ("cy", {"scale": "1"}),  # lowest
        ("di", {"scale": "4"}),  # the rest
    ]:
        assert answer(people[sub], second, **fields).status_code == 303
    page = staff.text(f"checkins/triage?occurrence={second}")
    order = re.findall(r'<h2 class="triage-name"[^>]*>([^<]+?)(?: <|<)', page)
    assert order == ["Ben Brook", "Cy Cole", "Ada Ames", "Di Dane"]
    assert "down 2" in page

    ben = re.search(r'id="response-(\d+)"', page).group(1)
    answered = staff.post(f"checkins/responses/{ben}/answer", {"body": "Let's talk on Monday."})
    assert answered.status_code == 303
    thread = answered.headers["Location"]
    assert "/feedback/" in thread
    reply = people["ben"].text(thread.split(people["ben"].course, 1)[1])
    assert "You asked to talk to someone." in reply and "Let's talk on Monday." in reply
    cy = re.findall(r'id="response-(\d+)"', page)[1]
    assert staff.post(f"checkins/responses/{cy}/handle").status_code == 303
    again = staff.text(f"checkins/triage?occurrence={second}")
    assert re.findall(r'<h2 class="triage-name"[^>]*>([^<]+?)(?: <|<)', again)[:2] == [
        "Ada Ames",
        "Di Dane",
    ]


def test_staff_nudge_who_has_not_answered(tool, platform):
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    checkin = create(staff)
    first = occurrence_ids(app, checkin)[0]
    amara = enter(platform, url, "amara", name="Amara Okafor", given_name="Amara")
    ben = enter(platform, url, "ben", name="Ben Brook", given_name="Ben")
    assert answer(ben, first, scale="4").status_code == 303
    page = staff.text(f"checkins/occurrences/{first}/missing")
    assert "Amara Okafor" in page and "Ben Brook" not in page
    student_id = re.search(r'name="student" value="(\d+)"', page).group(1)
    sent = staff.post(
        f"checkins/occurrences/{first}/missing",
        {"student": student_id, "body": "Hello {first_name}, how is {activity_title} going?"},
    )
    assert sent.status_code == 200 and "Sending 1 personal message" in sent.text
    assert jobs(app).backlog(BULK_START) == 1
    jobs(app).run_pending()  # a worker writes it
    progress = re.search(r'href="[^"]*/(snippets/runs/\d+)"', sent.text).group(1)
    assert "All 1 message sent." in staff.text(progress)
    feedback = amara.text("feedback/")
    thread = re.search(r'href="[^"]*/feedback/(\d+)"', feedback).group(1)
    assert "Hello Amara, how is Weekly check-in going?" in amara.text(f"feedback/{thread}")


def test_an_anonymous_check_in_shows_staff_no_names(tool, platform):
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    checkin = create(staff, anonymous="on")
    first = occurrence_ids(app, checkin)[0]
    student = enter(platform, url, "amara", name="Amara Okafor")
    form = student.text(f"checkins/occurrences/{first}/answer")
    assert "Anonymous" in form and "talk to someone" not in form
    assert answer(student, first, scale="2", text="Struggling").status_code == 303
    overview = staff.text(f"checkins/{checkin}")
    assert "Amara" not in overview and "1 of 1" in overview
    assert staff.get(f"checkins/triage?checkin={checkin}").status_code == 403
    assert "Amara" not in staff.text("checkins/triage")
    with transaction(state(app).sessions) as session:
        response = session.scalars(select(CheckInResponse.id)).one()
    assert staff.post(f"checkins/responses/{response}/answer", {"body": "x"}).status_code == 403
    assert staff.post(f"checkins/responses/{response}/handle").status_code == 403


def test_who_may_do_what_with_check_ins(tool, platform):
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    checkin = create(staff)
    first = occurrence_ids(app, checkin)[0]
    student = enter(platform, url, "amara")
    mentor = enter(platform, url, "mentor", MENTOR)
    other = teacher(platform, url, sub="other", context="course-2")
    assert student.post("checkins/new", WEEKLY).status_code == 403
    assert student.get(f"checkins/{checkin}").status_code == 403
    assert student.get("checkins/triage").status_code == 403
    assert answer(staff, first, scale="3").status_code == 403
    for path in (
        "checkins/new",
        f"checkins/{checkin}",
        "checkins/triage",
        f"checkins/occurrences/{first}/answer",
        f"checkins/occurrences/{first}/missing",
    ):
        assert mentor.get(path).status_code == 403, path
    assert other.get(f"checkins/{checkin}").status_code == 404
    assert other.get(f"checkins/occurrences/{first}/missing").status_code == 404
    assert answer(student, first, scale="3").status_code == 303


def test_a_new_check_in_starts_from_the_course_s_check_in_settings(tool, platform):
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    page = staff.text("settings")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    saved = staff.post(
        "settings",
        {
            "csrf_token": token,
            "checkins.questions": "wellbeing",
            "checkins.anonymous": "on",
            "checkins.count": "12",
            "newsfeed.replies": "on",
            "newsfeed.reactions": "on",
        },
    )
    assert saved.status_code == 303
    form = staff.text("checkins/new")
    assert 'value="How are you doing overall?"' in form
    assert re.search(r'name="anonymous"[^>]* checked', form)
    assert 'name="count" min="1" max="52" value="12"' in form


def test_answers_download_as_csv_with_formulas_neutralised_and_no_names_when_anonymous(
    tool, platform
):
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    named, anonymous = create(staff), create(staff, anonymous="on", title="Anonymous pulse")
    student = enter(platform, url, "amara", name="Amara Okafor")
    for checkin in (named, anonymous):
        first = occurrence_ids(app, checkin)[0]
        assert answer(student, first, scale="2", text='=HYPERLINK("x")').status_code == 303
    csv = staff.get(f"checkins/{named}/answers.csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert "Amara Okafor" in csv.text and "'=HYPERLINK" in csv.text
    hidden = staff.get(f"checkins/{anonymous}/answers.csv").text
    assert "Amara" not in hidden and "'=HYPERLINK" in hidden
    assert student.get(f"checkins/{named}/answers.csv").status_code == 403
    overview = staff.text(f"checkins/{named}")
    assert "<svg" in overview and "Share of students who answered" in overview


def test_a_nudge_can_start_from_a_snippet_in_the_library(tool, platform):
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    first = occurrence_ids(app, create(staff))[0]
    enter(platform, url, "amara", name="Amara Okafor")
    saved = staff.post(
        "snippets", {"title": "Missed you", "body": "Hi {first_name}, we missed you this week."}
    )
    assert saved.status_code == 303, saved.text[:300]
    library = staff.text(f"checkins/occurrences/{first}/missing")
    snippet = re.search(r'<option value="(\d+)"[^>]*>Missed you<', library).group(1)
    page = staff.text(f"checkins/occurrences/{first}/missing?snippet={snippet}")
    assert "Hi {first_name}, we missed you this week." in page


@pytest.mark.parametrize(
    ("first", "repeat"),
    [("9999-12-31T23:59", "7"), ("9999-12-31T23:59", "0"), ("0001-01-01T00:00", "0")],
)
def test_a_first_date_at_the_end_of_the_calendar_says_what_to_fix(tool, platform, first, repeat):
    """9999-12-31 in Europe/London, repeated weekly, is past what a calendar holds: the form
    comes back naming the field, instead of a 500."""
    _, url = tool
    staff = teacher(platform, url)
    refused = staff.post("checkins/new", {**WEEKLY, "first": first, "repeat": repeat})
    assert refused.status_code == 400
    assert "between 2000 and 2100" in refused.text
    assert "Weekly check-in" in refused.text  # what was typed is kept


TEACHING_ASSISTANT = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
)


def _person(app, sub: str) -> int:
    with transaction(state(app).sessions) as session:
        return int(session.scalars(select(Person.id).where(Person.sub == sub)).one())


def test_triage_offers_an_answer_only_to_who_may_write_in_the_student_s_thread(tool, platform):
    """With feedback read only by tutors and instructors, a teaching assistant who is not the
    student's tutor is not offered an answer they could not send (their words would be lost
    to a 403); the instructor and the student's tutor are."""
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    instructor = teacher(platform, url)
    assistant = enter(platform, url, "ta", TEACHING_ASSISTANT, name="Tomás Rivera")
    tutor = enter(platform, url, "tutor", TEACHING_ASSISTANT, name="Priya Nair")
    form = instructor.text("settings")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    saved = instructor.post(
        "settings",
        {
            "csrf_token": token,
            "feedback.visibility": "tutor_and_instructors",
            "newsfeed.replies": "on",
            "newsfeed.reactions": "on",
        },
        csrf=False,
    )
    assert saved.status_code == 303
    checkin = create(instructor)
    first = occurrence_ids(app, checkin)[0]
    student = enter(platform, url, "amara", name="Amara Okafor")
    assert answer(student, first, scale="2", talk="yes").status_code == 303
    allocated = instructor.post(
        "tutors/allocate", {"student_id": _person(app, "amara"), "tutor_id": _person(app, "tutor")}
    )
    assert allocated.status_code == 303, allocated.text[:300]
    offered = "<summary>Answer Amara Okafor</summary>"
    assert offered in instructor.text("checkins/triage")
    assert offered in tutor.text("checkins/triage")
    page = assistant.text("checkins/triage")
    assert offered not in page
    assert "the answer is theirs to write" in page
