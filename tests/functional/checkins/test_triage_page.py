"""Triage as staff use it (issue 16): urgency first whoever's tutee, "my tutees" a filter kept
for the course, each card naming the student's tutor, and a reply sent from the card without
leaving triage, with or without the page's script."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.models import Occurrence, Person, TutorAllocation
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


def stats(page: str) -> str:
    """The figures atop triage, as the page writes them."""
    found = re.search(r'<ul class="stats"[^>]*>(.*?)</ul>', page, re.S)
    assert found, "triage shows its figures"
    return found.group(1).strip()


def test_the_page_script_gets_json_and_refusals_say_why(tool, platform):
    staff, _, first = course_with_answers(tool, platform)
    before = staff.text(f"checkins/triage?occurrence={first}")
    ben = CARDS.findall(before)[0]
    assert "<strong>1</strong> asked to talk" in stats(before)
    path = f"{staff.url}{staff.course}checkins/responses/{ben}/answer"
    json = {"Accept": "application/json"}
    refused = staff.http.post(path, data={"body": "Hi"}, headers=json, allow_redirects=False)
    assert refused.status_code == 400 and "message" in refused.json(), "no CSRF token"
    form = {"body": "Hi", "csrf_token": staff.csrf(), "from": "triage", "occurrence": first,
            "page": "1", "mine": "0"}  # fmt: skip
    sent = staff.http.post(path, data=form, headers=json)
    assert sent.status_code == 200
    assert sent.json()["status"] == "answered"
    assert re.fullmatch(rf"{staff.course}feedback/\d+", sent.json()["thread_url"])
    after = staff.text(f"checkins/triage?occurrence={first}")
    assert "Answered" in after
    # The figures the page shows once Ben is answered, to put in place of the old ones: as
    # numbers, and written as the page writes them (in the reader's language).
    assert sent.json()["counts"] == {
        "talk": 0, "low": 0, "drop": 0, "rest": 2, "total": 3, "unread": 0,
    }  # fmt: skip
    assert sent.json()["shown"]["triage"].strip() == stats(after)
    assert "<strong>0</strong> asked to talk" in stats(after)
    assert sent.json()["shown"]["unread"] == ""


def test_a_reply_from_a_card_counts_what_is_left_in_the_list_it_came_from(tool, platform):
    staff, _, _ = course_with_answers(tool, platform)
    page = staff.text("checkins/triage?mine=1")  # Ben and Ada, the teacher's tutees
    assert "<strong>2</strong> answers in all" in stats(page)
    ben = CARDS.findall(page)[0]
    sent = staff.http.post(
        f"{staff.url}{staff.course}checkins/responses/{ben}/answer",
        data={"body": "Hi", "csrf_token": staff.csrf(), "from": "triage", "mine": "1"},
        headers={"Accept": "application/json"},
    )
    counts = sent.json()["counts"]
    assert (counts["talk"], counts["rest"], counts["total"]) == (0, 1, 2), "Ada waits"
    assert sent.json()["shown"]["triage"].strip() == stats(staff.text("checkins/triage"))


def test_a_reply_from_a_card_that_leaves_a_conversation_read_counts_it_in_the_navigation(
    tool, platform
):
    """Ben writes back in his check-in conversation, then asks to talk again the next week:
    the answer from his new card is the reply his conversation was waiting for."""
    staff, people, first = course_with_answers(tool, platform)
    app, _ = tool
    ben = CARDS.findall(staff.text(f"checkins/triage?occurrence={first}"))[0]
    answered = staff.post(f"checkins/responses/{ben}/answer", {"body": "Let's talk."})
    thread = re.search(r"/feedback/(\d+)", answered.headers["Location"]).group(1)
    state(app).clock.advance(days=7)
    assert people["ben"].post(f"feedback/{thread}/messages", {"body": "Thanks!"}).status_code == 303
    with transaction(state(app).sessions) as session:
        checkin = session.get_one(Occurrence, first).checkin_id
    second = occurrence_ids(app, checkin)[1]
    assert answer(people["ben"], second, scale="2", talk="yes").status_code == 303
    page = staff.text(f"checkins/triage?occurrence={second}")
    assert re.search(r'class="count-badge">1<', page), "Ben's words, unread"
    again = CARDS.findall(page)[0]
    sent = staff.http.post(
        f"{staff.url}{staff.course}checkins/responses/{again}/answer",
        data={"body": "Monday, then.", "csrf_token": staff.csrf(), "from": "triage",
              "occurrence": second, "mine": "0"},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert sent.json()["counts"]["unread"] == 0 and sent.json()["shown"]["unread"] == ""
    assert "count-badge" not in staff.text(f"checkins/triage?occurrence={second}")
