"""Personal tutors over real launches: staff allocate by hand and in balance (by LMS section
too), a student finds "Your tutor" on the course home with the tutor's profile, a tutor
filters their tutees, history survives reallocation, and nobody but the course's staff
reaches any tutors page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import requests
from sqlalchemy import insert, select

from lti_tool.db import transaction
from lti_tool.models import Membership, Person
from lti_tool.models.course import CourseRole
from lti_tool.services.tutors.pages import PAGE_SIZE
from tests.conftest import state
from tests.newsfeed_flow import MENTOR, Clock, Visitor, enter, teacher, use_clock

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
LIS = "https://purl.imsglobal.org/spec/lti/claim/lis"


def section(name: str) -> dict[str, Any]:
    return {LIS: {"course_section_sourcedid": name}}


def ta(platform: Any, url: str, sub: str, name: str, **claims: Any) -> Visitor:
    return enter(platform, url, sub, TA, name=name, **claims)


def student_ids(page: str) -> dict[str, int]:
    """Students on a tutors page, by name, from each row's labelled select."""
    found = re.findall(
        r'<label class="visually-hidden" for="tutor-(\d+)">Tutor for ([^<]+)</label>', page
    )
    return {html.unescape(name): int(pid) for pid, name in found}


def staff_ids(page: str) -> dict[str, int]:
    """Staff offered as tutors, by name, from the balance form's checkboxes."""
    found = re.findall(r'name="tutors" value="(\d+)" checked>\s*<span>([^<]+?) <span', page)
    return {html.unescape(name): int(pid) for pid, name in found}


def tutor_of(page: str, student_id: int) -> str | None:
    """The tutor selected in a student's row."""
    row = re.search(rf'<select id="tutor-{student_id}".*?</select>', page, re.S)
    assert row, student_id
    chosen = re.search(r'<option value="(\d+)" selected>([^<]+)</option>', row.group(0))
    return html.unescape(chosen.group(2)) if chosen else None


def allocate(staff: Visitor, student: int, tutor: int | str, **form: Any) -> requests.Response:
    return staff.post("tutors/allocate", {"student_id": student, "tutor_id": tutor, **form})


def your_tutor(visitor: Visitor) -> str | None:
    found = re.search(r'<h2 id="your-tutor">Your tutor: ([^<]+)</h2>', visitor.text())
    return html.unescape(found.group(1)) if found else None


def test_staff_allocate_by_hand_and_the_student_meets_their_tutor(tool, platform):
    app, url = tool
    clock = use_clock(app, Clock())
    lead = teacher(platform, url)
    tom = ta(platform, url, "tom", "Tom Reyes")
    saved = tom.post(
        "profile",
        {
            "pronouns": "he/him",
            "role_title": "Personal tutor",
            "contact": "Message me here; office hour **Thursdays 10:00**.",
        },
    )
    assert saved.status_code == 303
    amara = enter(platform, url, "amara", name="Amara Okafor")
    kofi = enter(platform, url, "kofi", name="Kofi Mensah")
    assert your_tutor(amara) is None

    page = lead.text("tutors")
    students, staff = student_ids(page), staff_ids(page)
    assert set(students) == {"Amara Okafor", "Kofi Mensah"}
    assert set(staff) == {"Margaret Chen", "Tom Reyes"}
    assert 'Save<span class="visually-hidden"> tutor for Amara Okafor</span>' in page

    # The page's one form sends every row's choice; the Save pressed names whose counts.
    form = {f"tutor-{sid}": staff["Tom Reyes"] for sid in students.values()}
    response = lead.post("tutors/allocate", {**form, "student_id": students["Amara Okafor"]})
    assert response.status_code == 303
    assert f"saved={students['Amara Okafor']}" in response.headers["Location"]
    assert tutor_of(lead.text("tutors"), students["Amara Okafor"]) == "Tom Reyes"

    home = amara.text()
    assert your_tutor(amara) == "Tom Reyes"
    assert "Personal tutor · he/him" in home
    assert "<strong>Thursdays 10:00</strong>" in home
    assert your_tutor(kofi) is None  # his row said Tom too, but his Save was not pressed
    assert 'id="your-tutor"' not in lead.text()  # staff have no tutor card

    clock.advance(days=7)
    assert allocate(lead, students["Amara Okafor"], staff["Margaret Chen"]).status_code == 303
    assert your_tutor(amara) == "Margaret Chen"
    history = lead.text(f"tutors/{students['Amara Okafor']}/history")
    rows = re.findall(r"<tr>\s*<td>([^<]+?)(?: <span|</td>)", history)
    assert rows == ["Margaret Chen", "Tom Reyes"]
    assert "Chosen by" in history and history.count(">Margaret Chen</td>") == 2

    assert allocate(lead, students["Amara Okafor"], "").status_code == 303
    assert your_tutor(amara) is None
    assert tutor_of(lead.text("tutors"), students["Amara Okafor"]) is None


