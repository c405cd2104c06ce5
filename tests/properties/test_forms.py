"""Property: no form of Rapport answers 5xx, whatever is typed into it or left out (issue 13).

Every form comes from the pages themselves: a course with something behind every form is built
over HTTP (`seeded_course`), each person's pages are crawled, and each `<form method="post">`
found is posted again with its real field names filled with anything at all: text with control
characters, lone surrogates (sent as the invalid UTF-8 a broken client would send), NUL, 70 000
characters, numbers past 32 and 64 bits, dates at the ends of the calendar, keys repeated,
fields missing, fields of other forms; its action with the ids of real objects, or with ids no
database holds. A valid CSRF token goes with each, so the forms are checked past that guard.
Staff post as staff and students as students, each also every form only the other sees.
After each answer below 500, a redirect is followed; afterwards every page still opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.deep_linking_flow import Control, Form
from tests.properties.seeded_course import FoundForm, SeededCourse, seeded_course
from tests.properties.strategies import (
    DATES,
    FORM,
    NUMBERS_PAST_COLUMNS,
    form_body,
    hostile_text,
)

# Posted by the LMS, not typed by a person: tests/properties/test_launch_claims.py covers them.
LAUNCH_ENDPOINTS = {"lti.login", "lti.launch"}
# Ids in a URL: the seeded course's first few objects, and ids no database holds (past a 32-bit
# integer the route itself answers 404).
URL_IDS = ["0", "1", "2", "3", "4", "2147483647", "2147483648", "9223372036854775808"]
# Each person posts this many times the profile's examples: one form per example, and ~30 forms.
EXAMPLES_PER_PERSON = 5 * (settings.default.max_examples or 100)


# How a field is changed ("anything" twice: the change most likely to break something).
CHANGES = ["anything", "left out", "anything", "offered", "twice", "all"]


@dataclass(frozen=True)
class Submission:
    endpoint: str
    path: str
    fields: list[tuple[str, str]]

    def body(self, csrf: str) -> bytes:
        return form_body([*self.fields, ("csrf_token", csrf)])


def distinct(forms: list[FoundForm]) -> dict[str, list[FoundForm]]:
    """The forms by endpoint, each action and set of fields once, in a stable order."""
    by_endpoint: dict[str, dict[tuple[str, tuple[str, ...]], FoundForm]] = {}
    for found in forms:
        key = (found.action, tuple(sorted(found.form.names())))
        by_endpoint.setdefault(found.endpoint, {}).setdefault(key, found)
    return {e: [f for _, f in sorted(kept.items())] for e, kept in sorted(by_endpoint.items())}


@dataclass(frozen=True)
class Field:
    """The controls of one name in a form (radio buttons, checkboxes and selects offer several
    values), and what a person filling it plausibly sends."""

    name: str
    kind: str  # the type of its first control: text, textarea, number, radio, hidden, …
    offered: tuple[str, ...]
    sent: tuple[str, ...]


# What a person types where a page leaves a field empty, by the field's type.
TYPED = {
    "text": "Week 3",
    "textarea": "See you on Monday.",
    "datetime-local": "2027-01-26T09:00",  # the day after the seeded course's clock
    "number": "5",
}


def fields_of(form: Form) -> list[Field]:
    named: dict[str, list[Control]] = {}
    for control in form.controls:
        if control.name != "csrf_token":
            named.setdefault(control.name, []).append(control)
    fields = []
    for name, controls in named.items():
        kind = controls[0].type
        offered = tuple(sorted({v for c in controls for v in (c.value, *c.options)}))
        if kind == "checkbox":
            sent = tuple(c.value for c in controls if c.checked)
        elif kind in {"radio", "submit"}:
            sent = (next((c.value for c in controls if c.checked), controls[0].value),)
        else:
            sent = (controls[0].value or TYPED.get(kind, ""),)
        fields.append(Field(name, kind, offered, sent))
    return fields


def hostile_for(kind: str) -> st.SearchStrategy[str]:
    """Anything at all, and more often what trips a parser of this kind of field."""
    if kind in {"datetime-local", "date"}:
        return st.one_of(st.sampled_from(DATES), hostile_text)
    if kind in {"number", "hidden", "select", "radio", "checkbox"}:
        return st.one_of(st.sampled_from(NUMBERS_PAST_COLUMNS), hostile_text)
    return hostile_text


def submissions(forms: dict[str, list[FoundForm]]) -> st.SearchStrategy[Submission]:
    """A form as a person would send it, with some of its fields changed: left out, given
    anything, given twice, or given every value offered; and a few fields it does not have."""
    every_name = sorted({n for fs in forms.values() for f in fs for n in f.form.names()})

    @st.composite
    def submission(draw: st.DrawFn) -> Submission:
        found = draw(st.sampled_from(forms[draw(st.sampled_from(sorted(forms)))]))
        fields = fields_of(found.form)
        sent = {f.name: list(f.sent) for f in fields}
        changed = draw(st.lists(st.sampled_from(fields), unique=True)) if fields else []
        for field in changed:
            value = st.one_of(st.sampled_from(field.offered), hostile_for(field.kind))
            how = draw(st.sampled_from(CHANGES))
            sent[field.name] = {
                "anything": [draw(hostile_for(field.kind))],
                "left out": [],
                "offered": [draw(st.sampled_from(field.offered))],
                "twice": [draw(value), draw(value)],
                "all": list(field.offered),
            }[how]
        pairs = [(name, value) for name, values in sent.items() for value in values]
        names = st.one_of(st.sampled_from(every_name), hostile_text)
        pairs += draw(st.lists(st.tuples(names, hostile_text), max_size=2))
        path, _, query = found.action.partition("?")
        parts = path.split("/")  # "", "courses", the course (kept: another is a 403), …
        for i in range(3, len(parts)):
            if parts[i].isdigit() and draw(st.booleans()):
                parts[i] = draw(st.sampled_from(URL_IDS))
        path = "/".join(parts) + (f"?{query}" if query else "")
        return Submission(found.endpoint, path, draw(st.permutations(pairs)))

    return submission()


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, db_templates: Path) -> Iterator[SeededCourse]:
    with seeded_course(tmp_path_factory.mktemp("rapport"), db_templates) as seeded:
        yield seeded


def test_the_fuzzer_knows_the_fields_of_every_form(course: SeededCourse) -> None:
    """A new form is fuzzed as soon as a page of the seeded course shows it: this fails for a
    route taking posts that no page showed (seed what makes the page show it)."""
    posted = {r.endpoint for r in course.app.url_map.iter_rules() if "POST" in (r.methods or ())}
    found = {f.endpoint for f in course.forms}
    assert posted - found - LAUNCH_ENDPOINTS == set()


@pytest.mark.parametrize("who", ["staff", "student"])
def test_no_form_answers_5xx(course: SeededCourse, who: str) -> None:
    visitor = course.people[who]
    base = course.tool.url
    token = visitor.csrf()

    @settings(max_examples=EXAMPLES_PER_PERSON)
    @given(submission=submissions(distinct(course.forms)))
    def posted(submission: Submission) -> None:
        response = visitor.http.post(
            base + submission.path,
            data=submission.body(token),
            headers=FORM,
            allow_redirects=False,
        )
        assert response.status_code < 500, (submission, response.text[:800])
        target = urljoin(base + submission.path, response.headers.get("Location", ""))
        if response.is_redirect and target.startswith(base):
            landing = visitor.http.get(target, allow_redirects=False)
            assert landing.status_code < 500, (submission, target, landing.text[:800])

    posted()
    assert visitor.get().status_code == 200
    for page in course.pages[who]:
        assert visitor.http.get(base + page).status_code < 500, page
