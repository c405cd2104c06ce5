"""Conversations either way, over real launches: a student writes first to their tutor from
the tutor's card (or to the course team without one), the staff who owe a reply find it
waiting on their home, a student who asks to talk in a check-in is told who will answer and
when, and a course can keep conversations staff-started."""

from __future__ import annotations

import html
import re

from lti_tool.services.feedback.settings import STUDENTS_START
from tests.functional.checkins.test_checkins import answer, create, occurrence_ids
from tests.functional.feedback.test_feedback import person_id
from tests.functional.test_settings import form_of
from tests.functional.tutors.test_tutors import allocate, ta
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock

CONTACT = "Message me here; office hour **Thursdays 10:00**."


def started_thread(response) -> int:
    assert response.status_code == 303, response.text[:400]
    return int(re.search(r"/feedback/(\d+)(?:\?|$)", response.headers["Location"]).group(1))


def waiting_section(page: str) -> str:
    found = re.search(r'<section class="card waiting".*?</section>', page, re.S)
    if not found:
        return ""
    words = re.sub(r"<[^>]+>", " ", found.group(0)).replace(" :", ":")
    return " ".join(html.unescape(words).split())


def tutored_course(app, platform, url) -> tuple[Visitor, Visitor, Visitor, Visitor]:
    """An instructor, Tom (a TA with a profile, Amara's tutor), Amara and Kofi (no tutor)."""
    lead = teacher(platform, url)
    tom = ta(platform, url, "tom", "Tom Reyes")
    assert (
        tom.post("profile", {"role_title": "Personal tutor", "contact": CONTACT}).status_code == 303
    )
    amara = enter(platform, url, "amara", name="Amara Okafor")
    kofi = enter(platform, url, "kofi", name="Kofi Mensah")
    assert allocate(lead, person_id(app, "amara"), person_id(app, "tom")).status_code == 303
    return lead, tom, amara, kofi


def test_a_student_writes_first_to_their_tutor_who_finds_it_waiting(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    lead, tom, amara, kofi = tutored_course(app, platform, url)

    home = amara.text()
    assert "Write to Tom Reyes" in home  # on the tutor's card, and on the Feedback page:
    assert f'href="{amara.course}feedback/new">New conversation</a>' in amara.text("feedback/")
    form = html.unescape(amara.text("feedback/new"))
    assert "Write to Tom Reyes" in form and "Thursdays 10:00" in form  # who, and when
    refused = amara.post("feedback/new", {"title": "", "body": "Hello"})
    assert refused.status_code == 400 and "Give the conversation a title." in refused.text
    thread = started_thread(
        amara.post("feedback/new", {"title": "Essay plan", "body": "Could we go over it?"})
    )
    assert "Essay plan" in amara.text("feedback/")

    clock.advance(minutes=5)
    waiting = waiting_section(tom.text())
    assert "Waiting for a reply (1)" in waiting
    assert "Amara Okafor: Essay plan" in waiting and "your tutee" in waiting
    assert f"/feedback/{thread}" in tom.text()
    # Everyone else's home stays as it was: the thread is the tutor's to answer.
    assert waiting_section(lead.text()) == ""
    # Students never see another student's thread.
    assert kofi.get(f"feedback/{thread}").status_code == 404
    assert "Essay plan" not in kofi.text("feedback/")

    assert tom.post(f"feedback/{thread}/messages", {"body": "Of course."}).status_code == 303
    assert waiting_section(tom.text()) == ""


def test_a_student_without_a_tutor_writes_to_the_course_team(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    lead, tom, _amara, kofi = tutored_course(app, platform, url)
    home = kofi.text()
    assert "Write to the course team" in home and "Write to Tom Reyes" not in home
    assert "The course team" in kofi.text("feedback/new")
    thread = started_thread(
        kofi.post("feedback/new", {"title": "Deadline", "body": "Can I have a week more?"})
    )
    # Kofi has no tutor: every staff member who reads every thread (all, by default) is the
    # course team, and finds it waiting.
    waiting = waiting_section(lead.text())
    assert "Kofi Mensah: Deadline" in waiting and "the course team" in waiting
    assert f"/feedback/{thread}" in lead.text()
    assert "Kofi Mensah" in lead.text("feedback/?show=waiting")
    assert "Kofi Mensah: Deadline" in waiting_section(tom.text())


def test_a_course_can_keep_conversations_staff_started(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    lead, _tom, amara, kofi = tutored_course(app, platform, url)
    page = lead.text("settings")
    assert f'name="{STUDENTS_START}" value="on" checked' in page
    saved = lead.http.post(
        lead.url + lead.course + "settings",
        data=form_of(page, **{STUDENTS_START: None}),
        allow_redirects=False,
    )
    assert saved.status_code == 303
    assert "Write to Tom Reyes" not in amara.text()
    assert "Write to the course team" not in kofi.text()
    assert "New conversation" not in amara.text("feedback/")
    assert amara.get("feedback/new").status_code == 403
    assert amara.post("feedback/new", {"title": "t", "body": "b"}).status_code == 403
    # Staff still start them, and students answer.
    thread = started_thread(
        lead.post(
            "feedback/new", {"student": person_id(app, "amara"), "title": "Hi", "body": "Hello"}
        )
    )
    assert amara.post(f"feedback/{thread}/messages", {"body": "Hi!"}).status_code == 303


def test_asking_to_talk_says_who_will_answer_and_shows_on_their_home(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    lead, tom, amara, kofi = tutored_course(app, platform, url)
    first = occurrence_ids(app, create(lead))[0]

    saved = answer(amara, first, scale="2", talk="yes")
    assert saved.status_code == 303 and "talk=1" in saved.headers["Location"]
    told = html.unescape(amara.http.get(amara.url + saved.headers["Location"]).text)
    assert "Tom Reyes will answer" in told and "Thursdays 10:00" in told
    waiting = waiting_section(tom.text())
    assert "Asked to talk (1)" in waiting and "Amara Okafor" in waiting
    assert waiting_section(lead.text()) == ""

    saved = answer(kofi, first, scale="4", talk="yes")
    told = html.unescape(kofi.http.get(kofi.url + saved.headers["Location"]).text)
    assert "the course team will answer" in told
    assert "Kofi Mensah" in waiting_section(lead.text())
    # Without a request to talk, nobody is named.
    saved = answer(kofi, first, scale="4")
    assert "talk=" not in saved.headers["Location"]
