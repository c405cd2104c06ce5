"""One student's check-in trend: a sparkline small enough for every row of a list.

Used on the staff triage list and the relationship dashboard beside each student's name, and on
a student's own history. The image's name says the values and the trend in words, so a screen
reader hears what a sighted reader sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from statistics import fmean

from markupsafe import Markup

from lti_tool.i18n import _
from lti_tool.services.svg import ACCENT, GRID, Point, broken_line, element

WIDTH, HEIGHT = 80, 20
RISE = 0.5  # how far the latest answer must be from the ones before to count as a change


def trend(values: Sequence[int | None]) -> str:
    """How the latest answer compares with the (up to) three before it: "rising", "falling",
    "steady" (also for a single answer), or "no answers"."""
    answered = [v for v in values if v is not None]
    if not answered:
        return "no answers"
    if len(answered) == 1:
        return "steady"
    change = answered[-1] - fmean(answered[-4:-1])
    if change >= RISE:
        return "rising"
    return "falling" if change <= -RISE else "steady"


def _trend_words(key: str) -> str:
    """A trend (`trend`'s key, which summaries store) in the reader's words."""
    words = {"rising": _("rising"), "falling": _("falling"), "steady": _("steady")}
    return words.get(key, key)


def sparkline(values: Sequence[int | None], label: str) -> Markup:
    """One student's answers on the 1..5 scale as a tiny line; a gap where they missed one.

    Its name says whose (`label`, e.g. the student's name; may be empty) and the values in
    words: "Ada Lovelace, scores 3, 4, missed, 2: falling"."""
    values = tuple(values)
    if any(v is not None for v in values):
        missed = _("missed")
        scores = ", ".join(missed if v is None else str(v) for v in values)
        said = _trend_words(trend(values))
        if label:
            name = _(
                "%(name)s, scores %(scores)s: %(trend)s", name=label, scores=scores, trend=said
            )
        else:
            name = _("Scores %(scores)s: %(trend)s", scores=scores, trend=said)
    else:
        name = _("%(name)s, no answers", name=label) if label else _("No answers")
    return element(
        "svg",
        element("title", name) + _drawing(values),
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        width=WIDTH,
        height=HEIGHT,
        class_="sparkline",
        role="img",
        aria_label=name,
    )


@lru_cache(maxsize=4096)
def _drawing(values: tuple[int | None, ...]) -> Markup:
    """The line itself, which depends on the values alone: a page of a hundred students draws
    a few dozen different ones (a triage page spent a third of its time drawing them)."""
    pad = 2.5
    step = (WIDTH - 2 * pad) / max(len(values) - 1, 1)

    def point(i: int, value: int) -> Point:
        x = pad + step * i if len(values) > 1 else WIDTH / 2
        return x, HEIGHT - pad - (HEIGHT - 2 * pad) * (min(max(value, 1), 5) - 1) / 4

    body = [element("line", x1=0, x2=WIDTH, y1=10, y2=10, stroke=GRID)]  # the scale's middle, 3
    body += broken_line(
        [None if v is None else point(i, v) for i, v in enumerate(values)], ACCENT, 1.5, 1.8
    )
    last = [(i, v) for i, v in enumerate(values) if v is not None][-1:]
    body += [
        element("circle", cx=x, cy=y, r=2.4, fill=ACCENT) for x, y in (point(*p) for p in last)
    ]
    return Markup("").join(body)
