"""Check-in charts for staff: the answers per occurrence over the weeks, and the response rate.

Server-rendered SVG that scales to the LMS iframe's width (a `viewBox`, `width="100%"`), sized
so its text stays readable at 375 px. Each chart is an image with a name and a description in
words (`role="img"`, `<title>`, `<desc>`) and comes with the same figures as a table, for
screen readers and for anyone who prefers numbers. Colours reach 3:1 against white (WCAG
1.4.11) and are never the only cue: stacks always run 1 at the bottom to 5 at the top, a text
legend says so, and wide enough segments carry their value. Every string from staff is
escaped. Charts take aggregates only, so an anonymous check-in's charts expose nobody.

Each student's own trend is a sparkline (`sparkline`, re-exported here).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from babel.lists import format_list
from flask_babel import get_locale
from markupsafe import Markup

from lti_tool.i18n import _, ngettext
from lti_tool.services.checkins.sparkline import (
    sparkline,  # noqa: F401 - re-exported: the charts' API
    trend,  # noqa: F401 - re-exported: the charts' API
)
from lti_tool.services.svg import ACCENT, GRID, INK, MUTED, broken_line, element, number

SCALE = (1, 2, 3, 4, 5)
# Low answers warm, high answers cool, 3 grey; each >= 4.5:1 on white, so white numerals on
# them read too.
PALETTE = {1: "#8a2c0d", 2: "#c2410c", 3: "#5f6b7a", 4: "#2563eb", 5: "#1e3a8a"}

WIDTH, LEFT, RIGHT = 360, 38, 6
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = 150
FONT, SMALL = 12, 11
CHAR_W = 0.6  # average glyph width as a share of the font size, for fitting labels
MAX_PITCH = 48  # one occurrence never becomes one huge bar
MAX_LABEL = 16  # "#10 15 Feb 2027"
DESC_LIMIT = 12  # descriptions list the latest occurrences, the table holds them all

_ids = itertools.count(1)


@dataclass(frozen=True)
class OccurrenceStats:
    label: str
    counts: Mapping[int, int]  # scale value 1..5 -> number of answers
    responses: int
    students: int  # active students expected to answer


@dataclass(frozen=True)
class ChartTable:
    """The chart's figures as plain text; the template escapes them."""

    caption: str
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    svg: Markup
    table: ChartTable


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(
    x: float,
    y: float,
    words: str,
    *,
    size: int = SMALL,
    fill: str = MUTED,
    anchor: str = "middle",
    **extra: object,
) -> Markup:
    place = {"x": float(x), "y": float(y), "text_anchor": anchor}
    return element("text", words, font_size=size, fill=fill, **place, **extra)


def _rect(x: float, y: float, width: float, height: float, **style: object) -> Markup:
    return element(
        "rect", x=float(x), y=float(y), width=float(width), height=float(height), **style
    )


def _end(value: int, words: str) -> str:
    return f"{value} ({words})" if words else str(value)


def _svg(height: float, title: str, desc: str, body: list[Markup]) -> Markup:
    uid = f"checkin-chart-{next(_ids)}"
    inner = element("title", title, id=f"{uid}-t") + element("desc", desc, id=f"{uid}-d")
    return element(
        "svg",
        inner + Markup("").join(body),
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {number(height)}",
        width="100%",
        # Text stays near the page's size: never narrower than a phone, never huge on a desktop.
        style="max-width:36rem;display:block",
        class_="checkin-chart",
        role="img",
        aria_labelledby=f"{uid}-t",
        aria_describedby=f"{uid}-d",
    )


def _pitch(count: int) -> float:
    return min(PLOT_W / max(count, 1), MAX_PITCH)


def _axis_labels(labels: Sequence[str], baseline: float) -> list[Markup]:
    """Occurrence labels under the plot, thinned from the latest back so none overlap."""
    pitch = _pitch(len(labels))
    shown = [_short(label, MAX_LABEL) for label in labels]
    widest = max((len(s) for s in shown), default=0) * SMALL * CHAR_W
    step = max(1, math.ceil((widest + 8) / pitch))
    parts, left_edge = [], WIDTH + 4.0
    for i in range(len(labels) - 1, -1, -step):
        half = len(shown[i]) * SMALL * CHAR_W / 2
        x = min(max(LEFT + pitch * (i + 0.5), half), WIDTH - half)
        if x + half <= left_edge - 4:
            parts.append(_text(x, baseline + 15, shown[i]))
            left_edge = x - half
    return parts


