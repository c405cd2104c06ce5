"""The snippet library and "start a thread with each selected student", over real launches:
staff write a snippet, choose three students, read the first two threads as those students
will, confirm, and watch the progress page finish; each student finds their own thread and
no one else's. Students, mentors and staff of another course are refused every page."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lti_tool.db import transaction
from lti_tool.jobs import jobs
from lti_tool.models import FeedbackMessage, FeedbackThread, Person, Snippet, TutorAllocation
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.snippets import choosing
from lti_tool.services.snippets.bulk_start import start_bulk
from tests.conftest import state
from tests.newsfeed_flow import MENTOR, Clock, Visitor, enter, teacher, use_clock
from tests.platform import DROP

SNIPPET = (
    "Hi {first_name},\n\nWelcome to **{course_title}**. I'm {tutor_name}'s colleague; "
    "write back here whenever you like."
)
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def course_id_of(visitor: Visitor) -> int:
    return int(visitor.course.strip("/").split("/")[1])


def person_id(app: Any, sub: str) -> int:
    with transaction(state(app).sessions) as session:
        return session.scalars(select(Person.id).where(Person.sub == sub)).one()


def hidden_fields(page: str) -> list[tuple[str, str]]:
    """The choices a page's confirm form carries, as the browser would send them."""
    form = page.split('action="', 1)[1].split("</form>", 1)[0]
    return [(name, html.unescape(value)) for name, value in HIDDEN.findall(form)]


def test_staff_start_a_personal_thread_with_each_selected_student(tool, platform):
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    amara = enter(platform, url, "amara", name="Amara Okafor", given_name="Amara")
    bo = enter(platform, url, "bo", name="*Bo* [x](javascript:alert(1))", given_name="*Bo*")
    withheld = {"name": DROP, "given_name": DROP, "family_name": DROP, "email": DROP}
    private = enter(platform, url, "private", **withheld)  # the LMS shares no name
    bystander = enter(platform, url, "bystander", name="Not Chosen")
    jobs(app).run_pending()
    ids = {sub: person_id(app, sub) for sub in ("amara", "bo", "private", "bystander")}

    # The library: write a snippet, see it listed with its merge fields explained.
    saved = staff.post("snippets", {"action": "save", "title": "Welcome", "body": SNIPPET})
    assert saved.status_code == 303
    library = staff.text("snippets")
    assert "Welcome" in library and "{first_name}" in library and "your course team" in library
    with transaction(state(app).sessions) as session:
        snippet_id = session.scalars(select(Snippet.id)).one()

    # Choose students: a group, or picked from a page of the active students by name.
    form = staff.text("snippets/start")
    for sub in ("amara", "bo", "private", "bystander"):
        assert f'name="student" value="{ids[sub]}"' in form
    assert 'name="to" value="all"' in form and "All active students (4)" in form
    assert 'name="to" value="picked" checked' in form and "My tutees (0)" in form
    chosen = [ids["amara"], ids["bo"], ids["private"]]

    # The preview: the first two, each in their own words, nothing written yet.
    shown = staff.post(
        "snippets/start/preview",
        {"student": chosen, "snippet_id": snippet_id, "title": "Welcome, {first_name}", "body": ""},
    )
    assert shown.status_code == 200, shown.text[:500]
    page = shown.text
    assert "What <strong>Amara Okafor</strong> will read" in page
    assert "<p>Hi Amara,</p>" in page and "Welcome, Amara" in page
    assert "<p>Hi *Bo*,</p>" in page and "Welcome, *Bo*" in page
    assert "<strong>Course course-1</strong>" in page and "your course team" in page
    assert "Start 3 threads" in page and "Not Chosen" not in page
    assert 'href="javascript' not in page
    with transaction(state(app).sessions) as session:
        assert session.scalars(select(FeedbackThread)).all() == []

    # Confirm with what the preview carries: one action, then the progress page.
    fields = hidden_fields(page)
    assert [v for k, v in fields if k == "student"] == [str(i) for i in chosen]
    confirmed = staff.http.post(
        url + staff.course + "snippets/start", data=fields, allow_redirects=False
    )
    assert confirmed.status_code == 303, confirmed.text[:500]
    progress_path = urlsplit(confirmed.headers["Location"]).path.split(staff.course, 1)[1]
    assert re.fullmatch(r"snippets/runs/\d+", progress_path)
    again = staff.http.post(
        url + staff.course + "snippets/start", data=fields, allow_redirects=False
    )
    assert again.headers["Location"] == confirmed.headers["Location"]  # a double click: one start
    jobs(app).run_pending()
    done = staff.text(progress_path)
    assert "All 3 threads started." in done and 'http-equiv="refresh"' not in done
    assert '<progress max="3" value="3"' in done

    # Each student has their own thread, with their own name, and no one else's.
    with transaction(state(app).sessions) as session:
        rows = session.execute(
            select(FeedbackThread, FeedbackMessage).join(
                FeedbackMessage, FeedbackMessage.thread_id == FeedbackThread.id
            )
        ).all()
        private_name = session.get_one(Person, ids["private"]).name_as("Student")
    by_student = {thread.student_id: (thread, message) for thread, message in rows}
    assert len(rows) == 3
    assert sorted(by_student) == sorted(chosen)
    expected = {"amara": "Amara", "bo": "*Bo*", "private": private_name}
    for sub, first_name in expected.items():
        thread, message = by_student[ids[sub]]
        assert thread.title == f"Welcome, {first_name}"
        assert html.unescape(message.body_html).startswith(f"<p>Hi {first_name},</p>")
        assert message.automated is True
    for visitor, sub in ((amara, "amara"), (bo, "bo"), (private, "private")):
        sees_only_their_own(app, visitor, by_student, ids[sub], expected[sub])
    if app.view_functions.get("feedback.index"):
        assert "Welcome, " not in bystander.text("feedback/")


