"""Check-in charts: what they draw and say for 0, 1 and many occurrences, and that staff words
never become markup."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from lti_tool.services.checkins.charts import (
    CHAR_W,
    PALETTE,
    PLOT_H,
    SMALL,
    Chart,
    OccurrenceStats,
    distribution_chart,
    response_rate_chart,
    sparkline,
    trend,
)
from lti_tool.services.svg import ACCENT

SVG = "{http://www.w3.org/2000/svg}"
PAYLOAD = '<script>alert(1)</script>" onload="alert(2)'


def week(number: int, counts: dict[int, int], students: int = 40) -> OccurrenceStats:
    return OccurrenceStats(f"Week {number}", counts, sum(counts.values()), students)


def many(count: int) -> list[OccurrenceStats]:
    return [week(n, {1: n % 3, 3: 5, 4: n % 7, 5: 2}) for n in range(1, count + 1)]


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it is valid XML


def child_text(root: ET.Element, tag: str) -> str:
    found = root.find(SVG + tag)
    assert found is not None, f"no <{tag}>"
    return found.text or ""


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(SVG + "text")]


def relative_luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_on_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def charts(stats: list[OccurrenceStats], title: str = "Confidence") -> list[Chart]:
    return [
        distribution_chart(stats, title, "Not at all", "Very"),
        response_rate_chart(stats, title),
    ]


@pytest.mark.parametrize("count", [0, 1, 52])
def test_each_chart_is_a_named_image_that_scales_to_the_frame(count: int) -> None:
    for chart in charts(many(count), "Week by week"):
        root = parsed(chart.svg)
        assert root.get("role") == "img"
        assert root.get("width") == "100%" and root.get("height") is None
        assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox") or "")
        assert child_text(root, "title") == "Week by week"
        labelled_by, described_by = root.get("aria-labelledby"), root.get("aria-describedby")
        assert root.find(f"{SVG}title[@id='{labelled_by}']") is not None
        assert root.find(f"{SVG}desc[@id='{described_by}']") is not None
        assert len(chart.table.rows) == count
        assert all(len(row) == len(chart.table.headers) for row in chart.table.rows)


def test_no_occurrences_say_no_answers_yet_in_picture_words_and_table() -> None:
    for chart in charts([]):
        root = parsed(chart.svg)
        assert child_text(root, "desc") == "No answers yet."
        assert "No answers yet" in texts(root)
        assert chart.table.caption == "Confidence: no answers yet"
        assert chart.table.rows == []


def test_occurrences_nobody_answered_yet_say_so_too() -> None:
    stats = [week(1, {}), week(2, {})]
    distribution, rate = charts(stats)
    assert child_text(parsed(distribution.svg), "desc") == "No answers yet."
    assert child_text(parsed(rate.svg), "desc") == "No answers yet."
    outlines = [r for r in parsed(distribution.svg).iter(SVG + "rect") if r.get("fill") == "none"]
    assert len(outlines) == 2  # drawn as empty columns, not left out
    assert rate.table.rows == [["Week 1", "0", "40", "0%"], ["Week 2", "0", "40", "0%"]]


def test_one_occurrence_is_described_in_words() -> None:
    stats = [week(1, {2: 4, 3: 8, 4: 12, 5: 6}, students=40)]
    distribution, rate = charts(stats)
    assert child_text(parsed(distribution.svg), "desc") == (
        "Answers from 1 (Not at all) to 5 (Very) per occurrence. Week 1: 30 answers, most often 4."
    )
    assert child_text(parsed(rate.svg), "desc") == "Week 1: 30 of 40 students answered (75%)."
    assert "75%" in texts(parsed(rate.svg))


def test_a_tie_names_every_most_frequent_answer() -> None:
    chart = distribution_chart([week(1, {3: 5, 4: 5, 1: 2})], "C", "", "")
    assert "Week 1: 12 answers, most often 3 and 4." in child_text(parsed(chart.svg), "desc")
    assert chart.table.headers == ["Occurrence", "Answers", "1", "2", "3", "4", "5"]


def test_the_distribution_table_holds_the_figures_drawn() -> None:
    stats = [week(1, {1: 1, 2: 3, 4: 4}), week(2, {}), week(3, {5: 2})]
    chart = distribution_chart(stats, "Confidence", "Not at all", "Very")
    assert chart.table.caption == "Confidence"
    assert chart.table.headers == [
        "Occurrence",
        "Answers",
        "1 (Not at all)",
        "2",
        "3",
        "4",
        "5 (Very)",
    ]
    assert chart.table.rows == [
        ["Week 1", "8", "1 (12%)", "3 (38%)", "0 (0%)", "4 (50%)", "0 (0%)"],
        ["Week 2", "0", "0", "0", "0", "0", "0"],
        ["Week 3", "2", "0 (0%)", "0 (0%)", "0 (0%)", "0 (0%)", "2 (100%)"],
    ]


def test_stacks_run_from_1_at_the_bottom_to_5_at_the_top_in_proportion() -> None:
    root = parsed(distribution_chart([week(1, {1: 1, 3: 2, 5: 1})], "C", "a", "b").svg)
    # the stacked segments are the rectangles outlined in white
    segments = [r for r in root.iter(SVG + "rect") if r.get("stroke") == "#ffffff"]
    by_value = {v: s for v in PALETTE for s in segments if s.get("fill") == PALETTE[v]}
    assert sorted(by_value) == [1, 3, 5]
    tops = [float(by_value[v].get("y") or 0) for v in (1, 3, 5)]
    assert tops == sorted(tops, reverse=True)  # higher answers sit higher
    heights = {v: float(by_value[v].get("height") or 0) for v in by_value}
    assert heights == {1: PLOT_H / 4, 3: PLOT_H / 2, 5: PLOT_H / 4}
    # wide segments carry their value as text, so colour is never the only cue
    assert {"1", "3", "5"} <= set(texts(root))


def test_the_legend_says_the_order_in_words() -> None:
    words = texts(parsed(distribution_chart(many(3), "C", "Lost", "On top of it").svg))
    assert "From the bottom:" in words
    assert "1 = Lost · 5 = On top of it" in words
    assert words[1:6] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("colour", [*PALETTE.values(), ACCENT])
def test_colours_stand_out_against_white(colour: str) -> None:
    # 3:1 is WCAG 1.4.11's bar for graphics; 4.5:1 lets white numerals sit on the segments
    assert contrast_on_white(colour) >= 4.5


def axis_labels(root: ET.Element) -> list[tuple[float, str]]:
    baseline = max(float(t.get("y") or 0) for t in root.iter(SVG + "text"))
    return [
        (float(t.get("x") or 0), t.text or "")
        for t in root.iter(SVG + "text")
        if float(t.get("y") or 0) == baseline
    ]


@pytest.mark.parametrize("count", [12, 52])
def test_many_occurrences_thin_their_labels_so_none_overlap(count: int) -> None:
    for chart in charts(many(count)):
        labels = sorted(axis_labels(parsed(chart.svg)))
        assert 2 <= len(labels) < count
        assert labels[-1][1] == f"Week {count}"  # the latest is always named
        for (x1, a), (x2, b) in itertools.pairwise(labels):
            assert x2 - x1 >= (len(a) + len(b)) / 2 * SMALL * CHAR_W, (a, b)


def test_a_few_occurrences_are_all_labelled() -> None:
    for chart in charts(many(5)):
        assert [label for _, label in sorted(axis_labels(parsed(chart.svg)))] == [
            f"Week {n}" for n in range(1, 6)
        ]


def test_many_occurrences_are_summarised_with_the_latest_in_the_description() -> None:
    desc = child_text(parsed(response_rate_chart(many(52), "R").svg), "desc")
    assert desc.startswith("52 occurrences, Week 1 to Week 52. The latest 12: Week 41:")
    assert desc.count("students answered") == 12


def test_the_response_rate_breaks_its_line_where_nobody_was_expected() -> None:
    stats = [week(1, {3: 20}), week(2, {3: 30}), week(3, {}, students=0), week(4, {3: 10})]
    chart = response_rate_chart(stats, "Response rate")
    root = parsed(chart.svg)
    assert len(list(root.iter(SVG + "polyline"))) == 1  # weeks 1-2; week 4 stands alone
    assert len(list(root.iter(SVG + "circle"))) == 3
    assert [row[3] for row in chart.table.rows] == ["50%", "75%", "—", "25%"]
    assert "Week 3: 0 answers, no students expected" in child_text(root, "desc")


@pytest.mark.parametrize("where", ["title", "label", "ends"])
def test_staff_words_are_text_never_markup(where: str) -> None:
    title = PAYLOAD if where == "title" else "C"
    stats = [OccurrenceStats(PAYLOAD if where == "label" else "W1", {3: 1}, 1, 2)]
    end = PAYLOAD if where == "ends" else "x"
    rate = response_rate_chart(stats, title)
    for chart in [distribution_chart(stats, title, end, end), rate]:
        assert "<script" not in chart.svg
        root = parsed(chart.svg)
        assert {e.tag for e in root.iter()} <= {
            SVG + t for t in ("svg", "title", "desc", "text", "rect", "line", "circle")
        }
        assert all(not name.startswith("on") for e in root.iter() for name in e.attrib)
        words = " ".join([child_text(root, "title"), child_text(root, "desc"), *texts(root)])
        if where != "ends" or chart is not rate:  # the rate chart has no scale ends to show
            assert "<script>" in words  # shown as the words staff typed


def test_charts_on_one_page_have_distinct_ids() -> None:
    ids = [parsed(chart.svg).get("aria-labelledby") for chart in charts(many(2)) + charts(many(2))]
    assert len(set(ids)) == 4


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], "no answers"),
        ([None, None], "no answers"),
        ([4], "steady"),
        ([3, 4, None, 2], "falling"),
        ([1, 2, 3, 4, 5], "rising"),
        ([3, 3, 3], "steady"),
        ([5, 5, 5, 5, 4], "falling"),
        ([1, 1, 1, 1, 4, 4, 4, 4], "steady"),  # recent answers count, not week 1
        ([2, 4, 3], "steady"),
        ([3, None, None, 4], "rising"),
    ],
)
def test_trend_compares_the_latest_answer_with_the_ones_before(
    values: list[int | None], expected: str
) -> None:
    assert trend(values) == expected


def test_a_sparkline_says_its_values_in_words() -> None:
    root = parsed(sparkline([3, 4, None, 2], ""))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Scores 3, 4, missed, 2: falling"
    assert child_text(root, "title") == "Scores 3, 4, missed, 2: falling"  # a tooltip too
    assert root.get("viewBox") == "0 0 80 20"


def test_a_sparkline_says_whose_it_is() -> None:
    label = parsed(sparkline([2, 4], "Ada Lovelace")).get("aria-label")
    assert label == "Ada Lovelace, scores 2, 4: rising"


@pytest.mark.parametrize("values", [[], [None, None, None]])
def test_a_sparkline_without_answers_says_so(values: list[int | None]) -> None:
    assert parsed(sparkline(values, "")).get("aria-label") == "No answers"
    root = parsed(sparkline(values, "Ada"))
    assert root.get("aria-label") == "Ada, no answers"
    assert list(root.iter(SVG + "polyline")) == [] and list(root.iter(SVG + "circle")) == []


def test_a_sparkline_leaves_a_gap_for_each_missed_check_in() -> None:
    root = parsed(sparkline([1, 2, None, 4, 5, None, 3], "Scores"))
    lines = [p.get("points") or "" for p in root.iter(SVG + "polyline")]
    assert [len(points.split()) for points in lines] == [2, 2]
    circles = list(root.iter(SVG + "circle"))
    assert len(circles) == 2  # the lone 3, and the latest answer marked


def test_a_sparkline_puts_5_high_and_1_low() -> None:
    line = parsed(sparkline([1, 5], "S")).find(SVG + "polyline")
    assert line is not None
    (_, low), (_, high) = (map(float, p.split(",")) for p in (line.get("points") or "").split())
    assert high < low  # SVG's y grows downwards
    assert high >= 0 and low <= 20


def test_a_sparkline_label_is_text_never_markup() -> None:
    svg = sparkline([3], PAYLOAD)
    root = parsed(svg)
    assert set(root.attrib) == {"viewBox", "width", "height", "class", "role", "aria-label"}
    assert (root.get("aria-label") or "").startswith("<script>alert(1)</script>")
