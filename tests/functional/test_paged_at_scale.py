"""The pages that list a course's students or answers are paged in SQL (issue 15): each costs
the same SQL statements for 20 students as for 250 or 500 (with 20 messages and 10 check-in
answers each), and its response is as large for 500 students as for 250 — bounded by the page,
not the course. The check-in CSV, which holds every answer, is streamed.

Pages: People; check-in triage (the course's, one check-in's, one week's, a second page);
the feedback list (all, unread, tutees), a feedback activity's students, the new conversation's
student picker (and a search in it); who has seen a post (both sides paged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import insert, select, update

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import (
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    Placement,
    Post,
    PostKind,
    PostView,
)
from lti_tool.models.course import CourseRole
from tests.conftest import state
from tests.functional.checkins.test_queries import course_id_of
from tests.functional.dashboard.seed import TITLES, Seeded, seed_course
from tests.functional.roster.test_people import statements_for
from tests.newsfeed_flow import Clock, teacher, use_clock

SIZES = (20, 250, 500)
MESSAGES_EACH, RESPONSES_EACH = 20, 10
NOW = datetime(2027, 3, 30, 12, 0, tzinfo=UTC)
GROWTH = 0.05  # the most a page may grow from 250 students to 500: names differ in length
# At 250 students (150 have seen the post, 100 not), these pages are not full.
PART_FILLED = {"seen by, second pages"}


@dataclass
class Measured:
    statements: dict[str, int]
    sizes: dict[str, int]
    streamed: bool  # the CSV came in chunks, without a length known beforehand


def extras(app: Flask, seeded: Seeded, staff_id: int) -> tuple[int, int]:
    """A graded feedback activity (the first thread of each student is its), and a news post
    three in five students have seen."""
    with transaction(state(app).sessions) as session:
        placement = Placement(
            course_id=seeded.course_id,
            token=f"scale-{seeded.course_id}",
            kind="feedback",
            title="Essay feedback",
            graded=True,
            score_maximum=10.0,
        )
        post = Post(
            course_id=seeded.course_id,
            author_id=staff_id,
            kind=PostKind.NEWS,
            title="Welcome",
            body="Hello",
            body_html="<p>Hello</p>",
            publish_at=NOW - timedelta(days=1),
        )
        session.add_all([placement, post])
        session.flush()
        session.execute(
            update(FeedbackThread)
            .where(FeedbackThread.course_id == seeded.course_id, FeedbackThread.title == TITLES[0])
            .values(placement_id=placement.id)
        )
        students = session.scalars(
            select(Membership.person_id).where(
                Membership.course_id == seeded.course_id, Membership.role == CourseRole.STUDENT
            )
        ).all()
        session.execute(
            insert(PostView),
            [
                {"post_id": post.id, "person_id": p, "seen_at": NOW}
                for k, p in enumerate(students)
                if k % 5 < 3
            ],
        )
        return placement.id, post.id


def pages(seeded: Seeded, week: int, placement: int, post: int) -> dict[str, str]:
    return {
        "people": "people",
        "triage": "checkins/triage",
        "triage, page 2": "checkins/triage?page=2",
        "triage, one check-in": f"checkins/triage?checkin={seeded.checkin_id}",
        "triage, one week": f"checkins/triage?occurrence={week}",
        "feedback": "feedback/",
        "feedback, unread": "feedback/?show=unread",
        "feedback, my tutees": "feedback/?show=mine",
        "new conversation": "feedback/new",
        "new conversation, a search": "feedback/new?q=a",
        "feedback activity": f"feedback/activities/{placement}",
        "seen by": f"posts/{post}/seen",
        "seen by, second pages": f"posts/{post}/seen?seen_page=2&not_seen_page=2",
    }


def measure(app: Flask, url: str, platform: Any, size: int) -> Measured:
    staff, *_ = (
        teacher(platform, url, sub=sub, name=name, context=f"scale-{size}")
        for sub, name in (("teacher", "Margaret Chen"), ("second-tutor", "Tomás Rivera"))
    )
    jobs(app).run_pending()  # no roster sync still running while statements are counted
    with state(app).sessions() as session:
        by_sub = dict(
            session.execute(
                select(Person.sub, Person.id).where(Person.sub.in_(("teacher", "second-tutor")))
            ).all()
        )
    staff_ids, me = sorted(by_sub.values()), by_sub["teacher"]
    course_id = course_id_of(staff)
    seeded = seed_course(
        app, course_id, staff_ids, size, size * MESSAGES_EACH, size * RESPONSES_EACH, NOW
    )
    with state(app).sessions() as session:
        weeks = session.scalars(
            select(Occurrence.id)
            .where(Occurrence.checkin_id == seeded.checkin_id)
            .order_by(Occurrence.number)
        ).all()
    placement, post = extras(app, seeded, me)
    staff.text("people")  # a first page, so no page below pays for the session's start
    statements, sizes = {}, {}
    # The fourth week: most answers to it have answers before them, so drops count.
    for name, path in pages(seeded, weeks[3], placement, post).items():
        response, statements[name] = statements_for(app, lambda p=path: staff.get(p))
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        sizes[name] = len(response.content)
    csv, statements["check-in CSV"] = statements_for(
        app, lambda: staff.get(f"checkins/{seeded.checkin_id}/answers.csv")
    )
    assert csv.status_code == 200 and csv.text.count("\n") == size * RESPONSES_EACH + 1
    streamed = "Content-Length" not in csv.headers
    return Measured(statements, sizes, streamed)


def test_paged_pages_cost_the_same_statements_and_bytes_at_any_size(tool, platform):
    app, url = tool
    use_clock(app, Clock(NOW))
    measured = {size: measure(app, url, platform, size) for size in SIZES}
    small, medium, large = (measured[size] for size in SIZES)
    print(f"\nSQL statements and bytes per page, {SIZES} students:")
    for name, count in large.statements.items():
        sizes = " / ".join(str(m.sizes.get(name, "-")) for m in measured.values())
        print(f"  {name}: {count} statements; {sizes} bytes")
    assert small.statements == medium.statements == large.statements
    grown = {
        name: (medium.sizes[name], large.sizes[name])
        for name in large.sizes
        if large.sizes[name] > medium.sizes[name] * (1 + GROWTH) and name not in PART_FILLED
    }
    assert grown == {}, "pages that grow with the course"
    assert all(m.streamed for m in measured.values())
    assert large.statements["check-in CSV"] <= 3  # the entry, the check-in, one streamed query