def sees_only_their_own(
    app: Any, visitor: Visitor, by_student: dict[int, Any], own_id: int, first_name: str
) -> None:
    if not app.view_functions.get("feedback.index"):
        return  # the thread pages are not there yet: the database check above stands
    listing = html.unescape(visitor.text("feedback/"))
    assert f"Welcome, {first_name}" in listing
    for student_id, (thread, _) in by_student.items():
        own = student_id == own_id
        assert (thread.title in listing) is own, (first_name, thread.title)
        answer = visitor.get(f"feedback/{thread.id}")
        assert answer.status_code == (200 if own else 404), (student_id, answer.status_code)


def test_picks_are_kept_across_pages_and_searches_and_a_group_is_resolved_at_the_start(
    tool, platform, monkeypatch
):
    """The picker shows a page of names at a time; what was picked on other pages travels as
    hidden fields, so turning pages and searching keeps it. A group (every active student)
    carries no ids at all: the server finds its students when the start is confirmed."""
    app, url = tool
    monkeypatch.setattr(choosing, "PICKER_PAGE_SIZE", 2)
    staff = teacher(platform, url)
    names = ("Amara Okafor", "Bo Lind", "Cleo Diaz", "Dev Patel", "Eve Stone")
    for name in names:
        enter(platform, url, name.split()[0].lower(), name=name)
    jobs(app).run_pending()
    ids = {name: person_id(app, name.split()[0].lower()) for name in names}

    first = staff.text("snippets/start")
    assert "Amara Okafor" in first and "Cleo Diaz" not in first
    assert "Page 1 of 3" in first and 'name="browse" value="2"' in first
    words = {"title": "Hello {first_name}", "body": "Hi."}
    second = staff.post(
        "snippets/start/preview", {**words, "student": [ids["Amara Okafor"]], "browse": "2"}
    )
    assert second.status_code == 200 and "Cleo Diaz" in second.text
    assert f'<input type="hidden" name="student" value="{ids["Amara Okafor"]}">' in second.text
    assert "1 more picked on other pages" in second.text
    assert 'value="Hello {first_name}"' in second.text
    two = [ids["Amara Okafor"], ids["Cleo Diaz"]]
    found = staff.post(
        "snippets/start/preview", {**words, "student": two, "q": "eve", "browse": "search"}
    )
    assert (
        "Eve Stone" in found.text
        and "Bo Lind" not in found.text
        and "1 student found" in found.text
    )
    assert "2 more picked on other pages" in found.text
    picked = [ids["Amara Okafor"], ids["Cleo Diaz"], ids["Eve Stone"]]
    shown = staff.post("snippets/start/preview", {**words, "student": picked, "to": "picked"})
    assert "Start 3 threads" in shown.text
    cleared = staff.post("snippets/start/preview", {**words, "student": picked, "browse": "clear"})
    assert "Clear all picks" not in cleared.text and 'name="student" value' in cleared.text
    assert 'type="hidden" name="student"' not in cleared.text

    everyone = staff.post("snippets/start/preview", {**words, "to": "all"})
    assert "Start 5 threads" in everyone.text and "one for each active student" in everyone.text
    fields = hidden_fields(everyone.text)
    assert ("to", "all") in fields and not [v for k, v in fields if k == "student"]
    enter(platform, url, "late", name="Late Joiner")  # joins between preview and start
    jobs(app).run_pending()
    confirmed = staff.http.post(url + staff.course + "snippets/start", data=fields)
    assert confirmed.status_code == 200
    jobs(app).run_pending()
    with transaction(state(app).sessions) as session:
        threads = session.scalars(select(FeedbackThread.student_id)).all()
    assert sorted(threads) == sorted([*ids.values(), person_id(app, "late")])
    assert staff.post("snippets/start/preview", {**words, "to": "everybody"}).status_code == 400
    assert staff.get("snippets/start?to=everybody").status_code == 400


