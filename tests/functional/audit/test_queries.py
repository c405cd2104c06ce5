"""The activity log's page costs the same number of SQL statements for a log of ten entries and
one of a thousand, whatever people its entries name."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import Membership
from lti_tool.models.course import CourseRole
from lti_tool.services.audit import PAGE_SIZE, record
from lti_tool.services.tutors.audit import ALLOCATED, BALANCED
from tests.conftest import state
from tests.functional.roster.test_people import statements_for
from tests.newsfeed_flow import Clock, enter, teacher, use_clock

SMALL, LARGE = 10, 1_000
# As counted when the page was written: the grant checked against the membership with the
# course's settings, the navigation's unread feedback, the course, the page of entries with
# who did each and whom it was about, and the other people those entries name. One more
# query per page shows up as a failure here.
MOST_STATEMENTS = 5


def seed(app: Flask, course_id: int, size: int) -> None:
    """`size` entries about the course's students, each naming tutors in its details."""
    now = state(app).clock()
    with transaction(state(app).sessions) as session:
        people = dict(
            session.execute(
                select(Membership.role, Membership.person_id).where(
                    Membership.course_id == course_id
                )
            ).all()
        )
        staff, student = people[CourseRole.STAFF], people[CourseRole.STUDENT]
        for n in range(size):
            if n % 2:
                details = {"tutor_person_id": staff, "previous_tutor_person_id": None}
                record(session, course_id, staff, ALLOCATED, None, details, about=student,
                       now=now - timedelta(minutes=n))  # fmt: skip
            else:
                details = {"count": n, "tutor_person_ids": [staff], "only_unallocated": True}
                record(session, course_id, staff, BALANCED, None, details,
                       now=now - timedelta(minutes=n))  # fmt: skip


def test_the_activity_log_costs_the_same_statements_for_ten_entries_or_a_thousand(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    counts = {}
    for size in (SMALL, LARGE):
        context = f"course-{size}"
        staff = teacher(platform, url, context=context)
        enter(platform, url, f"student-{size}", name="Amara Okafor", context=context)
        seed(app, int(staff.course.strip("/").split("/")[1]), size)
        jobs(app).run_pending()  # no roster sync still running while statements are counted
        response, counts[size] = statements_for(app, lambda s=staff: s.get("audit"))
        assert response.status_code == 200
        shown = min(size, PAGE_SIZE)
        assert response.text.count("the tutor of Amara Okafor") == shown // 2
        assert response.text.count("without a tutor among Margaret Chen") == shown - shown // 2
    print(f"\nSQL statements for the activity log: {counts}")
    assert counts[SMALL] == counts[LARGE] <= MOST_STATEMENTS
