"""An ended course over real launches and HTTP: the end the LMS sends at launch (and the one staff
set, which wins), what students and staff are told and can still do during the grace period
and after it, the whole course downloaded as a ZIP, and retention: the job runner warning the
staff by mail a month ahead, then deleting the course."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import AuditEntry, Course, CourseDeletion, CourseSetting, Occurrence, Person
from lti_tool.services.archive.audit import DOWNLOADED
from lti_tool.services.archive.rules import READ_ONLY
from lti_tool.services.archive.settings import END_DATE
from lti_tool.services.notifications.outbox import DELIVER
from lti_tool.tasks import RETENTION
from tests.conftest import register, state
from tests.functional.checkins.test_checkins import WEEKLY
from tests.functional.test_settings import form_of
from tests.mailbox import Mailbox, mailbox, text_of
from tests.newsfeed_flow import Clock, Visitor, enter, teacher, use_clock, write_news
from tests.platform import LTI, TestPlatform

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
NOW = datetime(2027, 1, 25, 12, 0, tzinfo=UTC)
COURSE_PAGE = "https://lms.uni.example/courses/7"


def custom(end: str | None) -> dict[str, Any]:
    """The custom claim Canvas sends once it has substituted `$Canvas.course.endAt`."""
    presentation = {"return_url": COURSE_PAGE}
    return {LTI + "custom": {"course_end_at": end}, LTI + "launch_presentation": presentation}


def lms_end(app: Any) -> datetime | None:
    with transaction(state(app).sessions) as session:
        return session.scalar(select(Course.lms_ends_at))


def words(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


@pytest.fixture
def course(tool: tuple[Any, str], platform: TestPlatform) -> tuple[Any, Visitor, Visitor]:
    """Margaret's course, which Canvas says ended on 20 January at 17:00 (-07:00), and Amara."""
    app, url = tool
    use_clock(app, Clock(NOW))
    staff = teacher(platform, url, email="margaret@uni.example",
                    **custom("2027-01-20 17:00:00 -0700"))  # fmt: skip
    student = enter(platform, url, "amara", name="Amara Okafor", **custom("$Canvas.course.endAt"))
    return app, staff, student


def test_the_lms_end_is_kept_from_launch_to_launch_until_the_lms_says_otherwise(course, platform):
    app, staff, _ = course
    ended = datetime(2027, 1, 21, 0, 0, tzinfo=UTC)
    assert lms_end(app) == ended  # Amara's unsubstituted variable changed nothing
    enter(platform, staff.url, "ben", name="Ben Lee")  # no parameter at all (Moodle)
    enter(platform, staff.url, "cy", name="Cy Young", **custom("whenever"))
    assert lms_end(app) == ended
    teacher(platform, staff.url, **custom("2027-03-31T23:00:00Z"))  # Canvas moved it
    assert lms_end(app) == datetime(2027, 3, 31, 23, 0, tzinfo=UTC)
    teacher(platform, staff.url, **custom(None))  # and then took it away
    assert lms_end(app) is None


def test_during_the_grace_period_students_still_write_and_are_told_until_when(course):
    _, staff, student = course
    news = write_news(staff, "Last week")
    home = words(student.text())
    assert "This course ended on 21 Jan 2027 ." in home
    assert "You can still write here until 4 Feb 2027, 00:00 UTC" in home
    assert student.post(f"posts/{news}/replies", {"body": "Thanks!"}).status_code == 303
    said = words(staff.text())
    assert "Students can still write here until 4 Feb 2027, 00:00 UTC" in said
    assert "Download the whole course" in said


def test_after_the_grace_period_students_read_and_staff_write(course, tool):
    app, staff, student = course
    news = write_news(staff, "Last week")
    assert student.post("introduction", {"body": "Hi, I'm Amara."}).status_code == 303
    state(app).clock.advance(days=10)  # 4 February, 12:00: grace over
    home = student.text()
    assert "It is read only now: you can still read everything here" in words(home)
    assert "Last week" in home  # still reads
    assert 'class="reply-form"' not in home and "Introduce yourself" not in home
    assert 'name="reaction"' not in home
    refused = student.post(f"posts/{news}/replies", {"body": "Too late?"})
    assert refused.status_code == 403
    page = words(refused.text)
    assert str(READ_ONLY).replace("'", "&#39;") in page or str(READ_ONLY) in page
    assert "It is read only now" in page  # the notice on the refusal too
    assert student.post("notifications", {"mode": "off"}).status_code == 303  # their own choice
    # Staff keep writing, and are told what students can no longer do.
    assert staff.post(f"posts/{news}/replies", {"body": "Goodbye!"}).status_code == 303
    assert "Since 4 Feb 2027, 00:00 UTC students can read it but no longer write" in words(
        staff.text()
    )