def test_the_progress_page_refreshes_itself_while_the_threads_are_written(tool, platform):
    app, url = tool
    staff = teacher(platform, url)
    student = enter(platform, url, "amara", name="Amara Okafor")
    jobs(app).run_pending()
    with transaction(state(app).sessions) as session:
        grant = CourseGrant(course_id_of(staff), person_id(app, "teacher"), CourseRole.STAFF)
        bulk = start_bulk(
            session, grant, [person_id(app, "amara")], "Hello", "Hi {first_name}", None,
            state(app).clock(),
        )  # fmt: skip
        bulk_id = bulk.id  # recorded, not yet run
    running = staff.text(f"snippets/runs/{bulk_id}")
    assert '<meta http-equiv="refresh" content="2">' in running
    assert "Started 0 of 1" in running and '<progress max="1" value="0"' in running
    assert student.get(f"snippets/runs/{bulk_id}").status_code == 403


def test_a_refused_choice_shows_the_form_again_with_what_to_fix(tool, platform):
    app, url = tool
    staff = teacher(platform, url)
    enter(platform, url, "amara", name="Amara Okafor")
    elsewhere = enter(platform, url, "elsewhere", name="Other Student", context="course-2")
    jobs(app).run_pending()
    stranger = person_id(app, "elsewhere")
    for data, message in (
        ({"title": "Hi", "body": "Hello"}, "Choose at least one student."),
        ({"student": [stranger], "title": "Hi", "body": "Hello"}, "is not an active student"),
        ({"student": [person_id(app, "amara")], "title": "", "body": ""}, "Title is needed."),
    ):
        for path in ("snippets/start/preview", "snippets/start"):
            answer = staff.post(path, data)
            assert answer.status_code == 400 and message in answer.text, (path, data)
            assert 'id="form-errors"' in answer.text
    for junk in ({"student": "abc"}, {"placement_id": "-1"}, {"snippet_id": "x"}):
        assert staff.post("snippets/start/preview", junk).status_code == 400
    assert staff.post("snippets/start/preview", {"snippet_id": "999"}).status_code == 404
    with transaction(state(app).sessions) as session:
        assert session.scalars(select(FeedbackThread)).all() == []
    assert elsewhere.get("").status_code == 200


