"""The course's navigation as a person meets it: on every page of the course, also the Grades
page and a refusal, with the current page marked and the pages beyond the phone's row under a
"More" disclosure (issue 16: "every destination reachable without a hidden sideways scroll").

Widths are the browser tests' concern (tests/browser/test_course_navigation.py); here, what the
navigation holds.
"""

from __future__ import annotations

import re

from tests.newsfeed_flow import enter, teacher, write_news

NAV = re.compile(r'<nav class="course-nav".*?</nav>', re.S)


def nav_of(html: str) -> str:
    found = NAV.search(html)
    assert found, "the page has no course navigation"
    return found.group(0)


def labels(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", a).split(" unread")[0].strip()
        for a in re.findall(r"<a [^>]*>(.*?)</a>", html, re.S)
    ]


def current(html: str) -> list[str]:
    return labels("".join(re.findall(r'<a [^>]*aria-current="page"[^>]*>.*?</a>', html, re.S)))


def more_menu(nav: str) -> str:
    found = re.search(r'<details class="more-menu">.*?</details>', nav, re.S)
    return found.group(0) if found else ""


# What an instructor finds under "More" on a phone, in order (the row keeps the first pages).
INSTRUCTOR_MORE = [
    "Introductions",
    "Tutors",
    "Snippets",
    "People",
    "My profile",
    "Grades",
    "Email",
    "Settings",
    "Activity log",
]


def test_an_instructor_s_row_and_more_menu_hold_every_page_once(tool, platform):
    _, url = tool
    staff = teacher(platform, url)
    nav = nav_of(staff.text())
    menu = more_menu(nav)
    assert labels(menu) == INSTRUCTOR_MORE
    row = nav.replace(menu, "")
    assert labels(row)[:5] == ["Newsfeed", "Dashboard", "Introductions", "Feedback", "Check-ins"]
    # Each page beyond the phone's row is hidden there (class "beyond") and offered under More.
    beyond = re.findall(r'<li class="beyond"><a [^>]*>([^<]+)', row)
    assert [b.strip() for b in beyond] == labels(menu)
    assert current(row) == ["Newsfeed"] and current(menu) == []


def test_the_grades_page_keeps_the_navigation_with_grades_current_in_the_row(tool, platform):
    _, url = tool
    staff = teacher(platform, url)
    nav = nav_of(staff.text("grades/"))
    menu = more_menu(nav)
    assert "Grades" not in labels(menu)  # the current page stays in the phone's row
    assert current(nav) == ["Grades"]
    assert 'name="csrf-token"' in staff.text("grades/")


def test_a_refusal_inside_the_course_keeps_the_navigation(tool, platform):
    _, url = tool
    teacher(platform, url)
    student = enter(platform, url, "amara", name="Amara Okafor")
    refused = student.get("dashboard")
    assert refused.status_code == 403
    nav = nav_of(refused.text)
    menu = more_menu(nav)
    assert labels(nav.replace(menu, "")) == [
        "Newsfeed", "Introductions", "Feedback", "Check-ins", "Email"
    ]  # fmt: skip
    assert labels(menu) == ["Introductions", "Email"]
    missing = student.get("feedback/999999")
    assert missing.status_code == 404
    assert "Check-ins" in labels(nav_of(missing.text))


def test_a_reply_under_news_says_the_whole_course_reads_it(tool, platform):
    _, url = tool
    staff = teacher(platform, url)
    write_news(staff, "Week 2 reading")
    student = enter(platform, url, "amara", name="Amara Okafor")
    page = student.text()
    form = re.search(r'<form class="reply-form".*?</form>', page, re.S)
    assert form is not None
    assert "Everyone in the course will read your reply." in form.group(0)
    assert re.search(r'<textarea [^>]*aria-describedby="reply-\d+-audience"', form.group(0))


def test_a_page_inside_a_feature_marks_its_link_and_keeps_it_in_the_row(tool, platform):
    _, url = tool
    staff = teacher(platform, url)
    marked = re.compile(r'<a [^>]*aria-current="true"[^>]*>.*?</a>', re.S)
    for path, section in (("checkins/triage", "Check-ins"), ("snippets/start", "Snippets"),
                          ("feedback/new", "Feedback")):  # fmt: skip
        nav = nav_of(staff.text(path))
        menu = more_menu(nav)
        assert labels("".join(marked.findall(nav))) == [section], path
        assert current(nav) == [] and section not in labels(menu), path  # in the phone's row
