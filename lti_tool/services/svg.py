"""SVG drawn on the server for Rapport's charts, built so staff words can never become markup.

Every attribute value and every text goes through markupsafe's escaping; only `Markup` that
these functions made is kept as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

Point = tuple[float, float]
# rapport.css's ink, muted text, rules and accent; the accent is 6.6:1 on white.
INK, MUTED, GRID, ACCENT = "#1f2328", "#505a66", "#d5dbe1", "#0b5cad"


def number(value: float) -> str:
    """A coordinate, short: one decimal at most."""
    return f"{value:.1f}".removesuffix(".0")


def element(tag: str, content: str | None = None, /, **attrs: object) -> Markup:
    """One element. `stroke_width=2` becomes `stroke-width="2"`, `class_` becomes `class`.

    Joined as plain strings from escaped parts: a triage page draws a hundred sparklines, and
    `Markup.format` costs ten times as much for the same text."""
    pairs = "".join(
        f" {escape(name.rstrip('_').replace('_', '-'))}="
        f'"{escape(number(v) if isinstance(v, float) else v)}"'
        for name, v in attrs.items()
    )
    tag = escape(tag)
    if content is None:
        return Markup(f"<{tag}{pairs}/>")  # noqa: S704 - every part escaped above
    return Markup(f"<{tag}{pairs}>{escape(content)}</{tag}>")  # noqa: S704 - as above


def broken_line(
    points: Sequence[Point | None], colour: str, width: float, dot: float
) -> list[Markup]:
    """A line through consecutive points, broken where a point is missing (`None`); `dot` is
    the radius that marks a point with no neighbour (0: the caller marks points itself)."""
    runs: list[list[Point]] = [[]]
    for point in points:
        if point:
            runs[-1].append(point)
        else:
            runs.append([])
    parts = []
    for run in runs:
        if len(run) > 1:
            xy = " ".join(f"{number(x)},{number(y)}" for x, y in run)
            parts.append(
                element("polyline", points=xy, fill="none", stroke=colour, stroke_width=width)
            )
        elif run and dot:
            parts.append(element("circle", cx=run[0][0], cy=run[0][1], r=dot, fill=colour))
    return parts