def test_a_snippet_is_edited_and_deleted_and_its_fields_checked(tool, platform):
    app, url = tool
    staff = teacher(platform, url)
    assert staff.post("snippets", {"title": "Nudge", "body": "Hi {frist_name}"}).status_code == 303
    with transaction(state(app).sessions) as session:
        snippet_id = session.scalars(select(Snippet.id)).one()
    library = staff.text("snippets")
    assert "Not a merge field, sent as written: {frist_name}" in library
    assert "Hi {frist_name}" in staff.text(f"snippets?edit={snippet_id}")
    edited = staff.post(
        "snippets", {"snippet_id": snippet_id, "title": "Nudge", "body": "Hi {first_name}"}
    )
    assert edited.status_code == 303
    assert "Not a merge field" not in staff.text("snippets")
    prefilled = staff.text(f"snippets/start?snippet={snippet_id}")
    assert "Hi {first_name}</textarea>" in prefilled and 'value="Nudge"' in prefilled
    refused = staff.post("snippets", {"title": "", "body": ""})
    assert refused.status_code == 400 and 'id="form-errors"' in refused.text
    deleted = staff.post("snippets", {"action": "delete", "snippet_id": snippet_id})
    assert deleted.status_code == 303
    assert staff.get(f"snippets?edit={snippet_id}").status_code == 404


# -- who may open what ------------------------------------------------------------------------

ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "snippets", {}),
    ("POST", "snippets", {"title": "Mine now", "body": "x"}),
    ("POST", "snippets", {"action": "delete", "snippet_id": "{snippet}"}),
    ("GET", "snippets?edit={snippet}", {}),
    ("GET", "snippets/start", {}),
    ("GET", "snippets/start?snippet={snippet}", {}),
    ("POST", "snippets/start/preview", {"student": "{student}", "title": "t", "body": "b"}),
    ("POST", "snippets/start", {"student": "{student}", "title": "t", "body": "b"}),
    ("GET", "snippets/runs/{bulk}", {}),
]


@pytest.mark.parametrize("who", ["student", "mentor", "another course"])
def test_only_the_course_s_staff_open_any_snippet_page(tool, platform, who):
    app, url = tool
    staff = teacher(platform, url)
    student = enter(platform, url, "amara", name="Amara Okafor")
    mentor = enter(platform, url, "parent", MENTOR, name="A Parent")
    other = teacher(platform, url, sub="other-teacher", context="course-2")
    jobs(app).run_pending()
    assert staff.post("snippets", {"title": "Hi", "body": "Hi {first_name}"}).status_code == 303
    amara_id = person_id(app, "amara")
    started = staff.post("snippets/start", {"student": amara_id, "title": "t", "body": "b"})
    assert started.status_code == 303
    jobs(app).run_pending()
    with transaction(state(app).sessions) as session:
        snippet_id = session.scalars(select(Snippet.id)).one()
    bulk_id = int(urlsplit(started.headers["Location"]).path.rsplit("/", 1)[1])
    values = {"snippet": snippet_id, "student": amara_id, "bulk": bulk_id}
    visitor = {"student": student, "mentor": mentor, "another course": other}[who]
    token = visitor.csrf()  # from the visitor's own course: a real token, refused on the grant
    as_visitor = Visitor(url, visitor.http, staff.course)
    for method, route, data in ROUTES:
        path = route.format(**values)
        if method == "GET":
            answer = as_visitor.get(path)
        else:
            body = {k: str(v).format(**values) for k, v in data.items()}
            answer = as_visitor.http.post(
                url + staff.course + path, data={**body, "csrf_token": token}, allow_redirects=False
            )
        assert answer.status_code == 403, (who, method, path, answer.status_code)
    with transaction(state(app).sessions) as session:
        assert session.scalars(select(Snippet.title)).all() == ["Hi"]
        assert len(session.scalars(select(FeedbackThread)).all()) == 1


