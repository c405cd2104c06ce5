"""The demo LMS's gradebook: every score Rapport sent back (AGS 2.0 §3.4), as received.

One column per line item, one row per student (and per staff member who was sent a score);
each cell shows scoreGiven / scoreMaximum, the comment and the timestamp the tool gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import render_template

from lti_tool.demo.blueprint import bp
from lti_tool.demo.people import DemoPerson
from lti_tool.demo.platform import DemoPlatform, demo
from lti_tool.demo.records import LineItem, Score

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GradeCell:
    score: Score

    @property
    def when(self) -> str:
        """The tool's timestamp, readable: "29 Nov 2026, 15:37 UTC"."""
        moment = _EPOCH + timedelta(microseconds=self.score.timestamp_us)
        return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


@dataclass(frozen=True)
class GradebookRow:
    person: DemoPerson
    cells: list[GradeCell | None]


@dataclass(frozen=True)
class Gradebook:
    line_items: list[LineItem]
    rows: list[GradebookRow]
    link_titles: dict[str, str]


def _cell(score: Score | None) -> GradeCell | None:
    return GradeCell(score) if score else None


def build_gradebook(platform: DemoPlatform) -> Gradebook:
    items = platform.store.line_items(platform.course.context_id)
    by_key = {(s.line_item, s.user_id): s for s in platform.store.scores()}
    scored = {user for _, user in by_key}
    people = [p for p in platform.course.people if not p.is_staff or p.sub in scored]
    people.sort(key=lambda p: p.is_staff)
    rows = [
        GradebookRow(p, [_cell(by_key.get((item.number, p.sub))) for item in items]) for p in people
    ]
    titles = {link.link_id: link.title for link in platform.links()}
    return Gradebook(items, rows, titles)


@bp.get("/gradebook")
def gradebook() -> str:
    platform = demo()
    return render_template(
        "demo/gradebook.html",
        course=platform.course,
        book=build_gradebook(platform),
        score_posts=platform.store.counter("score_posts"),
    )
