"""The demo course with something on every page, written over HTTP through real demo launches
(a page's worth of forms each, in a fraction of the time a browser takes), for the browser
tests to read at every width and as every role.

Margaret (instructor) and Tomás (TA) fill in their profiles; Margaret introduces herself, posts
news (pinned, plain, scheduled, deleted), shares students out as tutees, writes to Liam, keeps
a snippet and starts threads with it, places a graded feedback activity, opens a check-in in
faces that Amara (low, asks to talk), Liam and Priya answer, answers Amara's from triage, marks
Priya's handled and flags Liam. Amara introduces herself, replies, reacts and writes to her
tutor; Liam and Priya react, Liam replies in his thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests
from flask import Flask
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.demo import people
from lti_tool.models import Occurrence, Person, Placement
from lti_tool.services.notifications.preferences import unsubscribe_token
from lti_tool.services.placements import PlacementChoice, create_placements
from tests.conftest import state
from tests.deep_linking_flow import open_picker, returned, submit
from tests.demo.flow import launch_as
from tests.newsfeed_flow import Visitor, write_news

MARGARET, TOMAS = "instructor-margaret-chen", "ta-tomas-rivera"
AMARA, LIAM, PRIYA = "student-amara-okafor", "student-liam-obrien", "student-priya-raman"


def enter(url: str, person: str) -> Visitor:
    http = requests.Session()
    launched = launch_as(http, url, person).launch
    assert launched.status_code == 303, launched.text[:400]
    course = re.match(r"(/courses/\d+/)", launched.headers["Location"])
    assert course
    return Visitor(url, http, course.group(1))


def done(response: requests.Response, what: str) -> str:
    """Where a form that worked leads: its path inside the course, without query or fragment."""
    assert response.status_code == 303, (what, response.status_code, response.text[:400])
    return urlsplit(response.headers["Location"]).path.split("/", 3)[-1]


@dataclass
class FullCourse:
    """Where the browser finds what was written: paths inside the course, for staff and for a
    student, that links alone might not lead to (a post, a conversation), and the page a mail's
    unsubscribe link opens."""

    staff: list[str]
    student: list[str]
    unsubscribe: str


def ids(app: Flask) -> dict[str, int]:
    """Each demo person's id in Rapport, by their demo LMS id."""
    subs = {p.sub: p.person_id for p in people.COURSE.people}
    with transaction(state(app).sessions) as session:
        rows = session.execute(select(Person.sub, Person.id)).all()
    return {subs[sub]: pid for sub, pid in rows if sub in subs}


def weekly_checkin() -> dict[str, str]:
    """A weekly check-in in faces, its first week open since an hour ago."""
    return {
        "title": "Week 3 check-in",
        "scale_prompt": "How confident do you feel about this week?",
        "scale_style": "faces",
        "low_label": "Lost",
        "high_label": "On top of it",
        "text_prompt": "What is one thing we could help with?",
        "talk": "on",
        "first": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "repeat": "7",
        "count": "4",
        "open_hours": "72",
        "time_zone": "UTC",
    }