def test_ids_from_another_course_are_not_found_there(tool, platform):
    app, url = tool
    staff = teacher(platform, url)
    enter(platform, url, "amara", name="Amara Okafor")
    other = teacher(platform, url, sub="other-teacher", context="course-2")
    jobs(app).run_pending()
    assert staff.post("snippets", {"title": "Hi", "body": "Hi"}).status_code == 303
    started = staff.post(
        "snippets/start", {"student": person_id(app, "amara"), "title": "t", "body": "b"}
    )
    jobs(app).run_pending()
    bulk_id = int(urlsplit(started.headers["Location"]).path.rsplit("/", 1)[1])
    with transaction(state(app).sessions) as session:
        snippet_id = session.scalars(select(Snippet.id)).one()
    assert other.get(f"snippets/runs/{bulk_id}").status_code == 404
    assert other.get(f"snippets?edit={snippet_id}").status_code == 404
    assert other.get(f"snippets/start?snippet={snippet_id}").status_code == 404
    for data in (
        {"snippet_id": snippet_id, "title": "Stolen", "body": "x"},
        {"action": "delete", "snippet_id": snippet_id},
    ):
        assert other.post("snippets", data).status_code == 404
    amara = {"student": person_id(app, "amara"), "title": "t", "body": "b"}
    assert other.post("snippets/start", amara).status_code == 400
    with transaction(state(app).sessions) as session:
        assert session.scalars(select(Snippet.title)).all() == ["Hi"]


@pytest.mark.parametrize("huge", ["2147483648", "9999999999"])
def test_ids_past_the_database_s_integers_are_refused_not_a_500(tool, platform, huge):
    """Ids a database column cannot hold (past 2**31 - 1) in any form field: a clear 400."""
    _, url = tool
    staff = teacher(platform, url)
    enter(platform, url, "amara", name="Amara Okafor")
    forms = [
        ("snippets", {"snippet_id": huge, "title": "Hi", "body": "Hi"}),
        ("snippets", {"action": "delete", "snippet_id": huge}),
        ("snippets/start/preview", {"student": huge, "title": "t", "body": "b"}),
        ("snippets/start/preview", {"snippet_id": huge, "title": "t", "body": ""}),
        ("snippets/start/preview", {"placement_id": huge, "title": "t", "body": "b"}),
        ("snippets/start", {"student": huge, "title": "t", "body": "b"}),
    ]
    for path, data in forms:
        answer = staff.post(path, data)
        assert answer.status_code == 400, (path, data, answer.status_code)
        assert "not one Rapport offered" in answer.text
    assert staff.get(f"snippets/start?snippet={huge}").status_code == 400


def previewed(staff: Visitor, data: dict[str, Any]) -> str:
    shown = staff.post("snippets/start/preview", data)
    assert shown.status_code == 200, shown.text[:500]
    return shown.text


def test_the_preview_warns_of_an_empty_merge_field_and_offers_words_or_skipping(tool, platform):
    """Issue 16: a bulk start sent "Your tutor your course team and I…" to four students."""
    app, url = tool
    use_clock(app, Clock())
    staff = teacher(platform, url)
    for sub in ("amara", "bo", "cy"):
        enter(platform, url, sub, name=f"{sub.title()} Student", given_name=sub.title())
    jobs(app).run_pending()
    amara, bo, cy = (person_id(app, sub) for sub in ("amara", "bo", "cy"))
    with transaction(state(app).sessions) as session:
        session.add(TutorAllocation(course_id=course_id_of(staff), student_id=amara,
                                    tutor_id=person_id(app, "teacher")))  # fmt: skip
    asked = {"student": [amara, bo, cy], "title": "Essays", "body": "Your tutor {tutor_name} and I"}
    page = previewed(staff, asked)
    assert "Some students would read a stand-in" in page
    assert "<strong>{tutor_name}</strong> is empty for <strong>2 of the 3</strong>" in page
    assert "Skip those students (2): start 1 thread" in page

    worded = previewed(staff, {**asked, "missing": "fallback", "fallback_tutor_name": "Dr Lee"})
    assert "stand-in" not in worded and "Your tutor Dr Lee and I" in worded  # what Bo reads
    assert ("body", "Your tutor {tutor_name|Dr Lee} and I") in hidden_fields(worded)
    skipped = previewed(staff, {**asked, "missing": "skip"})
    assert "stand-in" not in skipped and "Start 1 thread" in skipped
    assert [v for k, v in hidden_fields(skipped) if k == "student"] == [str(amara)]
