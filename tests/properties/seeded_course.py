"""A course with something behind every form, and the forms its pages show to staff and students.

Built as people build it, over HTTP: an instructor and two students launch; the instructor posts
news, starts a feedback conversation, creates a check-in, saves a snippet, places a graded
feedback activity through Deep Linking (and leaves a second deep-linking request open), grades
Amara in it; Amara replies and answers the check-in. Then each person's pages are crawled, link
by link, and every `<form method="post">` on them is read: the real field names, the values a
page offers, and the action with the ids of real objects.
"""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from flask import Flask
from sqlalchemy import select, update
from werkzeug.exceptions import HTTPException

from lti_tool.db import transaction, utcnow
from lti_tool.models import Course, GradeDelivery, Occurrence, Person, Placement
from lti_tool.models.course import CourseRole
from lti_tool.models.grades import DeliveryStatus
from lti_tool.services.access import CourseGrant
from lti_tool.services.checkins import service as checkins
from lti_tool.services.notifications.preferences import unsubscribe_token
from lti_tool.services.placements import PlacementChoice, create_placements
from tests.conftest import RunningTool, running_tool, state
from tests.deep_linking_flow import Control, Form, dl_launch, open_picker, parse, submit
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock, write_news
from tests.platform import LTI

MAX_PAGES = 60  # per person: every page of this course is a few links from its home


@dataclass(frozen=True)
class FoundForm:
    """A form a page showed: the endpoint it posts to, where, and its fields."""

    endpoint: str
    action: str  # a path, with the ids of the objects the page showed
    form: Form


@dataclass
class SeededCourse:
    tool: RunningTool
    people: dict[str, Visitor]  # "staff", "student"
    pages: dict[str, list[str]] = field(default_factory=dict)  # what each person's crawl read
    forms: list[FoundForm] = field(default_factory=list)

    @property
    def app(self) -> Flask:
        return self.tool.app

    def endpoint_of(self, path: str) -> str | None:
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _ = adapter.match(urlsplit(path).path, method="POST")
        except HTTPException:  # a form posting outside the app, or not by POST
            return None
        return str(endpoint)


def person_id(app: Flask, sub: str) -> int:
    with transaction(state(app).sessions) as session:
        return int(session.scalars(select(Person.id).where(Person.sub == sub)).one())


def _page(response: requests.Response) -> str:
    assert response.status_code == 200, response.text[:500]
    return response.text


def _ok(response: requests.Response, what: str) -> str:
    """Where a form that worked sent the browser (a 303), or "" for a page (a 200)."""
    assert response.status_code in (200, 303), (what, response.status_code, response.text[:500])
    return response.headers.get("Location", "")


def _id_in(location: str, pattern: str) -> int:
    found = re.search(pattern, location)
    assert found, (pattern, location)
    return int(found.group(1))


def _newsfeed(staff: Visitor, amara: Visitor) -> str:
    """A post with Amara's reply and reaction, and a deleted one; where deleting it landed."""
    post = write_news(staff, "Welcome", "Read chapter one.")
    gone = write_news(staff, "Draft to delete")
    deleted = _ok(staff.post(f"posts/{gone}/delete"), "delete")  # links to deleted posts
    _ok(amara.post(f"posts/{post}/replies", {"body": "Thank you!"}), "reply")
    _ok(amara.post(f"posts/{post}/reactions", {"reaction": "thanks"}), "react")
    return deleted


def _feedback_and_snippet(staff: Visitor, amara: Visitor, amara_id: int) -> None:
    started = staff.post("feedback/new", {"student": amara_id, "title": "Essay", "body": "Good."})
    thread = _id_in(_ok(started, "feedback"), r"/feedback/(\d+)")
    _ok(amara.post(f"feedback/{thread}/messages", {"body": "Thanks, Margaret."}), "answer")
    snippet = {"action": "save", "title": "Nudge", "body": "Hi {first_name}"}
    _ok(staff.post("snippets", snippet), "snippet")


def _checkin(tool: RunningTool, staff: Visitor, amara_id: int, now: datetime) -> None:
    """A weekly check-in open now, which Amara answered."""
    checkin = {
        "title": "Weekly check-in",
        "scale_prompt": "How confident do you feel?",
        "scale_style": "scale",
        "low_label": "Lost",
        "high_label": "On top of it",
        "text_prompt": "What could we help with?",
        "talk": "on",
        "first": now.strftime("%Y-%m-%dT08:00"),
        "repeat": "7",
        "count": "4",
        "open_hours": "72",
        "time_zone": "Europe/London",
    }
    made = _id_in(_ok(staff.post("checkins/new", checkin), "check-in"), r"/checkins/(\d+)")
    with transaction(state(tool.app).sessions) as session:
        first = session.scalars(
            select(Occurrence.id).where(Occurrence.checkin_id == made).order_by(Occurrence.number)
        ).first()
        grant = CourseGrant(course_id(staff), amara_id, CourseRole.STUDENT)
        answers = {"scale": "2", "text": "Lost on metre.", "talk": "yes"}
        checkins.answer(session, grant, first, answers, now)


