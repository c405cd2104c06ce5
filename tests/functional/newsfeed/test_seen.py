"""'Seen by n of m' over real launches: the course home, a post's own page, the introductions
and the who-has-seen-it list give the same two numbers (one function counts them), and the
list offers to write to the students who have not seen the post, picked on the bulk start."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from lti_tool.db import transaction
from lti_tool.models import Membership, Person, PostView
from tests.conftest import state
from tests.functional.feedback.test_feedback import person_id
from tests.newsfeed_flow import MENTOR, Clock, enter, teacher, use_clock, write_news


def seen_by(page: str) -> list[str]:
    return re.findall(r"Seen by (?:<strong>)?(\d+)(?:</strong>)? of (\w+)", page)


def test_every_page_says_the_same_seen_by_and_offers_to_write_to_who_has_not(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    assert staff.post("introduction", {"body": "I'm Margaret."}).status_code == 303
    news = write_news(staff, "Week 1", "Read chapter one.")
    students = {sub: enter(platform, url, sub, name=f"Student {sub}") for sub in "abcde"}
    for sub in "abc":
        students[sub].text()  # shown the news and the introduction
    # "c" leaves the course (inactive): neither side counts them any more.
    with transaction(state(app).sessions) as session:
        session.execute(
            update(Membership)
            .where(Membership.person_id == person_id(app, "c"))
            .values(active=False)
        )
    expected = ("2", "4")  # a and b of a, b, d, e
    home = seen_by(staff.text())
    assert home and set(home) == {expected}
    assert seen_by(staff.text(f"posts/{news}")) == [expected]  # it said "of None"
    assert expected in seen_by(staff.text("introductions"))
    listed = staff.text(f"posts/{news}/seen")
    assert seen_by(listed) == [expected]

    link = re.search(
        r'href="([^"]+not_seen=\d+)">Write to the 2 students who have not seen it', listed
    )
    assert link, listed[-2000:]
    start = staff.http.get(url + link.group(1).replace("&amp;", "&"))
    assert start.status_code == 200
    assert "2 students who have not seen the post are picked below." in start.text
    picked = set(re.findall(r'name="student" value="(\d+)"(?: checked)?', start.text))
    checked = {int(i) for i in re.findall(r'name="student" value="(\d+)" checked', start.text)} | {
        int(i) for i in re.findall(r'type="hidden" name="student" value="(\d+)"', start.text)
    }
    assert checked == {person_id(app, "d"), person_id(app, "e")}, picked


def test_only_students_views_are_kept(tool, platform):
    """'Seen by' counts students; a staff member's or a mentor's views are never stored."""
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    news = write_news(staff, "Week 1", "Read chapter one.")
    for page in ("", "introductions", f"posts/{news}"):
        assert staff.get(page).status_code == 200
    assert enter(platform, url, "mentor", MENTOR, name="A Mentor").get().status_code == 200
    assert enter(platform, url, "s", name="A Student").get().status_code == 200
    with state(app).sessions() as session:
        viewers = select(Person.sub).join(PostView, PostView.person_id == Person.id)
        assert list(session.scalars(viewers)) == ["s"]
