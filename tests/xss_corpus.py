"""Cross-site scripting payloads in Markdown, and a checker that the HTML made of them is inert.

Every payload that would execute calls `alert(`, so `assert_inert` can judge a whole page as
Flask serves it: the page's own `<script src="/static/…">` holds no `alert(`, while any
payload that survived as markup does. The checker parses with the stdlib HTMLParser, so a
payload shown as escaped text (`&lt;script&gt;alert(1)…`) passes and only a real element or
attribute fails.
"""

from __future__ import annotations

from html.parser import HTMLParser

_SCRIPT_BASE64 = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>

XSS_CORPUS: list[tuple[str, str]] = [
    # Script elements
    ("script", "<script>alert(1)</script>"),
    ("script uppercase", "<SCRIPT>alert(1)</SCRIPT>"),
    ("script split across lines", "<scr\nipt>alert(1)</script>\n\n<script\n>alert(1)</script\n>"),
    ("script nested to survive one strip", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("script inside a paragraph", "Hello <script>alert(1)</script> **world**"),
    ("script with data src", "<script src=data:text/javascript,alert(1)></script>"),
    # Event handlers
    ("img onerror", "<img src=x onerror=alert(1)>"),
    ("body onload", "<body onload=alert(1)>"),
    ("a onmouseover", '<a onmouseover="alert(1)">hover me</a>'),
    ("details ontoggle", "<details open ontoggle=alert(1)>"),
    ("input autofocus onfocus", "<input autofocus onfocus=alert(1)>"),
    ("handler in link text", "[<img src=x onerror=alert(1)>](https://example.com)"),
    ("handler after a link", "[ok](https://example.com)<img src=x onerror=alert(1)>"),
    # javascript: in Markdown links
    ("javascript link", "[x](javascript:alert(1))"),
    ("javascript link decimal entity", "[x](&#106;avascript:alert(1))"),
    ("javascript link hex entities", "[x](&#x6A;avascript&#x3A;alert(1))"),
    ("javascript link named colon", "[x](javascript&colon;alert(1))"),
    ("javascript link with tab", "[x](java\tscript:alert(1))"),
    ("javascript link with tab entity", "[x](java&#9;script:alert(1))"),
    ("javascript link with newline", "[x](<java\nscript:alert(1)>)"),
    ("javascript link with null", "[x](java\0script:alert(1))"),
    ("javascript link mixed case", "[x](JaVaScRiPt:alert(1))"),
    ("javascript link leading space", "[x](<  javascript:alert(1)>)"),
    ("javascript link in brackets", "[x](<javascript:alert(1)>)"),
    ("javascript link comment trick", "[x](javascript://%0Aalert(1))"),
    ("javascript autolink", "<javascript:alert(1)>"),
    ("javascript reference link", "[x][1]\n\n[1]: javascript:alert(1)"),
    ("javascript reference with entity", "[x][r]\n\n[r]: &#x6a;avascript:alert(1) 'title'"),
    ("javascript image", "![x](javascript:alert(1))"),
    ("javascript raw anchor", '<a href="javascript:alert(1)">x</a>'),
    ("javascript raw anchor entity", '<a href="&#x6A;avascript:alert(1)">x</a>'),
    ("javascript raw img src", '<img src="javascript:alert(1)">'),
    # Other dangerous URL schemes
    ("data html link", f"[x](data:text/html;base64,{_SCRIPT_BASE64})"),
    ("data html image", f"![x](data:text/html;base64,{_SCRIPT_BASE64})"),
    ("data svg image", f"![x](data:image/svg+xml;base64,{_SCRIPT_BASE64})"),
    ("data html autolink", "<data:text/html,<script>alert(1)</script>>"),
    ("vbscript link", "[x](vbscript:alert(1))"),
    ("vbscript uppercase link", "[x](VBScript:alert(1))"),
    # Foreign content and embedding
    ("svg onload", "<svg onload=alert(1)>"),
    ("svg script", "<svg><script>alert(1)</script></svg>"),
    ("svg animate href", '<svg><a><animate attributeName=href values="javascript:alert(1)"/>'),
    ("mathml href", '<math href="javascript:alert(1)">click</math>'),
    (
        "mathml mutation",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>",
    ),
    ("iframe javascript", '<iframe src="javascript:alert(1)"></iframe>'),
    ("iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object data", '<object data="javascript:alert(1)"></object>'),
    ("embed src", '<embed src="javascript:alert(1)">'),
    # Styles
    ("style element", '<style>body{background:url("javascript:alert(1)")}</style>'),
    ("style attribute url", '<p style="background:url(javascript:alert(1))">x</p>'),
    ("css expression", '<div style="width: expression(alert(1))">x</div>'),
    # Page-level takeovers
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("base href", '<base href="javascript:alert(1)//">'),
    ("form action", '<form action="javascript:alert(1)"><button>go</button></form>'),
    ("button formaction", '<button formaction="javascript:alert(1)">go</button>'),
    # Parser confusion
    ("link title quote break", '[x](https://example.com "a\\" onclick=\\"alert(1))'),
    ("link title quote break closed", '[x](https://example.com "a\\" onclick=\\"alert(1)")'),
    ("image title quote break", '![x](https://example.com/a.png "\\" onerror=\\"alert(1)")'),
    ("image alt quote break", '![x" onerror="alert(1)](https://example.com/a.png)'),
    ("comment break-out", '<!--<img src="--><img src=x onerror=alert(1)//">'),
    ("noscript break-out", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    ("textarea break-out", "<textarea></textarea><img src=x onerror=alert(1)>"),
    ("script in code span", "`<script>alert(1)</script>`"),
    ("script in fenced code", "```html\n<script>alert(1)</script>\n```"),
    # Not script, but must not load: an image over plain http
    ("http image", "![x](http://example.com/a.png)"),
]

_FORBIDDEN_ELEMENTS = frozenset(
    {"svg", "math", "iframe", "frame", "frameset", "object", "embed", "style", "base"}
)
# Browsers read these elements' content as text up to their end tag (noscript: when scripting
# is on), so markup inside them is inert and a closing tag hidden in an attribute is not.
_RAW_TEXT_ELEMENTS = frozenset({"noscript", "noembed", "noframes", "xmp", "textarea", "title"})
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "data", "xlink:href", "background", "poster", "values"}
)
_EXECUTABLE_SCHEMES = ("javascript:", "vbscript:", "data:text/html")


