"""User-written Markdown as safe HTML: the one place a post's text becomes markup.

Two layers, so that neither has to be perfect alone:

1. markdown-it-py (CommonMark + tables + strikethrough) with raw HTML *off*, so anything that
   looks like a tag in the source is shown as text. A core rule then shapes what it built:
   headings shift down two levels (a post's `# Title` becomes `<h3>`, never out-ranking the
   page's own `<h1>`/`<h2>`; levels cap at `<h6>`), table alignment becomes `align=` instead
   of a style attribute, links to anything but http(s)/mailto become their plain text, and
   images whose source is not an absolute https URL become their alt text, because an http
   or relative image would load insecurely or from inside the LMS's origin.
2. nh3 (ammonia) cleans the result against an explicit allow-list of tags, attributes and
   URL schemes, so a mistake in layer 1 still cannot emit script. Links it keeps open in a new
   tab with `rel="noopener noreferrer nofollow"`, outside the LMS iframe.

The source is capped at `MAX_SOURCE_CHARS` and block nesting at `MAX_NESTING`, so a
pathological post (`>>>>…` thousands deep, 20k backticks) renders quickly instead of
building a deep tree.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

MAX_SOURCE_CHARS = 20_000
MAX_NESTING = 20
HEADING_SHIFT = 2

_ELLIPSIS = "…"
_LINK_URL = re.compile(r"(?i)(?:https?://[^/\\\s]|mailto:[^\s])")
_IMAGE_URL = re.compile(r"(?i)https://[^/\\\s]")
_TEXT_ALIGN = re.compile(r"text-align:(left|right|center)")
_WHITESPACE = re.compile(r"\s+")
_ALT_TEXT = RendererHTML()

_ALIGNS = frozenset({"left", "right", "center"})
_ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li"}
    | {"a", "img", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
    | {"table", "thead", "tbody", "tr", "th", "td"}
)
_ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title"}),
}
_BLOCK_TAGS = frozenset(
    {"p", "br", "pre", "blockquote", "li", "hr", "tr", "th", "td"}
    | {"h1", "h2", "h3", "h4", "h5", "h6"}
)


def _drop_insecure_image_source(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on URLs: an image loads only from an absolute https URL."""
    if tag == "img" and attribute == "src" and not _IMAGE_URL.match(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(_ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
    tag_attribute_values={"th": {"align": set(_ALIGNS)}, "td": {"align": set(_ALIGNS)}},
    set_tag_attribute_values={"a": {"target": "_blank"}},
    attribute_filter=_drop_insecure_image_source,
    # i18n: not translated (an HTML attribute)
    link_rel="noopener noreferrer nofollow",
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    strip_comments=True,
)


def _shape_tokens(state: StateCore) -> None:
    """Layer 1's rewrites (see the module docstring), applied to the parsed token stream."""
    for token in state.tokens:
        if token.type in {"heading_open", "heading_close"}:
            level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"
        elif token.type in {"th_open", "td_open"}:
            _align_cell(token)
        elif token.type == "inline" and token.children:
            token.children = _safe_inline(token.children, state)


def _align_cell(token: Token) -> None:
    style = token.attrs.pop("style", None)
    match = _TEXT_ALIGN.fullmatch(str(style)) if style is not None else None
    if match:
        token.attrs["align"] = match.group(1)


def _safe_inline(children: list[Token], state: StateCore) -> list[Token]:
    """Links and images with URLs we won't serve become plain text, keeping what they said."""
    shaped: list[Token] = []
    dropping_link = False  # CommonMark links cannot nest, so the next link_close is the pair
    for child in children:
        if child.type == "link_open" and not _LINK_URL.match(str(child.attrGet("href") or "")):
            dropping_link = True
        elif child.type == "link_close" and dropping_link:
            dropping_link = False
        elif child.type == "image" and not _IMAGE_URL.match(str(child.attrGet("src") or "")):
            alt = _ALT_TEXT.renderInlineAsText(child.children, state.md.options, state.env)
            shaped.append(Token("text", "", 0, content=alt, level=child.level))
        else:
            shaped.append(child)
    return shaped


def _build_markdown() -> MarkdownIt:
    markdown = MarkdownIt(
        "commonmark",
        # linkify stays off: it needs linkify-it-py, and autolinks `<https://…>` already work.
        {"html": False, "linkify": False, "typographer": False, "maxNesting": MAX_NESTING},
    ).enable(["table", "strikethrough"])
    markdown.core.ruler.push("rapport_shape", _shape_tokens)
    return markdown


_MARKDOWN = _build_markdown()


def render_markdown(source: str) -> str:
    """A post's Markdown as sanitised HTML; source past `MAX_SOURCE_CHARS` is not rendered.

    Forms reject longer text; the cap here is the safety net for whatever reaches rendering.
    """
    html = _MARKDOWN.render(source[:MAX_SOURCE_CHARS])
    return _CLEANER.clean(html)


def safe_html(source: str) -> Markup:
    """`render_markdown` marked safe, for templates to insert without escaping again."""
    return Markup(render_markdown(source))  # noqa: S704 - sanitised by render_markdown


class _TextCollector(HTMLParser):
    """Text of sanitised HTML; block boundaries become spaces, images their alt text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")
        elif tag == "img":
            self.parts.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(source: str, limit: int) -> str:
    """A plain-text excerpt of at most `limit` characters, for previews and notifications.

    Cut at a word boundary and ended with "…" when shortened. The result is text, not HTML:
    callers escape it like any other string.
    """
    if limit < 1:
        raise ValueError(f"an excerpt needs a positive limit, not {limit}")
    collector = _TextCollector()
    collector.feed(render_markdown(source))
    collector.close()
    text = _WHITESPACE.sub(" ", "".join(collector.parts)).strip()
    if len(text) <= limit:
        return text
    kept = text[: limit - len(_ELLIPSIS)]
    if not text[len(kept)].isspace() and " " in kept:
        kept = kept.rsplit(" ", 1)[0]  # the last word was cut through: leave it out
    return kept.rstrip(" ,;:") + _ELLIPSIS