def test_an_end_date_staff_set_wins_over_the_lms_s(course):
    app, staff, student = course
    state(app).clock.advance(days=10)
    page = staff.text("settings")
    assert 'type="date" id="setting-course-end_date" name="course.end_date" value=""' in page
    assert "The LMS says the course ends on" in words(page)
    saved = staff.http.post(
        staff.url + staff.course + "settings",
        data=form_of(page, **{END_DATE: "2027-06-30"}),
        allow_redirects=False,
    )
    assert saved.status_code == 303, words(saved.text)[-300:]
    assert "The end date above says the course ends on 30 Jun 2027" in words(staff.text("settings"))
    assert "This course ended" not in student.text()
    assert student.post("introduction", {"body": "Back again."}).status_code == 303
    bad = staff.http.post(
        staff.url + staff.course + "settings",
        data=form_of(staff.text("settings"), **{END_DATE: "30/06/2027"}),
        allow_redirects=False,
    )
    assert bad.status_code == 400 and "Enter a date as 2027-06-30" in bad.text


# -- the download -------------------------------------------------------------------------------
def download(visitor: Visitor) -> Any:
    return visitor.post("download")


def test_instructors_download_the_whole_course_and_nobody_else_does(course, platform):
    app, staff, student = course
    url = staff.url
    news = write_news(staff, "Welcome, everyone")
    assert student.post(f"posts/{news}/replies", {"body": "Hello from Amara"}).status_code == 303
    assert student.post(f"posts/{news}/reactions", {"reaction": "like"}).status_code == 303
    essay = {"student": person(app, "amara"), "title": "Your essay", "body": "Strong opening."}
    started = staff.post("feedback/new", essay)
    assert started.status_code == 303
    made = staff.post("checkins/new", WEEKLY)
    assert made.status_code == 303
    checkin = int(re.search(r"/checkins/(\d+)", made.headers["Location"]).group(1))
    with transaction(state(app).sessions) as session:
        week_one = session.scalar(select(Occurrence.id).where(Occurrence.number == 1))
    answer = {"scale": "2", "text": "Lost in week one.", "talk": "on"}
    assert student.post(f"checkins/occurrences/{week_one}/answer", answer).status_code == 303
    hidden = staff.post("checkins/new", {**WEEKLY, "title": "Anonymous pulse", "anonymous": "on"})
    anonymous = int(re.search(r"/checkins/(\d+)", hidden.headers["Location"]).group(1))
    with transaction(state(app).sessions) as session:
        its_first = session.scalar(
            select(Occurrence.id).where(Occurrence.checkin_id == anonymous, Occurrence.number == 1)
        )
    said = {"scale": "4", "text": "Fine, thanks."}
    assert student.post(f"checkins/occurrences/{its_first}/answer", said).status_code == 303
    assistant = enter(platform, url, "uma", TA, name="Uma Ito")
    allocation = {"student_id": person(app, "amara"), "tutor_id": person(app, "uma")}
    assert staff.post("tutors/allocate", allocation).status_code == 303
    elsewhere = teacher(platform, url, sub="teacher-b", context="course-b")

    got = download(staff)
    assert got.status_code == 200, words(got.text)[-300:]
    assert got.headers["Content-Type"] == "application/zip"
    assert got.headers["Content-Disposition"] == (
        "attachment; filename=rapport-course-course-1-2027-01-25.zip"
    )
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    assert sorted(archive.namelist()) == [
        "README.txt",
        f"check-ins/check-in-{checkin}-answers.csv",
        f"check-ins/check-in-{anonymous}-answers.csv",
        "course.json",
        "students-and-contact.csv",
    ]
    document = json.loads(archive.read("course.json"))
    assert document["format"] == "rapport-course/1"
    assert document["course"]["ends_at"] == "2027-01-21T00:00:00Z"
    assert document["course"]["end_from"] == "lms"
    assert document["exported_by"] == "Margaret Chen"
    [post] = document["posts"]
    assert (post["title"], post["reactions"]) == ("Welcome, everyone", {"like": 1})
    assert [(r["author"], r["body"]) for r in post["replies"]] == [
        ("Amara Okafor", "Hello from Amara")
    ]
    [thread] = document["feedback_threads"]
    assert thread["student"] == "Amara Okafor"
    assert [m["body"] for m in thread["messages"]] == ["Strong opening."]
    listed, _ = document["checkins"]
    assert listed["title"] == WEEKLY["title"]
    weeks = document["checkin_weeks"]
    assert [(w["checkin_id"], w["number"]) for w in weeks][:10] == [
        (checkin, n) for n in range(1, 11)
    ]
    # An anonymous check-in's answers name nobody and say nothing of when they came.
    assert weeks[10]["responses"] == [{"answers": {"scale": 4, "text": "Fine, thanks."}}]
    [answered] = weeks[0]["responses"]
    assert answered["student"] == "Amara Okafor"
    assert answered["answers"]["text"] == "Lost in week one."
    assert [(t["student"], t["tutor"]) for t in document["tutors"]] == [("Amara Okafor", "Uma Ito")]
    assert {"course.end_date", "course.grace_days"} <= {s["key"] for s in document["settings"]}
    assert {p["name"] for p in document["people"]} == {"Margaret Chen", "Amara Okafor", "Uma Ito"}
    published = [e for e in document["activity_log"] if "Welcome, everyone" in e["what"]]
    assert [e["who"] for e in published] == ["Margaret Chen"]
    rows = list(
        csv.reader(io.StringIO(archive.read("students-and-contact.csv").decode("utf-8-sig")))
    )
    assert rows[0][0] == "student" and rows[1][0] == "Amara Okafor"
    answers = archive.read(f"check-ins/check-in-{checkin}-answers.csv").decode("utf-8-sig")
    assert answers.startswith("occurrence,opened,student") and "Lost in week one." in answers
    with transaction(state(app).sessions) as session:
        logged = session.scalars(select(AuditEntry).where(AuditEntry.action == DOWNLOADED)).all()
    assert len(logged) == 1
    # Those who do not run the course, and everyone elsewhere, get nothing.
    assert download(student).status_code == 403
    assert download(assistant).status_code == 403
    stranger = elsewhere.http.post(
        url + staff.course + "download",
        data={"csrf_token": elsewhere.csrf()},
        allow_redirects=False,
    )
    assert stranger.status_code == 403
    assert staff.post("download", csrf=False).status_code == 400  # the form's CSRF token
    assert "Download the whole course (ZIP)" in staff.text("settings")