class Filling:
    """The people writing, each launched once, and the ids of what they wrote."""

    def __init__(self, app: Flask, url: str) -> None:
        self.app, self.url = app, url
        self.margaret, self.tomas = enter(url, MARGARET), enter(url, TOMAS)
        self.amara, self.liam, self.priya = enter(url, AMARA), enter(url, LIAM), enter(url, PRIYA)
        self.person = ids(app)

    def newsfeed(self) -> int:
        """Profiles, introductions, news pinned, plain, scheduled and deleted, replies and
        reactions; the pinned post's id."""
        margaret, amara, liam = self.margaret, self.amara, self.liam
        for staff, title in ((margaret, "Module leader"), (self.tomas, "Personal tutor")):
            profile = {
                "pronouns": "she/her" if staff is margaret else "he/him",
                "role_title": title,
                "bio": "I research how memory changes as we learn.",
                "contact": "Message me here. Drop-in: Thursdays 10:00-12:00.",
            }
            done(staff.post("profile", profile), "profile")
        intro = {"body": "Hello! I'm Margaret, and I lead **Foundations of Psychology**."}
        done(margaret.post("introduction", intro), "introduction")
        news = write_news(margaret, "Start here", "Each week has a reading.", pinned="1")
        write_news(margaret, "Week 2 reading is up", "Chapter 3, pages 41-68.")
        later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT09:00")
        write_news(margaret, "Exam briefing", "All about the exam.", when="schedule",
                   publish_at=later, tz="UTC")  # fmt: skip
        gone = write_news(margaret, "Seminar moved", "Room 2.04.")
        done(margaret.post(f"posts/{gone}/delete"), "delete")
        done(amara.post("introduction", {"body": "Hi all, I'm Amara from Lagos."}), "intro")
        done(amara.post(f"posts/{news}/replies", {"body": "Thank you, looking forward!"}), "reply")
        done(liam.post(f"posts/{news}/replies", {"body": "Same here."}), "reply")
        for visitor, reaction in ((amara, "like"), (liam, "celebrate"), (self.priya, "like")):
            done(visitor.post(f"posts/{news}/reactions", {"reaction": reaction}), "react")
        return news

    def conversations(self) -> str:
        """Tutors for three students, Amara writing to hers, a thread with Liam both ways, and
        a bulk start to two; the thread's path."""
        margaret, person = self.margaret, self.person
        for student, tutor in ((AMARA, TOMAS), (LIAM, TOMAS), (PRIYA, MARGARET)):
            chosen = {"student_id": person[student], "tutor_id": person[tutor]}
            done(margaret.post("tutors/allocate", chosen), "tutor")
        mine = {"title": "Essay plan", "body": "Could we go over my plan on Thursday?"}
        done(self.amara.post("feedback/new", mine), "student writes")
        started = {"student": person[LIAM], "title": "Your essay", "body": "Clear and **bold**."}
        thread = done(margaret.post("feedback/new", started), "thread")
        done(self.liam.post(f"{thread}/messages", {"body": "Thank you!"}), "answer")
        snippet = {"action": "save", "title": "Welcome", "body": "Hello {first_name}, welcome!"}
        done(margaret.post("snippets", snippet), "snippet")
        bulk = {"title": "Welcome, {first_name}", "body": "Hello {first_name}, welcome!",
                "student": [person[PRIYA], person[LIAM]], "to": "picked"}  # fmt: skip
        done(margaret.post("snippets/start", bulk), "bulk start")
        return thread

    def placed_activity(self) -> int:
        """A graded feedback activity, placed as the LMS places it; its placement's id."""
        placing = requests.Session()
        request = launch_as(placing, self.url, MARGARET, deep_linking="1")
        _, form = open_picker(placing, self.url, request.launch)
        placed = submit(placing, self.url, form, ["feedback"], **{"graded-feedback": "yes"})
        action, token = returned(placed)
        assert placing.post(action, data={"JWT": token}).status_code == 200
        with transaction(state(self.app).sessions) as session:
            return int(
                session.scalars(select(Placement.id).where(Placement.kind == "feedback")).one()
            )

    def checkin(self) -> tuple[str, str]:
        """A check-in Amara (low, asks to talk), Liam and Priya answered; Amara answered from
        triage, Priya's marked handled, Liam flagged. Its overview's and its answer's paths."""
        margaret = self.margaret
        checkin = done(margaret.post("checkins/new", weekly_checkin()), "check-in")
        with transaction(state(self.app).sessions) as session:
            week = session.scalars(select(Occurrence.id).order_by(Occurrence.number)).first()
        answer = f"checkins/occurrences/{week}/answer"
        answers = (
            (self.amara, {"scale": "1", "text": "I'm behind on the reading.", "talk": "yes"}),
            (self.liam, {"scale": "4"}),
            (self.priya, {"scale": "2", "text": "Busy week at work."}),
        )
        for visitor, given in answers:
            done(visitor.post(answer, given), "answer")
        triage = margaret.text("checkins/triage")
        cards = {
            name: rid
            for rid, name in re.findall(r'id="response-(\d+)"[^>]*data-name="([^"]+)"', triage)
        }
        said = {"body": "Thanks for telling us. Shall we meet on Monday?"}
        done(margaret.post(f"checkins/responses/{cards['Amara Okafor']}/answer", said), "triage")
        done(margaret.post(f"checkins/responses/{cards['Priya Raman']}/handle"), "handled")
        done(margaret.post(f"dashboard/flags/{self.person[LIAM]}", {"flagged": "1"}), "flag")
        return checkin, answer


def fill(app: Flask, url: str) -> FullCourse:
    filling = Filling(app, url)
    news, thread = filling.newsfeed(), filling.conversations()
    activity, (checkin, answer) = filling.placed_activity(), filling.checkin()
    course = int(filling.margaret.course.strip("/").split("/")[1])
    with transaction(state(app).sessions) as session:
        # A check-in link the LMS copied from last term: staff choose which check-in it opens.
        [copied] = create_placements(
            session, course, None, [PlacementChoice("checkin", "Weekly", False, None)]
        )
        copied_link = f"checkins/placed/{copied.id}/choose"
    staff = [f"posts/{news}", thread, checkin, f"feedback/activities/{activity}", copied_link]
    token = unsubscribe_token(state(app).settings.secret_key, filling.person[AMARA], course)
    return FullCourse(staff, [f"posts/{news}", answer], f"/notifications/unsubscribe/{token}")
