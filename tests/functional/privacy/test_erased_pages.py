"""Pages after an erasure, over real launches: a student writes everywhere a student writes,
staff write to her, `rapport privacy erase` runs, and then every page of the course that showed
her — each course route, with the ids of everything in the course — answers without an error,
shows her as a former student and none of her name, address or words."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from lti_tool.cli import main as rapport_cli
from lti_tool.db import transaction
from lti_tool.models import (
    BulkStart,
    CheckIn,
    FeedbackMessage,
    FeedbackThread,
    GradableActivity,
    Occurrence,
    Person,
    Placement,
    Post,
)
from lti_tool.services.newsfeed.service import REACTIONS
from tests.conftest import state
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock, write_news
from tests.platform import LEARNER

NAME, GIVEN, FAMILY = "Zephyrine Quillfeather", "Zephyrine", "Quillfeather"
EMAIL = "zeph.quill@students.example.edu"
HERS = [NAME, GIVEN, FAMILY, EMAIL, "zqmark"]
WEEKLY = {
    "title": "Weekly check-in", "scale_prompt": "How confident do you feel?",
    "text_prompt": "Anything else?", "talk": "on", "first": "2027-01-25T09:00", "repeat": "7",
    "count": "4", "open_hours": "72", "time_zone": "UTC",
}  # fmt: skip


def created(response: Any, pattern: str) -> int:
    assert response.status_code == 303, response.text[:500]
    found = re.search(pattern, response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def _writes(app: Any, margaret: Visitor, zeph: Visitor, zeph_id: int) -> list[str]:
    """Everything a student writes, and what staff write to her; the pages where a reader
    finds her after an erasure, as a former student."""
    news = write_news(margaret, "Week 1")
    intro = created(
        zeph.post("introduction", {"body": f"{GIVEN} here, zqmark-intro"}), r"post-(\d+)"
    )
    for visitor, post, words in ((zeph, news, "zqmark-reply"), (margaret, intro, f"Hi {GIVEN}!")):
        assert visitor.post(f"posts/{post}/replies", {"body": words}).status_code == 303
    reaction = next(iter(REACTIONS))
    assert zeph.post(f"posts/{news}/reactions", {"reaction": reaction}).status_code == 303
    started = margaret.post(
        "feedback/new", {"student": zeph_id, "title": f"A word for {NAME}", "body": f"Hi {GIVEN}"}
    )
    thread = created(started, r"/feedback/(\d+)")
    assert zeph.post(f"feedback/{thread}/messages", {"body": "zqmark-message"}).status_code == 303
    checkin = created(margaret.post("checkins/new", WEEKLY), r"/checkins/(\d+)")
    with transaction(state(app).sessions) as session:
        week = session.scalars(
            select(Occurrence.id).where(Occurrence.checkin_id == checkin, Occurrence.number == 1)
        ).one()
    answer = {"scale": "2", "text": "zqmark-answer", "talk": "yes"}
    assert zeph.post(f"checkins/occurrences/{week}/answer", answer).status_code == 303
    page = margaret.text(f"checkins/triage?occurrence={week}")
    response = re.search(r'id="response-(\d+)"', page).group(1)
    said = margaret.post(f"checkins/responses/{response}/answer", {"body": f"Talk, {GIVEN}?"})
    assert said.status_code == 303
    margaret_id = _person(app, "teacher")
    allocated = {"student_id": zeph_id, "tutor_id": margaret_id}
    assert margaret.post("tutors/allocate", allocated).status_code == 303
    assert margaret.post(f"dashboard/flags/{zeph_id}", {"flagged": "1"}).status_code == 303
    return [f"posts/{news}", f"feedback/{thread}", "feedback/", "people", "audit",
            f"tutors/{zeph_id}/history"]  # fmt: skip


def _person(app: Any, sub: str) -> int:
    with transaction(state(app).sessions) as session:
        return int(session.scalars(select(Person.id).where(Person.sub == sub)).one())


def _course_paths(app: Any, course_id: int, zeph_id: int) -> list[str]:
    """Every GET route of the course, with each id of what the course holds filled in."""
    with transaction(state(app).sessions) as session:
        ids = {
            "thread_id": session.scalars(select(FeedbackThread.id)).all(),
            "post_id": session.scalars(select(Post.id)).all(),
            "message_id": session.scalars(select(FeedbackMessage.id)).all(),
            "checkin_id": session.scalars(select(CheckIn.id)).all(),
            "occurrence_id": session.scalars(select(Occurrence.id)).all(),
            "activity_id": session.scalars(select(GradableActivity.id)).all(),
            "placement_id": session.scalars(select(Placement.id)).all(),
            "bulk_id": session.scalars(select(BulkStart.id)).all(),
            "student_id": [zeph_id],
        }
    paths = []
    prefix = "/courses/<int:course_id>/"
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or "GET" not in rule.methods:
            continue
        path = rule.rule.removeprefix(prefix)
        variables = re.findall(r"<(?:int:)?([a-z_]+)>", path)
        if not variables:
            paths.append(path)
        elif len(variables) == 1 and variables[0] in ids:
            paths += [re.sub(r"<[^>]+>", str(i), path) for i in ids[variables[0]]]
    return sorted(paths)


def test_every_page_that_showed_her_renders_a_former_student(tool, platform):
    app, url = tool
    use_clock(app, Clock(datetime(2027, 1, 25, 10, 0, tzinfo=UTC)))
    margaret = teacher(platform, url)
    zeph = enter(
        platform, url, "zq-7781", LEARNER, name=NAME, given_name=GIVEN, family_name=FAMILY,
        email=EMAIL,
    )  # fmt: skip
    ben = enter(platform, url, "ben", LEARNER, name="Ben Adler")
    zeph_id = _person(app, "zq-7781")
    former = _writes(app, margaret, zeph, zeph_id)
    course_id = int(margaret.course.strip("/").split("/")[1])
    paths = _course_paths(app, course_id, zeph_id)
    showed = [p for p in paths if _page(margaret, p) and NAME in _page(margaret, p)]
    assert len(showed) >= 8  # her thread, the feed, people, dashboard, tutors, triage, …

    erased = app.test_cli_runner().invoke(
        rapport_cli,
        ["privacy", "erase", "--issuer", platform.issuer, "--sub", "zq-7781", "--yes"],
    )
    assert erased.exit_code == 0, erased.output

    failures = []
    for path in _course_paths(app, course_id, zeph_id):
        response = margaret.get(path)
        leaked = [word for word in HERS if word.casefold() in response.text.casefold()]
        if response.status_code >= 500 or leaked:
            failures.append((path, response.status_code, leaked))
    assert failures == []
    assert set(former) <= set(showed)
    for path in former:  # elsewhere she is no longer listed (her answers, her introduction)
        assert "Former student" in margaret.text(path), path
    conversation = margaret.text(former[1])
    assert conversation.count("Removed: this person's data was erased.") == 2
    assert "Edit" not in conversation and "Your reply" not in conversation
    words = {"body": "Are you still there?"}
    assert margaret.post(f"{former[1]}/messages", words).status_code == 403
    feed = ben.text()
    assert "Former student" in feed and "zqmark" not in feed
    assert zeph.get("").status_code in (403, 404)  # her session opens nothing any more


def _page(visitor: Visitor, path: str) -> str | None:
    response = visitor.get(path)
    return response.text if response.status_code == 200 else None