def person(app: Any, sub: str) -> int:
    with transaction(state(app).sessions) as session:
        return int(session.scalars(select(Person.id).where(Person.sub == sub)).one())


# -- retention ----------------------------------------------------------------------------------
@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with mailbox() as box:
        yield box


def test_retention_warns_the_staff_a_month_ahead_then_deletes_the_course(live, platform, smtp):
    app, url = live(smtp_url=smtp.url, mail_from="Rapport <r@uni.example>", retention_days=30)
    register(app, platform)
    clock = use_clock(app, Clock(NOW))
    staff = teacher(platform, url, email="margaret@uni.example", **custom("2027-01-20"))
    student = enter(platform, url, "amara", name="Amara Okafor", email="amara@uni.example")

    def run(job: str = RETENTION) -> None:
        jobs(app).enqueue(job)
        jobs(app).run_pending()

    run()  # planned for 19 February: within a month, so warned now, for a month from now
    run(DELIVER)
    [mail] = smtp.take()
    assert mail["To"] == "Margaret Chen <margaret@uni.example>"
    assert mail["Subject"] == "Course course-1 will be deleted from Rapport on 24 Feb 2027"
    body = " ".join(text_of(mail).split())
    assert "then Settings in Rapport, and download the whole course before then" in body
    assert COURSE_PAGE in body
    said = words(staff.text())
    assert "this one will be deleted on 24 Feb 2027" in said and "Download the whole course" in said
    assert "this one will be deleted on 24 Feb 2027" in words(student.text())
    assert "told the course&#39;s staff by email that this course will be deleted" in words(
        staff.text("audit")
    )

    clock.advance(days=29)
    run()
    run(DELIVER)
    assert smtp.take() == []  # warned once
    clock.advance(days=1)
    run()
    with transaction(state(app).sessions) as session:
        assert session.scalars(select(Course)).all() == []
        [logged] = session.scalars(select(CourseDeletion)).all()
        assert (logged.context_id, logged.title) == ("course-1", "Course course-1")
    assert student.get().status_code == 403  # the course is gone; a launch starts it afresh


def test_without_retention_nothing_is_warned_or_deleted(course):
    app, staff, _ = course
    state(app).clock.advance(days=400)
    jobs(app).enqueue(RETENTION)
    jobs(app).run_pending()
    assert "will be deleted" not in staff.text()
    with transaction(state(app).sessions) as session:
        assert session.scalar(select(Course.deletion_due_at)) is None
        assert session.scalars(select(CourseSetting)).all() == []
