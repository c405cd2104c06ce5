"""Email notifications end to end: real launches over HTTP, a tutor writing to a student, the
job runner mailing it through a real SMTP server (aiosmtpd), and the mail's one-click
unsubscribe honoured — then digests, coalescing, retries and no duplicates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import CourseSetting, Notification, NotificationStatus, TutorAllocation
from lti_tool.services.notifications.outbox import DELIVER
from lti_tool.services.notifications.settings import QUOTE
from lti_tool.tasks import QUEUE_DIGESTS
from tests.conftest import register, state
from tests.functional.feedback.test_feedback import course_id, person_id, start
from tests.mailbox import Mailbox, html_of, mailbox, text_of
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock
from tests.platform import DROP, LTI, TestPlatform

SENDER = "Rapport <rapport@uni.example>"
COURSE_PAGE = "https://lms.uni.example/course/view.php?id=7"
PRESENTATION = {LTI + "launch_presentation": {"return_url": COURSE_PAGE + "&sesskey=s3cret"}}


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with mailbox() as box:
        yield box


@pytest.fixture
def mailing(live: Any, platform: TestPlatform, smtp: Mailbox) -> tuple[Any, str, Clock]:
    app, url = live(smtp_url=smtp.url, mail_from=SENDER)
    register(app, platform)
    return app, url, use_clock(app, Clock())


def run_jobs(app: Any, clock: Clock, minutes: float = 4) -> None:
    """Let the coalescing window pass, then let the job runner do its minute's work."""
    clock.advance(minutes=minutes)
    jobs(app).enqueue(DELIVER)
    jobs(app).run_pending()


def people(platform: TestPlatform, url: str) -> tuple[Visitor, Visitor]:
    staff = teacher(platform, url, email="margaret@uni.example", **PRESENTATION)
    student = enter(platform, url, "amara", name="Amara Okafor", email="amara@uni.example")
    return staff, student


def write(visitor: Visitor, thread: int, body: str) -> None:
    response = visitor.post(f"feedback/{thread}/messages", {"body": body})
    assert response.status_code == 303, response.text[:300]


