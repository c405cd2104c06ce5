"""The activity log over real HTTP after real OIDC launches: an instructor sees what staff did,
newest first, in sentences; teaching assistants, students and other courses' instructors are
refused and see nothing of it."""

from __future__ import annotations

import html
import re

from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock, write_news
from tests.platform import LEARNER

TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


def sentences(page: str) -> list[str]:
    """The log's lines as a reader reads them: whitespace collapsed, tags dropped."""
    items = re.findall(r'<p class="activity-what">(.*?)</p>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in items]


def test_an_instructor_reads_what_staff_did_newest_first(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    margaret = teacher(platform, url)
    tomas = enter(platform, url, "tomas", TEACHING_ASSISTANT, name="Tomás Ruiz")
    amara = enter(platform, url, "amara", LEARNER, name="Amara Okafor")
    assert margaret.text("audit").count('class="activity"') == 0
    news_id = write_news(tomas, "Week 1")
    assert margaret.post(f"posts/{news_id}/pin", {"pinned": "1"}).status_code == 303
    assert amara.post(f"posts/{news_id}/replies", {"body": "Thanks!"}).status_code == 303
    saved = margaret.post("settings", {"newsfeed.reactions": "on", "course.time_zone": "UTC"})
    assert saved.status_code == 303

    page = margaret.text("audit")
    assert sentences(page) == [
        "Margaret Chen changed Replies from On to Off; Student introductions from On to Off",
        "Margaret Chen pinned “Week 1”",
        "Tomás Ruiz published “Week 1”",
    ]
    assert 'aria-current="page">Activity log' in page
    assert "<time datetime=" in page  # the app's one date formatter


def test_teaching_assistants_students_and_other_courses_are_refused(tool, platform):
    _, url = tool
    margaret = teacher(platform, url)
    write_news(margaret, "Exam dates")
    tomas = enter(platform, url, "tomas", TEACHING_ASSISTANT, name="Tomás Ruiz")
    amara = enter(platform, url, "amara", LEARNER, name="Amara Okafor")
    for visitor in (tomas, amara):
        refused = visitor.get("audit")
        assert refused.status_code == 403
        assert "Exam dates" not in refused.text
        assert "Activity log" not in visitor.text()  # not offered in the navigation
    assert "Activity log" in margaret.text()

    elsewhere = teacher(platform, url, sub="grace", name="Grace Hopper", context="course-2")
    assert elsewhere.course != margaret.course
    intruder = Visitor(url, elsewhere.http, margaret.course)
    assert intruder.get("audit").status_code == 403
    own = elsewhere.text("audit")
    assert sentences(own) == []
    assert "Exam dates" not in own and "Nothing yet." in own
