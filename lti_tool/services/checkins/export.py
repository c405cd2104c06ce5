"""CSV export of a check-in's responses, safe to open in a spreadsheet.

RFC 4180 CSV in UTF-8 with a byte-order mark (so Excel reads accents right), times in ISO 8601
UTC. Any cell a spreadsheet could run as a formula gets a leading apostrophe (OWASP, "CSV
Injection"): answers, names and question prompts all come from people.

An anonymous check-in's export names nobody: no student, email or submission time (staff who
saw a student online could match it), and its rows follow their answers, not the order in
which students answered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from lti_tool.i18n import _
from lti_tool.services.checkins.words import shown_prompt

BOM = "\ufeff"
CHUNK_CHARACTERS = 64 * 1024  # how much of a streamed export is sent at a time
# OWASP's list, their full-width forms, and "|" and "%" which older spreadsheets also act on.
FORMULA_STARTS = frozenset("=+-@|%\uff1d\uff0b\uff0d\uff20")


@dataclass(frozen=True)
class ExportRow:
    occurrence: str  # its label, e.g. "Week 3"
    opens_at: datetime
    student_name: str | None  # None for an anonymous check-in
    student_email: str | None
    submitted_at: datetime | None
    answers: Mapping[str, Any]  # question id -> the answer as stored


@dataclass(frozen=True)
class CsvWords:
    """The export's own words in the reader's language: read while the request lasts, since a
    streamed export writes its rows after it."""

    header: list[str]
    yes: str = "yes"
    no: str = "no"


def csv_words(questions: Sequence[Mapping[str, Any]], anonymous: bool) -> CsvWords:
    """The header (one column per question, named by its words) and how a tick reads."""
    header = [_("occurrence"), _("opened")]
    if not anonymous:
        header += [_("student"), _("email"), _("submitted")]
    header += [shown_prompt(question) for question in questions]
    return CsvWords(header, _("yes"), _("no"))


def neutralised(cell: str) -> str:
    """The cell as text a spreadsheet shows rather than runs."""
    if cell[:1] in ("\t", "\r") or cell.lstrip()[:1] in FORMULA_STARTS:
        return "'" + cell
    return cell


def iso_utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # the database's UTC, without its zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def answer_text(value: Any, words: CsvWords | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # "I'd like to talk to someone"
        said = words or CsvWords([])
        return said.yes if value else said.no
    return str(value)


def _answer_order(value: Any) -> tuple[int, float, str, str]:
    """Numbers before words, numbers by value, so anonymous rows sort by what was answered.

    Only rows whose cells are identical tie, so the input's order never shows through."""
    text = answer_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "", text)
    return (1, 0.0, text.casefold(), text)


def responses_csv(
    questions: Sequence[Mapping[str, Any]], rows: Iterable[ExportRow], anonymous: bool
) -> str:
    """The responses as CSV text: one row per response, one column per question.

    Rows run by occurrence in opening order; within one, by student name, or for an anonymous
    check-in by the answers themselves (in question order).
    """
    in_order = sorted(rows, key=lambda row: iso_utc(row.opens_at))
    return "".join(responses_csv_chunks(questions, in_order, anonymous))


def responses_csv_chunks(
    questions: Sequence[Mapping[str, Any]],
    rows: Iterable[ExportRow],
    anonymous: bool,
    words: CsvWords | None = None,
) -> Iterator[str]:
    """`responses_csv` in pieces: the header first, then about CHUNK_CHARACTERS at a time, for
    rows that already come in the order their occurrences opened (as `stats.export_rows` reads
    them): only the rows of one occurrence are held at a time, to be put in order within it.
    `words` as `csv_words` read them during the request (else read when the header is written)."""
    ids = [question["id"] for question in questions]
    said = words or csv_words(questions, anonymous)
    header = said.header

    def order(row: ExportRow) -> tuple[Any, ...]:
        if anonymous:
            return (row.occurrence, [_answer_order(row.answers.get(i)) for i in ids])
        return (row.occurrence, (row.student_name or "").casefold(), row.student_email or "")

    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(cell) for cell in header])
    # The header goes at once: the download starts (and shows) before the first answer is read.
    yield out.getvalue()
    out.seek(0)
    out.truncate()
    for opened, together in groupby(rows, key=lambda row: iso_utc(row.opens_at)):
        for row in sorted(together, key=order):
            cells = [row.occurrence, opened]
            if not anonymous:
                cells += [row.student_name or "", row.student_email or ""]
                cells.append(iso_utc(row.submitted_at))
            cells += [answer_text(row.answers.get(i), said) for i in ids]
            writer.writerow([neutralised(cell) for cell in cells])
            if out.tell() >= CHUNK_CHARACTERS:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()