def _percent_axis(top: float) -> list[Markup]:
    parts = []
    for share in (0, 25, 50, 75, 100):
        y = top + PLOT_H * (1 - share / 100)
        colour = MUTED if share == 0 else GRID
        parts.append(element("line", x1=LEFT, x2=WIDTH - RIGHT, y1=y, y2=y, stroke=colour))
        if share % 50 == 0:
            parts.append(_text(LEFT - 5, y + 4, f"{share}%", anchor="end"))
    return parts


def _empty(top: float) -> list[Markup]:
    return [_text(LEFT + PLOT_W / 2, top + PLOT_H / 2, _("No answers yet"), size=FONT)]


def _modes(counts: Mapping[int, int]) -> str:
    most = max((counts.get(v, 0) for v in SCALE), default=0)
    modes = [str(v) for v in SCALE if most and counts.get(v, 0) == most]
    return format_list(modes, locale=get_locale() or "en") if modes else ""


def _listed(entries: list[str], labels: Sequence[str]) -> str:
    if len(entries) <= DESC_LIMIT:
        return "; ".join(entries) + "."
    return ngettext(
        "%(num)d occurrence, %(first)s to %(last)s. The latest %(latest)d: %(entries)s.",
        "%(num)d occurrences, %(first)s to %(last)s. The latest %(latest)d: %(entries)s.",
        len(entries),
        first=labels[0],
        last=labels[-1],
        latest=DESC_LIMIT,
        entries="; ".join(entries[-DESC_LIMIT:]),
    )


def distribution_chart(
    stats: Sequence[OccurrenceStats], title: str, low_label: str, high_label: str
) -> Chart:
    """Stacked 100% columns, one per occurrence, of answers 1 (bottom) to 5 (top)."""
    top = 48
    body = _legend(low_label, high_label) + _percent_axis(top)
    pitch, totals = _pitch(len(stats)), [sum(s.counts.get(v, 0) for v in SCALE) for s in stats]
    bar = pitch * 0.72
    for i, (occurrence, total) in enumerate(zip(stats, totals, strict=True)):
        body += _column(LEFT + pitch * i + (pitch - bar) / 2, top, bar, occurrence.counts, total)
        if total and pitch >= 34:
            body.append(_text(LEFT + pitch * (i + 0.5), top - 4, f"n={total}", size=10))
    labels = [s.label for s in stats]
    body += _axis_labels(labels, top + PLOT_H) if stats else _empty(top)
    desc = _("No answers yet.")
    if any(totals):
        entries = [
            ngettext(
                "%(label)s: %(num)d answer, most often %(modes)s",
                "%(label)s: %(num)d answers, most often %(modes)s",
                total,
                label=s.label,
                modes=_modes(s.counts),
            )
            if total
            else _("%(label)s: no answers", label=s.label)
            for s, total in zip(stats, totals, strict=True)
        ]
        scale = _(
            "Answers from %(low)s to %(high)s per occurrence.",
            low=_end(1, low_label),
            high=_end(5, high_label),
        )
        desc = f"{scale} {_listed(entries, labels)}"
    ends = {1: low_label, 5: high_label}
    headers = [_("Occurrence"), _("Answers"), *(_end(v, ends.get(v, "")) for v in SCALE)]
    rows = [
        [s.label, str(total), *_shares(s.counts, total)]
        for s, total in zip(stats, totals, strict=True)
    ]
    caption = title if stats else _("%(title)s: no answers yet", title=title)
    return Chart(_svg(top + PLOT_H + 24, title, desc, body), ChartTable(caption, headers, rows))


