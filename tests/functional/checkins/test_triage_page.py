"""Triage as staff use it (issue 16): urgency first whoever's tutee, "my tutees" a filter kept
for the course, each card naming the student's tutor, and a reply sent from the card without
leaving triage, with or without the page's script."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import Person, TutorAllocation
from tests.conftest import state
from tests.functional.checkins.test_checkins import answer, create, occurrence_ids
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock

NAMES = re.compile(r'<h2 class="triage-name"[^>]*>([^<]+?)(?: <|<)')
CARDS = re.compile(r'id="response-(\d+)"')


def course_with_answers(tool, platform) -> tuple[Visitor, dict[str, Visitor], int]:
    """Ada (the teacher's tutee) answered calmly; Ben asked to talk; Cy has no tutor."""
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    staff = teacher(platform, url)
    first = occurrence_ids(app, create(staff))[0]
    people = {
        sub: enter(platform, url, sub, name=name)
        for sub, name in [("ada", "Ada Ames"), ("ben", "Ben Brook"), ("cy", "Cy Cole")]
    }
    for sub, fields in [("ada", {"scale": "5"}), ("ben", {"scale": "4", "talk": "yes"}),
                        ("cy", {"scale": "3"})]:  # fmt: skip
        assert answer(people[sub], first, **fields).status_code == 303
    with transaction(state(app).sessions) as session:
        ids = {row.sub: row.id for row in session.execute(select(Person.sub, Person.id))}
        course_id = int(staff.course.strip("/").split("/")[1])
        session.add_all(
            TutorAllocation(course_id=course_id, student_id=ids[sub], tutor_id=ids["teacher"])
            for sub in ("ada", "ben")
        )
    return staff, people, first


def test_urgency_comes_first_and_my_tutees_is_a_filter_kept_for_the_course(tool, platform):
    staff, _, _ = course_with_answers(tool, platform)
    page = staff.text("checkins/triage")
    assert NAMES.findall(page) == ["Ben Brook", "Cy Cole", "Ada Ames"]  # Ada: calm, a tutee
    assert page.count("Tutor: you") == 2 and "No personal tutor" in page
    mine = staff.text("checkins/triage?mine=1")
    assert NAMES.findall(mine) == ["Ben Brook", "Ada Ames"]
    assert NAMES.findall(staff.text("checkins/triage")) == ["Ben Brook", "Ada Ames"], "kept"
    assert NAMES.findall(staff.text("checkins/triage?mine=0")) == [
        "Ben Brook",
        "Cy Cole",
        "Ada Ames",
    ]
    assert len(NAMES.findall(staff.text("checkins/triage"))) == 3, "and kept off"


def test_a_reply_from_a_card_without_script_comes_back_to_the_next_card(tool, platform):
    staff, people, first = course_with_answers(tool, platform)
    page = staff.text(f"checkins/triage?occurrence={first}")
    ben, cy = CARDS.findall(page)[:2]
    assert f'name="following" value="{cy}"' in page
    sent = staff.post(
        f"checkins/responses/{ben}/answer",
        {"body": "Let's talk on Monday.", "from": "triage", "occurrence": first, "page": "1",
         "following": cy},
    )  # fmt: skip
    assert sent.status_code == 303
    back = sent.headers["Location"]
    assert back.startswith(f"{staff.course}checkins/triage?") and back.endswith(f"#response-{cy}")
    assert f"occurrence={first}" in back and f"answered={ben}" in back
    again = staff.text(back.split(staff.course, 1)[1].split("#")[0])
    assert "Reply sent: it is in the student's feedback thread." in again
    assert NAMES.findall(again) == ["Cy Cole", "Ada Ames", "Ben Brook"]  # answered: dealt with
    assert '<span class="tag pin">Answered</span>' in again
    thread = people["ben"].text("feedback/")
    assert "Check-in: Weekly check-in" in thread


def test_the_page_script_gets_json_and_refusals_say_why(tool, platform):
    staff, _, first = course_with_answers(tool, platform)
    ben = CARDS.findall(staff.text(f"checkins/triage?occurrence={first}"))[0]
    path = f"{staff.url}{staff.course}checkins/responses/{ben}/answer"
    json = {"Accept": "application/json"}
    refused = staff.http.post(path, data={"body": "Hi"}, headers=json, allow_redirects=False)
    assert refused.status_code == 400 and "message" in refused.json(), "no CSRF token"
    sent = staff.http.post(
        path, data={"body": "Hi", "csrf_token": staff.csrf(), "from": "triage"}, headers=json
    )
    assert sent.status_code == 200
    assert sent.json()["status"] == "answered"
    assert re.fullmatch(rf"{staff.course}feedback/\d+", sent.json()["thread_url"])
    assert "Answered" in staff.text(f"checkins/triage?occurrence={first}")
