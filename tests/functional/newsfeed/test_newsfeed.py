"""The newsfeed over real launches: introductions first, news pinned then newest, scheduled
posts hidden until their time, drafts, edits, soft delete and restore, replies, reactions,
student introductions, and who has seen a post."""

from __future__ import annotations

import json
import re

from tests.conftest import without_rate_limits
from tests.fixtures import FIXTURES
from tests.newsfeed_flow import Clock, enter, teacher, use_clock, write_news


def articles(page: str) -> list[str]:
    """Post titles in page order."""
    return re.findall(r'class="post-title" id="post-\d+-title">\s*([^<]+?)\s*</h2>', page)


def reaction_count(page: str, key: str) -> int:
    found = re.search(
        rf'value="{key}"[^>]*>.*?(?:<span class="count">.*?</span> (\d+)</span>)?</button>', page
    )
    assert found, key
    return int(found.group(1) or 0)


def test_students_meet_the_teacher_first_then_pinned_news_then_newest(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    saved = staff.post(
        "profile",
        {
            "pronouns": "she/her",
            "role_title": "Module leader",
            "bio": "I research memory.",
            "contact": "Message me here; I answer within **two** working days.",
        },
    )
    assert saved.status_code == 303
    intro = staff.post("introduction", {"body": "I'm Margaret, and I *love* this course."})
    assert intro.status_code == 303
    for title in ("Week 1 reading", "Week 2 reading", "Read me first"):
        write_news(staff, title, pinned="1" if title == "Read me first" else "")
        clock.advance(minutes=5)
    student = enter(platform, url, "amara", name="Amara Okafor")
    home = student.text()
    assert articles(home) == [
        "Introducing Margaret Chen",
        "Read me first",
        "Week 2 reading",
        "Week 1 reading",
    ]
    assert "Module leader" in home and "(she/her)" in home
    assert "<em>love</em>" in home and "<strong>two</strong> working days" in home
    assert "Pinned" in home
    assert "Write news" not in home and "Seen by" not in home


def test_a_scheduled_post_stays_hidden_until_its_time_in_the_zone_it_was_written_in(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    student = enter(platform, url, "amara")
    response = staff.post(
        "posts/new",
        {
            "title": "Welcome week",
            "body": "See you soon.",
            "when": "schedule",
            "publish_at": "2027-02-01T09:00",
            "tz": "Europe/Berlin",
        },
    )
    assert response.status_code == 303
    assert "Welcome week" not in student.text()
    staff_home = staff.text()
    assert "Drafts and scheduled posts" in staff_home
    # 09:00 in Berlin in winter is 08:00 UTC.
    assert 'datetime="2027-02-01T08:00:00Z"' in staff_home
    clock.now = clock.now.replace(month=2, day=1, hour=7, minute=59)
    assert "Welcome week" not in student.text()
    clock.advance(minutes=1)
    assert "Welcome week" in student.text()
    assert "Drafts and scheduled posts" not in staff.text()


def test_a_time_in_the_past_or_nonsense_is_refused_with_a_reason(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    past = staff.post(
        "posts/new",
        {
            "title": "Late",
            "body": "x",
            "when": "schedule",
            "publish_at": "2020-01-01T09:00",
            "tz": "UTC",
        },
    )
    assert past.status_code == 400 and "That time has passed" in past.text
    nonsense = staff.post(
        "posts/new",
        {"title": "Odd", "body": "x", "when": "schedule", "publish_at": "soon", "tz": "Mars/Base"},
    )
    assert nonsense.status_code == 400 and "Give the date and time" in nonsense.text
    empty = staff.post("posts/new", {"title": "", "body": " "})
    assert empty.status_code == 400
    assert "Give the post a title." in empty.text and "Write something first." in empty.text


def test_drafts_edits_delete_and_restore(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    student = enter(platform, url, "amara")
    draft = staff.post("posts/new", {"title": "Not yet", "body": "draft", "when": "draft"})
    draft_id = int(re.search(r"post-(\d+)", draft.headers["Location"]).group(1))
    assert "Not yet" not in student.text()
    assert student.get(f"posts/{draft_id}").status_code == 404
    assert "Draft" in staff.text()

    news = write_news(staff, "Exam dates", "The exam is in May.")
    clock.advance(minutes=1)
    assert "· edited" not in student.text()
    edited = staff.post(
        f"posts/{news}/edit", {"title": "Exam dates", "body": "The exam is in June.", "when": "now"}
    )
    assert edited.status_code == 303
    page = student.text(f"posts/{news}")
    assert "June" in page and "· edited" in page

    assert staff.post(f"posts/{news}/delete").status_code == 303
    assert "Exam dates" not in student.text()
    assert student.get(f"posts/{news}").status_code == 404
    assert "Exam dates" in staff.text("posts/deleted")
    assert staff.post(f"posts/{news}/restore").status_code == 303
    assert "Exam dates" in student.text()


def test_replies_reactions_and_hiding_a_reply(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    intro = staff.post("introduction", {"body": "Hello, I'm your teacher."})
    intro_id = int(re.search(r"post-(\d+)", intro.headers["Location"]).group(1))
    amara = enter(platform, url, "amara", name="Amara Okafor")
    ben = enter(platform, url, "ben", name="Ben Adeyemi")
    assert "Say hello" in amara.text()
    said = amara.post(f"posts/{intro_id}/replies", {"body": "Hello from Lagos!"})
    assert said.status_code == 303
    assert "Hello from Lagos!" in ben.text()
    assert amara.post(f"posts/{intro_id}/reactions", {"reaction": "wave"}).status_code == 303
    assert ben.post(f"posts/{intro_id}/reactions", {"reaction": "wave"}).status_code == 303
    assert reaction_count(ben.text(), "wave") == 2
    assert ben.post(f"posts/{intro_id}/reactions", {"reaction": "wave"}).status_code == 303
    assert reaction_count(ben.text(), "wave") == 1
    assert amara.post(f"posts/{intro_id}/reactions", {"reaction": "boo"}).status_code == 400

    reply_id = int(re.search(r'id="reply-(\d+)"', ben.text()).group(1))
    assert staff.post(f"replies/{reply_id}/hide", {"hidden": "1"}).status_code == 303
    assert "Hello from Lagos!" not in ben.text()
    assert "Hidden from students" in staff.text()
    assert staff.post(f"replies/{reply_id}/hide", {"hidden": "0"}).status_code == 303
    assert "Hello from Lagos!" in ben.text()


def test_course_settings_close_replies_reactions_and_student_introductions(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    news = write_news(staff, "Welcome")
    student = enter(platform, url, "amara")
    assert "Introduce yourself" in student.text()  # the home offers it until it is written
    assert student.post("introduction", {"body": "Hi, I'm Amara."}).status_code == 303
    assert "Hi, I'm Amara." in student.text("introductions")
    assert "Introduce yourself" not in student.text()
    assert "Introduce yourself" in enter(platform, url, "ben").text()  # only hers is written
    settings = staff.text("settings")
    token = re.search(r'name="csrf_token" value="([^"]+)"', settings).group(1)
    closed = staff.post("settings", {"csrf_token": token, "course.time_zone": "UTC"})
    assert closed.status_code == 303
    home = student.text()
    assert "Send reply" not in home and 'name="reaction"' not in home
    assert student.post(f"posts/{news}/replies", {"body": "hi"}).status_code == 403
    assert student.post(f"posts/{news}/reactions", {"reaction": "like"}).status_code == 403
    assert student.post("introduction", {"body": "again"}).status_code == 403
    assert student.get("introduction").status_code == 403


def test_staff_see_who_on_the_roster_has_seen_a_post(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    news = write_news(staff, "Welcome")
    amara = enter(platform, url, "amara", name="Amara Okafor")
    enter(platform, url, "ben", name="Ben Adeyemi")  # launched, then closed the tab
    amara.text()
    home = staff.text()
    assert "Seen by 1 of 2 students" in home
    seen = staff.text(f"posts/{news}/seen")
    not_seen_part, seen_part = seen.split('id="seen"')
    assert "Ben Adeyemi" in not_seen_part.split('id="not-seen"')[1]
    assert "Amara Okafor" in seen_part
    assert amara.get(f"posts/{news}/seen").status_code == 403


def test_the_feed_pages_through_a_long_history(tool, platform):
    app, url = tool
    without_rate_limits(app)
    clock = use_clock(app, Clock())
    staff = teacher(platform, url)
    for n in range(45):
        write_news(staff, f"Post number {n:02d}")
        clock.advance(minutes=1)
    student = enter(platform, url, "amara")
    first = articles(student.text())
    assert first[0] == "Post number 44" and len(first) == 20
    assert "Older →" in student.text()
    last = articles(student.text("?page=3"))
    assert last == [f"Post number {n:02d}" for n in range(4, -1, -1)]


def test_the_lms_picture_shows_beside_a_post_when_it_is_https_else_initials(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    canvas = json.loads((FIXTURES / "canvas" / "id_token_resource_link.claims.json").read_text())
    staff = teacher(platform, url, picture=canvas["picture"])
    write_news(staff, "Hello")
    ta = teacher(
        platform, url, sub="ta", name="Tomás Rivera", picture="http://lms.example.edu/pix/ta.png"
    )
    write_news(ta, "Hello from your TA")
    home = enter(platform, url, "amara").text()
    assert f'<img class="avatar" src="{canvas["picture"]}"' in home
    assert "http://lms.example.edu/pix/ta.png" not in home
    assert '<span class="avatar" style="background: #' in home and ">TR</span>" in home