def _scheme_text(url: str) -> str:
    """The URL as a browser reads its scheme: control characters and spaces gone, lower case."""
    return "".join(ch for ch in url if ord(ch) > 0x20).lower()


class _ExecutableFinder(HTMLParser):
    """Collects each element or attribute in the document that could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_ELEMENTS:
            self.findings.append(f"<{tag}> element")
        if tag == "script":
            self._in_script = True
        elif tag in _RAW_TEXT_ELEMENTS:
            self.set_cdata_mode(tag)
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and "http-equiv" in values:
            self.findings.append("<meta http-equiv> element")
        for name, value in values.items():
            self._check_attribute(tag, name, value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.findings.append(f"<script> running {data.strip()[:60]!r}")

    def _check_attribute(self, tag: str, name: str, value: str) -> None:
        where = f"<{tag} {name}={value[:60]!r}>"
        if name.startswith("on") and "alert" in value:
            self.findings.append(f"event handler {where}")
        elif name in _URL_ATTRIBUTES and _scheme_text(value).startswith(_EXECUTABLE_SCHEMES):
            self.findings.append(f"executable URL {where}")
        elif name == "style" and any(
            marker in _scheme_text(value) for marker in ("expression(", "javascript:")
        ):
            self.findings.append(f"script in style {where}")
        elif tag == "script" and "alert(" in value:
            self.findings.append(f"script source {where}")


def assert_inert(html: str) -> None:
    """Fail if `html` (a fragment or a whole page) holds any form of the corpus's payloads.

    Escaped text is fine; an element or attribute that a browser would run is not.
    Elements that never belong in a Rapport page (`<svg>`, `<iframe>`, `<style>`, `<base>`,
    `<meta http-equiv>`, …) fail wherever they are, so this is not for the demo LMS's page,
    which frames the tool.
    """
    finder = _ExecutableFinder()
    finder.feed(html)
    finder.close()
    assert not finder.findings, (
        f"executable markup survived: {'; '.join(finder.findings)}\nin HTML: {html[:500]!r}"
    )