def _placed_and_graded(tool: RunningTool, staff: Visitor, amara_id: int) -> tuple[int, str]:
    """A graded feedback activity placed as the LMS places it, Amara graded in it (the score's
    delivery failed), and a second deep-linking request left open: the activity and the open
    request's picker."""
    platform, url = tool.platform, tool.url
    _, picker = open_picker(staff.http, url, dl_launch(staff.http, url, platform))
    placed = submit(staff.http, url, picker, ["feedback"], **{"graded-feedback": "yes"})
    assert placed.status_code == 200, placed.text[:500]
    left_open = _ok(dl_launch(staff.http, url, platform), "deep linking")
    with transaction(state(tool.app).sessions) as session:
        activity = session.scalars(select(Placement.id)).one()
    opened = _ok(staff.post(f"feedback/activities/{activity}/students/{amara_id}"), "activity")
    graded = {"body": "Well done.", "grade": "7"}
    _ok(staff.post(f"feedback/{opened.rsplit('/', 1)[-1]}/messages", graded), "grade")
    with transaction(state(tool.app).sessions) as session:
        session.execute(update(GradeDelivery).values(status=DeliveryStatus.FAILED))
    return activity, urlsplit(left_open).path


def _seed(tool: RunningTool, clock: Clock) -> SeededCourse:
    platform, url = tool.platform, tool.url
    # Last term's course, which the LMS says this one copies: the home offers its set-up.
    teacher(platform, url, context="last-term")
    copied = {LTI + "custom": {"context_id_history": "last-term"}}
    staff = teacher(platform, url, **copied)
    amara = enter(platform, url, "amara", name="Amara Okafor", given_name="Amara")
    enter(platform, url, "ben", name="Ben Adeyemi")
    amara_id = person_id(tool.app, "amara")
    deleted = _newsfeed(staff, amara)
    _feedback_and_snippet(staff, amara, amara_id)
    _checkin(tool, staff, amara_id, clock.now)
    activity, picker = _placed_and_graded(tool, staff, amara_id)
    with transaction(state(tool.app).sessions) as session:
        # The LMS shares its roster (read a moment ago: a refresh now waits a minute).
        now = utcnow()
        session.execute(
            update(Course).values(nrps_url=platform.base_url + "/nrps", roster_synced_at=now)
        )

    with transaction(state(tool.app).sessions) as session:
        # A check-in link the LMS copied from last term, opening none of this course's yet.
        [link] = create_placements(
            session, course_id(staff), None, [PlacementChoice("checkin", "Weekly", False, None)]
        )
        copied_link = f"{staff.course}checkins/placed/{link.id}/choose"

    course = SeededCourse(tool, {"staff": staff, "student": amara})
    # Where the LMS opens Rapport besides the course home (the picker of a deep-linking request,
    # the placed activity, a copied link), and where deleting a post lands.
    start = [picker, f"{staff.course}feedback/activities/{activity}", deleted, copied_link]
    crawl(course, "staff", start)
    # The page a mail's unsubscribe link opens (signed, outside the course's pages).
    token = unsubscribe_token(state(tool.app).settings.secret_key, amara_id, course_id(amara))
    crawl(course, "student", [f"/notifications/unsubscribe/{token}"])
    # The bulk start's confirmation is a form on its preview, which a form posts to.
    preview = {"student": str(amara_id), "title": "Hello", "body": "Hello {first_name}"}
    page = _page(staff.post("snippets/start/preview", preview))
    _keep_forms(course, staff.course + "snippets/start/preview", page)
    # The reader's time zone, which local-time.js posts where a page names `data-zone-url`.
    assert 'data-zone-url="/zone"' in page
    zone = Form("/zone", "post", [Control("input", "text", "zone", "Europe/London", False)])
    course.forms.append(FoundForm("language.zone", "/zone", zone))
    return course


def course_id(visitor: Visitor) -> int:
    return int(visitor.course.strip("/").split("/")[1])


def _keep_forms(course: SeededCourse, path: str, page: str) -> None:
    for form in parse(page).forms:
        if form.method != "post":
            continue
        action = urlsplit(urljoin(course.tool.url + path, form.action))
        target = action.path + (f"?{action.query}" if action.query else "")
        endpoint = course.endpoint_of(target)
        if endpoint is not None:
            course.forms.append(FoundForm(endpoint, target, form))


def crawl(course: SeededCourse, who: str, start: list[str]) -> None:
    """Read every page of the course this person reaches by links from its home (and from
    `start`), keeping the post forms they show."""
    visitor = course.people[who]
    base = course.tool.url
    queue: deque[str] = deque([visitor.course, *start])
    seen: set[str] = set(queue)
    pages: list[str] = []
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        response = visitor.http.get(base + path, allow_redirects=False)
        if response.status_code != 200 or "text/html" not in response.headers["Content-Type"]:
            continue
        pages.append(path)
        _keep_forms(course, path, response.text)
        for href in re.findall(r'href="([^"#]+)', response.text):
            link = urlsplit(urljoin(base + path, html.unescape(href)))
            target = link.path + (f"?{link.query}" if link.query else "")
            inside = link.path.startswith(visitor.course) and not link.path.endswith(".csv")
            if inside and target not in seen:
                seen.add(target)
                queue.append(target)
    course.pages[who] = pages


@contextmanager
def seeded_course(tmp: Path, templates: Path) -> Iterator[SeededCourse]:
    with running_tool(tmp, templates) as tool:
        clock = use_clock(tool.app, Clock())
        yield _seed(tool, clock)