def _column(
    x: float, top: float, bar: float, counts: Mapping[int, int], total: int
) -> list[Markup]:
    if not total:  # an outline, so "nobody answered" never reads as a missing column
        return [_rect(x, top, bar, PLOT_H, fill="none", stroke=MUTED, stroke_dasharray="3 2")]
    parts, y = [], float(top + PLOT_H)
    for value in SCALE:
        height = PLOT_H * counts.get(value, 0) / total
        if height:
            y -= height
            parts.append(_rect(x, y, bar, height, fill=PALETTE[value], stroke="#ffffff"))
            if bar >= 14 and height >= 14:
                parts.append(_text(x + bar / 2, y + height / 2 + 4, str(value), fill="#ffffff"))
    return parts


def _shares(counts: Mapping[int, int], total: int) -> list[str]:
    return [
        f"{counts.get(v, 0)} ({round(100 * counts.get(v, 0) / total)}%)" if total else "0"
        for v in SCALE
    ]


def _legend(low_label: str, high_label: str) -> list[Markup]:
    parts = [_text(0, 12, _("From the bottom:"), fill=INK, anchor="start")]
    for i, value in enumerate(SCALE):
        x = 104.0 + 30 * i
        parts.append(_rect(x, 3, 11, 11, fill=PALETTE[value]))
        parts.append(_text(x + 14, 12, str(value), fill=INK, anchor="start"))
    ends = [f"{v} = {_short(words, 22)}" for v, words in ((1, low_label), (5, high_label)) if words]
    if ends:
        parts.append(_text(0, 28, " · ".join(ends), anchor="start"))
    return parts


def response_rate_chart(stats: Sequence[OccurrenceStats], title: str) -> Chart:
    """The share of expected students who answered each occurrence, as points on a line."""
    top = 24
    body = [_text(0, 12, _("Students who answered"), fill=INK, anchor="start"), *_percent_axis(top)]
    pitch = _pitch(len(stats))
    rates = [s.responses / s.students if s.students else None for s in stats]
    spots = {
        i: (LEFT + pitch * (i + 0.5), top + PLOT_H * (1 - min(rate, 1.0)))
        for i, rate in enumerate(rates)
        if rate is not None
    }
    # Nobody expected to answer leaves a gap, not a fall to 0%.
    body += broken_line([spots.get(i) for i in range(len(stats))], ACCENT, 2, 0)
    radius = 3.5 if pitch >= 12 else 2.5
    body += [element("circle", cx=x, cy=y, r=radius, fill=ACCENT) for x, y in spots.values()]
    for i in list(spots) if pitch >= 30 else list(spots)[-1:]:  # else only the latest figure
        x, y = spots[i]
        figure = f"{round(100 * (rates[i] or 0))}%"
        figure_y = y - 7 if y > top + 10 else y + 16
        # A white halo keeps the figure legible where the line runs through it.
        body.append(
            _text(
                min(x, WIDTH - 14),
                figure_y,
                figure,
                fill=INK,
                stroke="#ffffff",
                stroke_width=3,
                paint_order="stroke",
            )
        )
    labels = [s.label for s in stats]
    body += _axis_labels(labels, top + PLOT_H) if stats else _empty(top)
    entries = [
        ngettext(
            "%(label)s: %(answered)d of %(num)d student answered (%(percent)d%%)",
            "%(label)s: %(answered)d of %(num)d students answered (%(percent)d%%)",
            s.students,
            label=s.label,
            answered=s.responses,
            percent=round(100 * r),
        )
        if r is not None
        else ngettext(
            "%(label)s: %(num)d answer, no students expected",
            "%(label)s: %(num)d answers, no students expected",
            s.responses,
            label=s.label,
        )
        for s, r in zip(stats, rates, strict=True)
    ]
    desc = _listed(entries, labels) if any(s.responses for s in stats) else _("No answers yet.")
    rows = [
        [s.label, str(s.responses), str(s.students), "—" if r is None else f"{round(100 * r)}%"]
        for s, r in zip(stats, rates, strict=True)
    ]
    table = ChartTable(
        title if stats else _("%(title)s: no answers yet", title=title),
        [_("Occurrence"), _("Answered"), _("Students"), _("Response rate")],
        rows,
    )
    return Chart(_svg(top + PLOT_H + 24, title, desc, body), table)
