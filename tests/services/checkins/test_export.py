"""CSV export of check-in responses: spreadsheets show people's words rather than run them, and
an anonymous check-in's export points at nobody."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from lti_tool.services.checkins.export import (
    ExportRow,
    answer_text,
    responses_csv,
    responses_csv_chunks,
)

FORMULAS = [
    "=1+1",
    "+cmd",
    "-2+3",
    "@SUM(A1)",
    "\t=x",
    "\r=x",
    '=HYPERLINK("http://x")',
    "  =1+1",
    "\n=1+1",
    "|calc",
    "%0A=1",
    "\uff1d1+1",  # full-width equals sign
]
HARMLESS = ["3", "Fine, thanks", 'She said "hi"', "a = b", "line one\nline two", "", "Zoë"]

QUESTIONS = [
    {"id": "scale", "kind": "scale", "prompt": "How confident do you feel?", "low": "Not"},
    {"id": "text", "kind": "text", "prompt": "Anything else?"},
    {"id": "talk", "kind": "talk", "prompt": "I'd like to talk to someone"},
]
MONDAY = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


def row(
    name: str,
    answers: Mapping[str, Any],
    *,
    submitted: datetime = MONDAY + timedelta(hours=1),
    label: str = "Week 1",
    opens_at: datetime = MONDAY,
) -> ExportRow:
    email = f"{name.lower()}@example.edu"
    return ExportRow(label, opens_at, name, email, submitted, answers)


def read(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the mark
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def export(rows: Iterable[ExportRow], *, anonymous: bool = False) -> list[list[str]]:
    return read(responses_csv(QUESTIONS, rows, anonymous))


@pytest.mark.parametrize("payload", FORMULAS)
def test_formulas_in_answers_names_and_prompts_are_shown_not_run(payload: str) -> None:
    questions = [{"id": "text", "kind": "text", "prompt": payload}]
    rows = [ExportRow(payload, MONDAY, payload, payload, MONDAY, {"text": payload})]
    header, cells = read(responses_csv(questions, rows, anonymous=False))
    assert header[-1] == "'" + payload
    opened = "2027-02-01T09:00:00Z"
    shown = "'" + payload
    assert cells == [shown, opened, shown, shown, opened, shown]
    anonymous_cells = read(responses_csv(questions, rows, anonymous=True))[1]
    assert anonymous_cells == ["'" + payload, "2027-02-01T09:00:00Z", "'" + payload]


@pytest.mark.parametrize("words", HARMLESS)
def test_ordinary_words_round_trip_unchanged(words: str) -> None:
    rows = [row("Ann", {"scale": 3, "text": words, "talk": False})]
    assert export(rows)[1][-3:] == ["3", words, "no"]


def test_the_named_export_has_one_column_per_question_and_utc_times() -> None:
    paris = timezone(timedelta(hours=1))
    rows = [
        row(
            "Bea",
            {"scale": 2, "text": "Lost", "talk": True},
            submitted=datetime(2027, 2, 1, 11, 30, 5, 999, tzinfo=paris),
        ),
        row("Ann", {"scale": 4}),
    ]
    assert export(rows) == [
        [
            "occurrence",
            "opened",
            "student",
            "email",
            "submitted",
            "How confident do you feel?",
            "Anything else?",
            "I'd like to talk to someone",
        ],
        [
            "Week 1",
            "2027-02-01T09:00:00Z",
            "Ann",
            "ann@example.edu",
            "2027-02-01T10:00:00Z",
            "4",
            "",
            "",
        ],
        [
            "Week 1",
            "2027-02-01T09:00:00Z",
            "Bea",
            "bea@example.edu",
            "2027-02-01T10:30:05Z",
            "2",
            "Lost",
            "yes",
        ],
    ]


def test_times_without_a_zone_are_read_as_utc() -> None:
    naive = ExportRow("Week 1", datetime(2027, 2, 1, 9), "Ann", "a@x", datetime(2027, 2, 1, 10), {})  # noqa: DTZ001 - a value as some databases return it
    assert export([naive])[1][1:5] == ["2027-02-01T09:00:00Z", "Ann", "a@x", "2027-02-01T10:00:00Z"]


def test_rows_run_by_occurrence_in_opening_order() -> None:
    later = MONDAY + timedelta(days=7)
    rows = [
        row("Ann", {"scale": 3}, label="Week 2", opens_at=later),
        row("Bea", {"scale": 3}, label="Week 1"),
        row("Cal", {"scale": 3}, label="Week 2", opens_at=later),
    ]
    assert [(r[0], r[2]) for r in export(rows)[1:]] == [
        ("Week 1", "Bea"),
        ("Week 2", "Ann"),
        ("Week 2", "Cal"),
    ]


def submitted_in_order(answers: list[Mapping[str, Any]]) -> list[ExportRow]:
    names = ["Ann", "Bea", "Cal", "Dee", "Eli", "Fay"]
    return [
        row(names[i], a, submitted=MONDAY + timedelta(hours=2, minutes=i))
        for i, a in enumerate(answers)
    ]


def test_the_anonymous_export_names_nobody() -> None:
    rows = submitted_in_order([{"scale": 5, "text": "ok", "talk": True}, {"scale": 1}])
    text = responses_csv(QUESTIONS, rows, anonymous=True)
    table = read(text)
    assert table[0] == [
        "occurrence",
        "opened",
        "How confident do you feel?",
        "Anything else?",
        "I'd like to talk to someone",
    ]
    assert all(len(r) == 5 for r in table)
    for leak in ["Ann", "Bea", "example.edu", "T11:00:00Z", "T11:01:00Z"]:
        assert leak not in text


def test_anonymous_rows_follow_their_answers_not_who_answered_first() -> None:
    answers: list[Mapping[str, Any]] = [
        {"scale": 5, "text": "great", "talk": False},
        {"scale": 1, "text": "lost", "talk": True},
        {"scale": 3, "text": "fine", "talk": False},
        {"scale": 3, "text": "Fine", "talk": True},
        {"scale": 3, "text": "Fine", "talk": False},
        {"text": "no score", "talk": False},
    ]
    rows = submitted_in_order(answers)
    by_answers = [
        ["1", "lost", "yes"],
        ["3", "Fine", "no"],
        ["3", "Fine", "yes"],
        ["3", "fine", "no"],
        ["5", "great", "no"],
        ["", "no score", "no"],
    ]
    for arrival in (rows, rows[::-1], rows[2:] + rows[:2]):
        assert [r[2:] for r in export(arrival, anonymous=True)[1:]] == by_answers
    in_submission_order = [[answer_text(a.get(q["id"])) for q in QUESTIONS] for a in answers]
    assert by_answers != in_submission_order


def test_the_header_is_sent_before_any_answer_is_read() -> None:
    """A streamed download starts at once: the first piece is the header alone."""
    read: list[str] = []

    def rows() -> Iterable[ExportRow]:
        read.append("Ada")
        yield row("Ada", {"scale": 3})

    pieces = responses_csv_chunks(QUESTIONS, rows(), anonymous=False)
    first = next(pieces)
    assert read == []
    assert first == "\ufeffoccurrence,opened,student,email,submitted," + (
        "How confident do you feel?,Anything else?,I'd like to talk to someone\r\n"
    )
    assert "ada@example.edu" in "".join(pieces)
