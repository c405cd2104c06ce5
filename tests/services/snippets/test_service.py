"""Snippets: merge fields filled per student with names kept literal in Markdown, the fallbacks
for withheld names and students without a tutor, unknown fields left and reported, and the
library's rules (staff only, per course)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from lti_tool.db import transaction
from lti_tool.models import Course, Person, Registration, Snippet
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.markup import plain_text, render_markdown
from lti_tool.services.snippets.service import (
    MERGE_FIELDS,
    NO_TUTOR,
    MergeValues,
    SnippetRefused,
    can_use_snippets,
    delete_snippet,
    escape_markdown,
    fields_without_fallback,
    fill,
    fill_text,
    first_name_of,
    list_snippets,
    save_snippet,
    tutor_name_of,
    unknown_fields,
    with_fallbacks,
)
from tests.conftest import state
from tests.xss_corpus import XSS_CORPUS, assert_inert

NOW = datetime(2027, 1, 25, 12, 0, tzinfo=UTC)
AMARA = MergeValues("Amara", "Margaret Chen", "Poetry 101", "Essay 1")


def values(first_name: str) -> MergeValues:
    return MergeValues(first_name, "Margaret Chen", "Poetry 101", "Essay 1")


# -- filling ----------------------------------------------------------------------------------


def test_every_merge_field_is_filled_and_explained():
    template = "Hi {first_name}, I'm {tutor_name}. {course_title}: {activity_title}."
    assert fill(template, AMARA) == "Hi Amara, I'm Margaret Chen. Poetry 101: Essay 1."
    assert plain_text(fill(template, AMARA), 200) == (
        "Hi Amara, I'm Margaret Chen. Poetry 101: Essay 1."
    )
    assert set(MERGE_FIELDS) == {"first_name", "tutor_name", "course_title", "activity_title"}
    assert all(explanation.strip() for explanation in MERGE_FIELDS.values())


def test_a_field_used_twice_is_filled_twice():
    assert fill("{first_name}! {first_name}?", AMARA) == "Amara! Amara?"


@pytest.mark.parametrize(
    "name",
    [
        "*Bo*",
        "**Bold**",
        "_under_",
        "[x](javascript:alert(1))",
        "[click](https://evil.example)",
        "![img](https://evil.example/a.png)",
        "<script>alert(1)</script>",
        "<https://evil.example>",
        "`code`",
        "# Heading",
        "> quoted",
        "1. listed",
        "- listed",
        "a | b",
        "~~gone~~",
        "&lt;b&gt;",
        "back\\slash",
        "{tutor_name}",
        "line\n\n# break",
    ],
)
def test_a_name_stays_literal_text_whatever_markdown_it_holds(name):
    filled = fill("Dear {first_name}, welcome.", values(name))
    html = render_markdown(filled)
    assert re.findall(r"</?([a-z0-9]+)", html) == ["p", "p"], html
    assert plain_text(filled, 500) == f"Dear {' '.join(name.split())}, welcome."


@pytest.mark.parametrize("payload", [p for _, p in XSS_CORPUS], ids=[n for n, _ in XSS_CORPUS])
def test_every_xss_payload_as_a_name_becomes_one_paragraph_of_text(payload):
    html = render_markdown(fill("Dear {first_name}, welcome.", values(payload)))
    assert re.findall(r"</?([a-z0-9]+)", html) == ["p", "p"], html
    assert_inert(html)


def test_a_name_in_a_template_s_link_text_cannot_break_out_of_it():
    html = render_markdown(
        fill(
            "[Notes for {first_name}](https://uni.example/notes)", values("x](javascript:alert(1))")
        )
    )
    assert html.count("<a ") == 1 and 'href="https://uni.example/notes"' in html
    assert "javascript" not in html.split("href=")[1].split('"')[1]


def test_ordinary_names_keep_a_readable_source():
    assert escape_markdown("Siobhán O'Neil") == "Siobhán O'Neil"
    assert escape_markdown("Anne-Marie") == r"Anne\-Marie"
    assert plain_text(fill("{first_name}", values("Anne-Marie")), 50) == "Anne-Marie"


def test_plain_text_titles_are_filled_without_escapes():
    assert fill_text("Feedback for {first_name} on {activity_title}", values("*Bo*")) == (
        "Feedback for *Bo* on Essay 1"
    )


def test_unknown_fields_are_left_as_written_and_reported_once_each():
    template = "Hi {frist_name}, {first_name}! {Tutor_Name} {frist_name} {} {not a field}"
    assert fill(template, AMARA) == (
        "Hi {frist_name}, Amara! {Tutor_Name} {frist_name} {} {not a field}"
    )
    assert unknown_fields(template) == ["{frist_name}", "{Tutor_Name}"]
    assert unknown_fields("Hello {first_name} from {tutor_name}") == []


def _person(**names: Any) -> Person:
    return Person(registration_id=1, sub="student-7", **names)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"given_name": "Amara", "name": "Amara Okafor"}, "Amara"),
        ({"given_name": "  Amara  ", "family_name": "Okafor"}, "Amara"),
        ({"given_name": None, "name": "Amara Okafor"}, "Amara Okafor"),
        ({"given_name": "", "family_name": "Okafor"}, "Okafor"),
        ({"email": "amara@uni.example"}, "amara@uni.example"),
    ],
)
def test_first_name_falls_back_to_the_name_rapport_shows(names, expected):
    assert first_name_of(_person(**names)) == expected


def test_a_student_whose_names_are_all_withheld_is_named_as_rapport_shows_them():
    anonymous = _person()
    assert first_name_of(anonymous) == f"Student {anonymous.short_code}"
    assert first_name_of(anonymous).startswith("Student ") and len(first_name_of(anonymous)) == 12


def test_a_student_without_a_tutor_hears_from_the_course_team():
    assert tutor_name_of(None) == NO_TUTOR == "your course team"
    assert tutor_name_of(_person(name="Margaret Chen")) == "Margaret Chen"
    assert fill("Your tutor is {tutor_name}.", values("Amara")) == "Your tutor is Margaret Chen."


# -- the library ------------------------------------------------------------------------------


@pytest.fixture
def sessions(app: Any) -> Any:
    return state(app).sessions


@pytest.fixture
def courses(sessions: Any) -> tuple[int, int, int]:
    """(course id, another course's id, a staff member's id)."""
    with transaction(sessions) as session:
        registration = Registration(
            issuer="https://lms.example.edu",
            client_id="c1",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
        )
        session.add(registration)
        session.flush()
        course = Course(registration_id=registration.id, context_id="c-1", title="Poetry")
        other = Course(registration_id=registration.id, context_id="c-2", title="Prose")
        person = Person(registration_id=registration.id, sub="teacher", name="Grace Hopper")
        session.add_all([course, other, person])
        session.flush()
        return course.id, other.id, person.id


def grant(course_id: int, person_id: int, role: str = "staff") -> CourseGrant:
    return CourseGrant(course_id, person_id, CourseRole(role))


@pytest.mark.parametrize(
    ("role", "allowed"), [("staff", True), ("student", False), ("guest", False)]
)
def test_only_staff_use_the_library(sessions, courses, role, allowed):
    course_id, _, person_id = courses
    assert can_use_snippets(grant(course_id, person_id, role)) is allowed
    with transaction(sessions) as session:
        if allowed:
            save_snippet(session, grant(course_id, person_id, role), None, "Hi", "Hi", NOW)
            assert len(list_snippets(session, grant(course_id, person_id, role))) == 1
            return
        for attempt in (
            lambda: list_snippets(session, grant(course_id, person_id, role)),
            lambda: save_snippet(session, grant(course_id, person_id, role), None, "a", "b", NOW),
        ):
            with pytest.raises(SnippetRefused) as refused:
                attempt()
            assert refused.value.status == 403


def test_snippets_are_saved_edited_and_deleted_within_their_course(sessions, courses):
    course_id, other_id, person_id = courses
    mine = grant(course_id, person_id)
    with transaction(sessions) as session:
        snippet = save_snippet(session, mine, None, "  Welcome   note ", "Hi {first_name}\n", NOW)
        snippet_id = snippet.id
        assert (snippet.title, snippet.body, snippet.created_by_id) == (
            "Welcome note",
            "Hi {first_name}",
            person_id,
        )
    with transaction(sessions) as session:
        edited = save_snippet(session, mine, snippet_id, "Welcome", "Hello {first_name}", NOW)
        assert edited.id == snippet_id and edited.body == "Hello {first_name}"
        elsewhere = grant(other_id, person_id)
        assert list_snippets(session, elsewhere) == []
        for attempt in (
            lambda: save_snippet(session, elsewhere, snippet_id, "Stolen", "x", NOW),
            lambda: delete_snippet(session, elsewhere, snippet_id),
        ):
            with pytest.raises(SnippetRefused) as refused:
                attempt()
            assert refused.value.status == 404
    with transaction(sessions) as session:
        delete_snippet(session, mine, snippet_id)
    with transaction(sessions) as session:
        assert session.get(Snippet, snippet_id) is None


@pytest.mark.parametrize(
    ("title", "body", "fields"),
    [("", "Hi", {"title"}), ("Hi", "   ", {"body"}), ("x" * 121, "y" * 5_001, {"title", "body"})],
)
def test_a_refused_snippet_names_what_to_fix_and_saves_nothing(
    sessions, courses, title, body, fields
):
    course_id, _, person_id = courses
    with transaction(sessions) as session, pytest.raises(SnippetRefused) as refused:
        save_snippet(session, grant(course_id, person_id), None, title, body, NOW)
    assert refused.value.status == 400 and set(refused.value.errors) == fields
    with transaction(sessions) as session:
        assert list_snippets(session, grant(course_id, person_id)) == []


# -- missing values and fallbacks ------------------------------------------------------------

MISSING_BODY = "Hello {first_name}. Your tutor {tutor_name} and I will read your essay."


def stand_in(missing: frozenset[str] = frozenset()) -> MergeValues:
    return MergeValues("Student 4f2a", "your course team", "Poetry", "Essay", missing)


def test_a_fallback_is_read_only_by_students_missing_the_value():
    body = with_fallbacks(MISSING_BODY, {"tutor_name": "the {course} | team", "first_name": ""})
    assert (
        body
        == "Hello {first_name}. Your tutor {tutor_name|the course team} and I will read your essay."
    )
    assert fields_without_fallback(body) == {"first_name"}
    assert unknown_fields(body) == []
    tutored = MergeValues("Amara", "Tom Reyes", "Poetry", "Essay")
    assert fill(body, tutored) == "Hello Amara. Your tutor Tom Reyes and I will read your essay."
    untutored = fill(body, stand_in(frozenset({"tutor_name"})))
    assert untutored == "Hello Student 4f2a. Your tutor the course team and I will read your essay."
    # A fallback already written is kept; the stand-in without one is as before.
    assert with_fallbacks(body, {"tutor_name": "someone"}) == body
    assert "your course team" in fill(MISSING_BODY, stand_in(frozenset({"tutor_name"})))
