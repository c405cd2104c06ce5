"""Markdown in posts: what survives as formatting, what never runs, and excerpts."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from lti_tool.services.markup import (
    MAX_NESTING,
    MAX_SOURCE_CHARS,
    plain_text,
    render_markdown,
    safe_html,
)
from tests.xss_corpus import XSS_CORPUS, assert_inert

SAFE_LINK = 'target="_blank" rel="noopener noreferrer nofollow"'


@pytest.mark.parametrize(
    "source", [source for _, source in XSS_CORPUS], ids=[n for n, _ in XSS_CORPUS]
)
def test_no_payload_in_the_corpus_survives_as_markup(source: str) -> None:
    html = render_markdown(source)
    assert_inert(html)
    for image in re.findall(r"<img [^>]*>", html):  # nh3 escapes ">" inside attribute values
        assert image.startswith('<img src="https://'), image


def test_the_corpus_is_broad() -> None:
    assert len(XSS_CORPUS) >= 30
    assert len({name for name, _ in XSS_CORPUS}) == len(XSS_CORPUS)


@pytest.mark.parametrize(
    "html",
    [
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="&#x6A;ava&#9;script:alert(1)">x</a>',
        '<a href=" VBScript:alert(1)">x</a>',
        '<iframe src="https://example.com"></iframe>',
        "<svg></svg>",
        '<meta http-equiv="refresh" content="0">',
        '<p style="width: expression(alert(1))">x</p>',
        "<html><body><p>ok</p><script>alert(1)</script></body></html>",
    ],
)
def test_the_inertness_check_fails_on_executable_markup(html: str) -> None:
    with pytest.raises(AssertionError, match="executable markup survived"):
        assert_inert(html)


@pytest.mark.parametrize(
    "html",
    [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<p>&lt;img src=x onerror=alert(1)&gt;</p>",
        '<a href="https://example.com" title="a&quot; onclick=&quot;alert(1)">x</a>',
        '<html><head><script src="/static/app.js"></script></head><body>hi</body></html>',
    ],
)
def test_the_inertness_check_passes_text_and_a_pages_own_scripts(html: str) -> None:
    assert_inert(html)


def test_raw_html_is_shown_as_text() -> None:
    html = render_markdown("<b>bold?</b> <script>alert(1)</script>")
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html
    assert "<b>" not in html and "<script" not in html


def test_emphasis_strikethrough_and_line_breaks_survive() -> None:
    html = render_markdown("**bold** _it_ ~~gone~~ and a break\\\nhere")
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<s>gone</s>" in html
    assert "<br>" in html


def test_lists_quotes_and_rules_survive() -> None:
    html = render_markdown("> quoted\n\n- one\n- two\n\n1. first\n\n---")
    assert "<blockquote>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html
    assert "<hr>" in html


def test_https_link_opens_in_a_new_tab_without_opener_or_referrer() -> None:
    html = render_markdown('[the syllabus](https://example.com/s "Syllabus")')
    assert f'<a href="https://example.com/s" title="Syllabus" {SAFE_LINK}>the syllabus</a>' in html


def test_mailto_and_autolinks_are_kept() -> None:
    html = render_markdown("[mail me](mailto:ta@example.com) <https://example.com/a>")
    assert f'<a href="mailto:ta@example.com" {SAFE_LINK}>mail me</a>' in html
    assert f'<a href="https://example.com/a" {SAFE_LINK}>https://example.com/a</a>' in html


@pytest.mark.parametrize(
    "destination", ["/course/1", "//evil.example/x", "#top", "ftp://example.com/f", "tel:123"]
)
def test_links_other_than_http_and_mailto_become_their_text(destination: str) -> None:
    assert render_markdown(f"see [here]({destination}) please") == "<p>see here please</p>\n"


def test_https_image_keeps_its_alt_and_title() -> None:
    html = render_markdown('![a diagram](https://example.com/d.png "Figure 1")')
    assert '<img src="https://example.com/d.png" alt="a diagram" title="Figure 1">' in html


@pytest.mark.parametrize(
    "source",
    [
        "http://example.com/d.png",
        "//example.com/d.png",
        "/static/d.png",
        "d.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "HTTP://example.com/d.png",
    ],
)
def test_an_image_not_served_over_https_is_dropped_for_its_alt_text(source: str) -> None:
    html = render_markdown(f"before ![a *diagram*]({source}) after")
    assert "<img" not in html
    assert html == "<p>before a diagram after</p>\n"


def test_tables_keep_alignment_as_an_attribute() -> None:
    html = render_markdown("| name | score |\n|:-----|------:|\n| Ada | 9 |")
    assert '<th align="left">name</th>' in html
    assert '<td align="right">9</td>' in html
    assert "style" not in html


def test_code_shows_markup_as_text() -> None:
    html = render_markdown("```html\n<b>hi</b>\n```\n\nand `<i>x</i>`")
    assert "<pre><code>&lt;b&gt;hi&lt;/b&gt;\n</code></pre>" in html
    assert "<code>&lt;i&gt;x&lt;/i&gt;</code>" in html


def test_headings_in_a_post_rank_below_the_pages_own() -> None:
    html = render_markdown("# One\n\n## Two\n\n### Three\n\nSetext\n======\n\n###### Six")
    assert "<h3>One</h3>" in html
    assert "<h4>Two</h4>" in html
    assert "<h5>Three</h5>" in html
    assert "<h3>Setext</h3>" in html
    assert "<h6>Six</h6>" in html
    assert "<h1" not in html and "<h2" not in html


def test_safe_html_is_markup_that_templates_insert_as_is() -> None:
    html = safe_html("**hi** <b>")
    assert isinstance(html, Markup)
    assert str(html) == "<p><strong>hi</strong> &lt;b&gt;</p>\n"


@pytest.mark.parametrize(
    "source",
    [
        ">" * 5_000 + " deep",
        "- " * 5_000 + "deep",
        "\n".join("  " * depth + "- x" for depth in range(2_000)),
        "`" * 20_000,
        "*a" * 10_000,
        "![[" * 7_000,
        "[a](" * 5_000,
        "<" * 20_000,
    ],
    ids=["quotes", "lists", "indented lists", "backticks", "emphasis", "images", "links", "lt"],
)
def test_pathological_input_still_renders(source: str) -> None:
    assert isinstance(render_markdown(source), str)


def test_nesting_is_capped() -> None:
    html = render_markdown(">" * 1_000 + " deep")
    assert 0 < html.count("<blockquote>") <= MAX_NESTING


def test_source_past_the_cap_is_not_rendered() -> None:
    html = render_markdown("a" * MAX_SOURCE_CHARS + " **tail**")
    assert "tail" not in html


def test_plain_text_strips_markup_and_collapses_whitespace() -> None:
    source = (
        "# Week 1\n\nRead **chapter 2**  and\nthe [notes](https://example.com).\n\n- one\n- two"
    )
    assert plain_text(source, 200) == "Week 1 Read chapter 2 and the notes. one two"


def test_plain_text_is_text_not_html() -> None:
    assert plain_text("1 < 2 & `<b>`", 50) == "1 < 2 & <b>"


def test_plain_text_cuts_at_a_word_boundary() -> None:
    excerpt = plain_text("The quick brown fox jumps over the lazy dog", 18)
    assert excerpt == "The quick brown…"
    assert len(excerpt) <= 18


def test_plain_text_keeps_text_that_fits() -> None:
    assert plain_text("Short **note**", 10) == "Short note"


def test_plain_text_cuts_one_long_word_hard() -> None:
    assert plain_text("a" * 50, 10) == "a" * 9 + "…"


def test_plain_text_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError, match="positive limit"):
        plain_text("text", 0)