def test_a_tutors_message_reaches_the_student_by_mail_until_they_unsubscribe(
    mailing, platform, smtp
):
    app, url, clock = mailing
    staff, _ = people(platform, url)
    amara = person_id(app, "amara")
    thread = start(staff, amara, "Your first essay", "Dear Amara, <b>well</b> argued.")
    jobs(app).run_pending()
    assert smtp.take() == []  # not before the coalescing window has passed

    run_jobs(app, clock)
    [mail] = smtp.take()
    assert mail["From"] == SENDER
    assert mail["To"] == "Amara Okafor <amara@uni.example>"
    assert mail["Subject"] == "Margaret Chen wrote to you in Course course-1"
    text = text_of(mail)
    assert "Margaret Chen wrote to you in Course course-1" in text
    assert "“Your first essay”" in text
    # Into the course through the LMS (the launch's return URL, without its session key),
    # never a Rapport page that skips the launch; the words stay in the LMS (no quote).
    assert COURSE_PAGE in text and COURSE_PAGE in html_of(mail)
    assert "sesskey" not in text and "/courses/" not in text
    assert "well" not in text and "well" not in html_of(mail)
    unsubscribe = re.fullmatch(r"<(.+)>", mail["List-Unsubscribe"]).group(1)
    assert unsubscribe.startswith(url + "/notifications/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As a mail client reads it, unparsed: one `<URL>`, not encoded-words it would not decode.
    assert f"\r\nList-Unsubscribe: <{unsubscribe}>\r\n".encode() in smtp.raw[-1]

    # Following the link (a person, or a mail scanner) only asks; a POST unsubscribes.
    asked = requests.get(unsubscribe, timeout=10)
    assert asked.status_code == 200 and "Stop email about Course course-1?" in asked.text
    # The mail client's one-click POST: no login, no CSRF token, only the signature.
    # (The signature's first character: its last one also carries base64 padding bits, so
    # changing it can leave the decoded signature, and so the link, exactly as it was.)
    signed, signature = unsubscribe.rsplit(".", 1)
    forged = signed + "." + ("B" if signature[0] == "A" else "A") + signature[1:]
    tampered = requests.post(forged, data="List-Unsubscribe=One-Click")
    assert tampered.status_code == 404
    done = requests.post(
        unsubscribe,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "Unsubscribed" in done.text

    write(staff, thread, "One more thing.")
    run_jobs(app, clock)
    assert smtp.take() == []
    assert "checked" in _chosen(enter(platform, url, "amara", name="Amara Okafor"), "off")


def _chosen(visitor: Visitor, mode: str) -> str:
    page = visitor.text("notifications")
    found = re.search(rf'<input type="radio" name="mode" value="{mode}"[^>]*>', page)
    assert found, page[:500]
    return found.group(0)


def test_messages_minutes_apart_go_out_as_one_mail_and_a_quote_only_when_the_course_says(
    mailing, platform, smtp
):
    app, url, clock = mailing
    staff, _ = people(platform, url)
    quote_on(app, course_id(staff))
    amara = person_id(app, "amara")
    thread = start(staff, amara, "Week 1", "First <script>alert(1)</script> thought.")
    clock.advance(minutes=1)
    write(staff, thread, "Second thought.")
    run_jobs(app, clock)
    [mail] = smtp.take()
    assert mail["Subject"] == "2 updates in Course course-1"
    assert text_of(mail).count("Margaret Chen wrote to you in Course course-1") == 2
    # The course quotes messages: the words come, escaped in the HTML.
    assert "Second thought." in text_of(mail)
    assert "<script>" not in html_of(mail) and "&lt;script&gt;" in html_of(mail)
    run_jobs(app, clock)
    assert smtp.take() == []  # and never again


def test_a_mail_server_that_is_away_is_tried_again_and_the_failure_is_shown_to_staff(
    mailing, platform, smtp
):
    app, url, clock = mailing
    staff, _ = people(platform, url)
    start(staff, person_id(app, "amara"), "Week 1", "Hello.")
    smtp.stop()
    run_jobs(app, clock)
    with transaction(state(app).sessions) as session:
        [row] = session.scalars(select(Notification)).all()
        assert (row.status, row.attempts) == (NotificationStatus.WAITING, 1)
        assert row.last_error
    enter(platform, url, "kofi", name="Kofi Mensah", email=DROP)  # the LMS gives no address
    page = staff.text("notifications")
    assert "Amara Okafor" in page and "Failed: 0" in page
    cannot = page.split("People Rapport cannot mail", 1)[1]
    assert "Kofi Mensah" in cannot and "Amara Okafor" not in cannot
    assert 'rapport_notifications_total{outcome="retry"}' in _metrics(url)

    smtp.start()
    run_jobs(app, clock, minutes=0.5)
    assert smtp.take() == []  # the pause after a failure has not passed
    run_jobs(app, clock, minutes=2)
    [mail] = smtp.take()
    assert mail["To"] == "Amara Okafor <amara@uni.example>"
    run_jobs(app, clock, minutes=10)
    assert smtp.take() == []


def quote_on(app: Any, course: int) -> None:
    with transaction(state(app).sessions) as session:
        session.add(CourseSetting(course_id=course, key=QUOTE, value=True))


def _metrics(url: str) -> str:
    return requests.get(url + "/metrics", timeout=10).text


def test_staff_get_a_daily_digest_and_tutees_messages_at_once_when_they_ask(
    mailing, platform, smtp
):
    app, url, clock = mailing
    staff, student = people(platform, url)
    thread = start(staff, person_id(app, "amara"), "Week 1", "Hello.")
    run_jobs(app, clock)
    smtp.take()
    write(student, thread, "Could we talk about my essay?")
    run_jobs(app, clock)
    assert smtp.take() == []  # staff's default: the digest, not each message

    clock.advance(hours=19)  # 07:xx the next morning, UTC
    jobs(app).enqueue(QUEUE_DIGESTS)
    run_jobs(app, clock)
    [digest] = smtp.take()
    assert digest["To"] == "Margaret Chen <margaret@uni.example>"
    assert digest["Subject"] == "Your day in Course course-1"
    assert "Waiting for a reply, longest first:" in text_of(digest)
    assert "Amara Okafor: “Week 1”" in text_of(digest)
    jobs(app).enqueue(QUEUE_DIGESTS)
    run_jobs(app, clock)
    assert smtp.take() == []  # one digest a day

    chose = staff.post("notifications", {"mode": "immediate"})
    assert chose.status_code == 303
    with transaction(state(app).sessions) as session:
        session.add(
            TutorAllocation(
                course_id=course_id(staff),
                student_id=person_id(app, "amara"),
                tutor_id=person_id(app, "teacher"),
            )
        )
    write(student, thread, "Tuesday works for me.")
    run_jobs(app, clock)
    [mail] = smtp.take()
    assert mail["Subject"] == "Amara Okafor wrote to you in Course course-1"


def test_without_a_mail_server_nothing_is_queued_and_the_pages_say_email_is_off(tool, platform):
    app, url = tool
    staff = teacher(platform, url)
    start(staff, enter(platform, url, "amara", name="Amara Okafor") and person_id(app, "amara"),
          "Week 1", "Hello.")  # fmt: skip
    with transaction(state(app).sessions) as session:
        assert session.scalars(select(Notification)).all() == []
    assert "Email is off on this server" in staff.text("settings")
    assert "Email is off on this Rapport server" in staff.text("notifications")
