"""Staff find a student by name or email in the feedback list and when starting a
conversation: matched and paged in SQL, so each search costs the same statements for 200
students as for 2,000, and each thread in the list names its student."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import insert, select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import FeedbackThread, Membership, Person
from lti_tool.models.course import CourseRole
from tests.conftest import state
from tests.functional.feedback.test_feedback import course_id
from tests.functional.roster.test_people import statements_for
from tests.newsfeed_flow import Clock, Visitor, teacher, use_clock

NOW = datetime(2027, 1, 25, 12, 0, tzinfo=UTC)
SIZES = (200, 2_000)
# The most statements each search may take, as counted when it was written.
MOST = {"feedback list, a search": 5, "waiting for a reply": 5, "new conversation, a search": 3}


def seed(app, course: int, size: int) -> None:
    """`size` students, each with an email and one thread in which they wrote last."""
    with transaction(state(app).sessions) as session:
        registration = session.scalar(select(Person.registration_id).limit(1))
        prefix = f"search-{course}-"
        session.execute(
            insert(Person),
            [
                {"registration_id": registration, "sub": f"{prefix}{n:04d}",
                 "name": f"Learner {n:04d}", "given_name": "Learner",
                 "family_name": f"{n:04d}", "email": f"learner{n:04d}@uni.example",
                 "created_at": NOW, "updated_at": NOW}
                for n in range(size)
            ],
        )  # fmt: skip
        ids = session.scalars(select(Person.id).where(Person.sub.startswith(prefix))).all()
        session.execute(
            insert(Membership),
            [
                {"course_id": course, "person_id": p, "role": CourseRole.STUDENT,
                 "active": True, "lti_roles": [], "created_at": NOW}
                for p in ids
            ],
        )  # fmt: skip
        session.execute(
            insert(FeedbackThread),
            [
                {"course_id": course, "student_id": p, "title": f"Question {k}",
                 "created_at": NOW, "last_message_at": NOW, "last_author_id": p}
                for k, p in enumerate(ids)
            ],
        )  # fmt: skip


def searches(app, url, platform, size: int) -> dict[str, int]:
    staff: Visitor = teacher(platform, url, context=f"search-{size}")
    jobs(app).run_pending()
    seed(app, course_id(staff), size)
    staff.text("feedback/")  # the session's first page pays for nothing below
    counts = {}
    for name, path, expect in (
        ("feedback list, a search", "feedback/?q=learner0042%40", "Learner 0042"),
        ("waiting for a reply", "feedback/?show=waiting", "Awaiting your reply"),
        ("new conversation, a search", "feedback/new?q=0042", ">Learner 0042</option>"),
    ):
        response, counts[name] = statements_for(app, lambda p=path: staff.get(p))
        assert response.status_code == 200 and expect in response.text, name
    found = staff.text("feedback/?q=learner0042%40")
    assert len(re.findall(r'class="card thread-item', found)) == 1
    assert "With <strong>Learner 0042</strong>" in found  # the thread names its student
    # 100 match "learner00": two pages of 50, the search kept from one page to the next.
    first, second = (staff.text(f"feedback/?q=learner00&page={n}") for n in (1, 2))
    assert [len(re.findall(r'class="card thread-item', p)) for p in (first, second)] == [50, 50]
    assert "q=learner00&amp;page=2" in first and "Older" in first and "Older" not in second
    return counts


def test_searching_students_costs_the_same_for_200_or_2000(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    counts = {size: searches(app, url, platform, size) for size in SIZES}
    print(f"\nSQL statements per search: {counts}")
    assert counts[SIZES[0]] == counts[SIZES[1]]
    over = {name: n for name, n in counts[SIZES[1]].items() if n > MOST[name]}
    assert over == {}, f"more statements than {MOST}"