def test_balancing_by_section_and_a_tutor_s_own_tutees(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    lead = teacher(platform, url)
    tom = ta(platform, url, "tom", "Tom Reyes", **section("S1"))
    for sub, name, where in [
        ("s1a", "Ana S1", "S1"),
        ("s2a", "Bo S2", "S2"),
        ("s1b", "Cai S1", "S1"),
        ("s2b", "Dev S2", "S2"),
        ("none", "Eve Nosection", None),
    ]:
        enter(platform, url, sub, name=name, **(section(where) if where else {}))

    page = lead.text("tutors")
    assert "Keep LMS sections together" in page
    assert "4 of 5 students came with a section" in page
    staff = staff_ids(page)
    response = lead.post(
        "tutors/balance",
        {
            "tutors": [staff["Margaret Chen"], staff["Tom Reyes"]],
            "scope": "unallocated",
            "by_section": "1",
        },
    )
    assert response.status_code == 303
    assert "balanced=5" in response.headers["Location"]
    after = lead.http.get(url + response.headers["Location"]).text
    assert "5 students have a new tutor." in after
    # Section S1 goes to Tom, who launched from it; the rest are spread from the least loaded.
    students = student_ids(after)
    assert {name: tutor_of(after, pid) for name, pid in students.items()} == {
        "Ana S1": "Tom Reyes",
        "Cai S1": "Tom Reyes",
        "Bo S2": "Margaret Chen",
        "Dev S2": "Margaret Chen",
        "Eve Nosection": "Margaret Chen",
    }
    mine = tom.text("tutors?show=mine")
    assert set(student_ids(mine)) == {"Ana S1", "Cai S1"}
    assert 'aria-current="page">My tutees <span class="count">(2)</span>' in mine
    assert "Every student has a tutor." in tom.text("tutors?show=unallocated")

    # A newcomer is the only one balanced next time; everyone else keeps their tutor.
    enter(platform, url, "late", name="Fay Late")
    again = lead.post("tutors/balance", {"tutors": [staff["Tom Reyes"]], "scope": "unallocated"})
    assert "balanced=1" in again.headers["Location"]
    assert set(student_ids(tom.text("tutors?show=mine"))) == {"Ana S1", "Cai S1", "Fay Late"}


@pytest.mark.parametrize("who", ["student", "mentor", "staff elsewhere"])
def test_nobody_but_the_course_s_staff_reaches_a_tutors_route(tool, platform, who):
    _app, url = tool
    lead = teacher(platform, url)
    amara = enter(platform, url, "amara", name="Amara Okafor")
    students = student_ids(lead.text("tutors"))
    staff = staff_ids(lead.text("tutors"))
    if who == "student":
        visitor = own = amara
    elif who == "mentor":
        visitor = own = enter(platform, url, "parent", MENTOR, name="A Parent")
    else:
        own = teacher(platform, url, sub="other-teacher", context="course-2")
        visitor = Visitor(url, own.http, lead.course)  # their browser, this course's URLs
    token = own.csrf()
    student = students["Amara Okafor"]
    answers = [
        visitor.get("tutors").status_code,
        visitor.get("tutors?show=mine").status_code,
        visitor.get(f"tutors/{student}/history").status_code,
        visitor.post(
            "tutors/allocate",
            {"student_id": student, "tutor_id": staff["Margaret Chen"], "csrf_token": token},
            csrf=False,
        ).status_code,
        visitor.post(
            "tutors/balance", {"tutors": [staff["Margaret Chen"]], "csrf_token": token}, csrf=False
        ).status_code,
    ]
    assert answers == [403] * 5
    assert your_tutor(amara) is None


def test_ids_and_values_from_elsewhere_are_4xx_never_5xx(tool, platform):
    _app, url = tool
    lead = teacher(platform, url)
    enter(platform, url, "amara", name="Amara Okafor")
    other_lead = teacher(platform, url, sub="other-teacher", name="Olu Other", context="course-2")
    yuri = enter(platform, url, "yuri", name="Yuri Else", context="course-2")
    page = lead.text("tutors")
    amara = student_ids(page)["Amara Okafor"]
    margaret = staff_ids(page)["Margaret Chen"]
    theirs = student_ids(other_lead.text("tutors"))["Yuri Else"]
    olu = staff_ids(other_lead.text("tutors"))["Olu Other"]
    assert your_tutor(yuri) is None

    refused = allocate(lead, amara, olu)  # the other course's staff as a tutor
    assert refused.status_code == 400
    assert "A tutor must be one of this course" in refused.text
    assert allocate(lead, theirs, margaret).status_code == 400  # another course's student
    assert allocate(lead, amara, amara).status_code == 400  # a student as a tutor
    assert allocate(lead, "abc", margaret).status_code == 400
    assert allocate(lead, amara, "x").status_code == 400
    assert allocate(lead, amara, margaret, show="everyone").status_code == 400
    assert lead.get(f"tutors/{theirs}/history").status_code == 404
    assert lead.get("tutors/999999/history").status_code == 404
    assert lead.get("tutors?show=everyone").status_code == 400
    assert lead.get("tutors?page=-3").status_code == 200
    assert lead.post("tutors/balance", {"tutors": [olu]}).status_code == 400
    assert lead.post("tutors/balance", {"tutors": ["x"]}).status_code == 400
    assert lead.post("tutors/balance", {"tutors": [margaret], "scope": "z"}).status_code == 400
    nobody = lead.post("tutors/balance", {"scope": "all"})
    assert nobody.status_code == 400
    assert "Choose at least one tutor" in nobody.text and 'id="form-errors"' in nobody.text
    no_token = lead.post("tutors/allocate", {"student_id": amara, "tutor_id": margaret}, csrf=False)
    assert no_token.status_code == 400
    assert your_tutor(yuri) is None
    assert tutor_of(lead.text("tutors"), amara) is None


def test_a_student_or_tutor_id_past_a_database_integer_is_a_400(tool, platform):
    """It was a 500 on PostgreSQL (found by tests/properties/test_forms.py)."""
    _app, url = tool
    lead = teacher(platform, url)
    enter(platform, url, "amara", name="Amara Okafor")
    page = lead.text("tutors")
    amara, margaret = student_ids(page)["Amara Okafor"], staff_ids(page)["Margaret Chen"]
    assert allocate(lead, "2147483648", margaret).status_code == 400
    assert allocate(lead, amara, "2147483648").status_code == 400
    assert lead.post("tutors/balance", {"tutors": ["2147483648"]}).status_code == 400
    assert tutor_of(lead.text("tutors"), amara) is None


def test_the_tutors_link_is_in_the_staff_navigation_only(tool, platform):
    _app, url = tool
    lead = teacher(platform, url)
    amara = enter(platform, url, "amara", name="Amara Okafor")
    link = f'href="{lead.course}tutors"'
    assert link in lead.text()
    assert link not in amara.text()
    assert 'aria-current="page">Tutors</a>' in lead.text("tutors")


def test_many_students_page_by_page_size(tool, platform):
    """The LMS's roster can be long: PAGE_SIZE rows a page, with labelled pages."""
    app, url = tool
    lead = teacher(platform, url)
    course = int(lead.course.strip("/").split("/")[1])
    with transaction(state(app).sessions) as session:
        registration = session.scalar(select(Person.registration_id).limit(1))
        session.execute(
            insert(Person),
            [{"registration_id": registration, "sub": f"r{n:03d}", "name": f"Roster {n:03d}"}
             for n in range(150)],
        )  # fmt: skip
        ids = session.scalars(select(Person.id).where(Person.sub.startswith("r"))).all()
        session.execute(
            insert(Membership),
            [{"course_id": course, "person_id": pid, "role": CourseRole.STUDENT, "active": True,
              "lti_roles": []} for pid in ids],
        )  # fmt: skip
    first = lead.text("tutors")
    assert len(student_ids(first)) == PAGE_SIZE and re.search(r"Page 1 of [0-9]", first)
    second = lead.text("tutors?page=2")
    assert len(student_ids(second)) == PAGE_SIZE
    assert re.search(r'rel="prev" href="[^"]*show=all&amp;page=1"', second)
    balanced = lead.post("tutors/balance", {"tutors": [staff_ids(first)["Margaret Chen"]]})
    assert "balanced=150" in balanced.headers["Location"]
