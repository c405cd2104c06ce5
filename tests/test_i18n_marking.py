"""Every word a person reads is marked for translation, and every catalog is complete (issue 17).

- Templates: text between tags, and the attributes people read (aria-label, title, alt,
  placeholder), must come from `_()` / `{% trans %}`; so must a quoted phrase printed by an
  expression (`{{ 'Never' if … }}`) or passed as a label.
- Python: a phrase of three words or more in Rapport's code (not the demo LMS, which stands in
  for an LMS; not the operator's command line, logs or migrations) is inside `_`,
  `lazy_gettext` or `ngettext`, or is a docstring, a log line, an internal exception or SQL.
- Catalogs: every message extracted has a translation in every language, all plural forms,
  the same placeholders, and each compiled `.mo` says what its `.po` says.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from lti_tool.i18n import LANGUAGES, TRANSLATIONS

pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
PACKAGE = ROOT / "lti_tool"
NOT_SHOWN_TEMPLATES = ("demo/",)
# Not read by people in Rapport's pages or mail: the demo LMS, migrations, the operator's
# command line and logs, models' mapping options, HTTP headers and Prometheus' answers.
NOT_SHOWN_PYTHON = (
    "demo/",
    "migrations/",
    "cli/",
    "config.py",
    "observability/",
    "migrate.py",
    "startup.py",
    "models/",
    "views/headers.py",
    "views/metrics.py",
)
# A statement holding a phrase that is not for translation (a header value, a User-Agent, a
# command to type, an operator-only error) says so on one of its lines.
NOT_SHOWN_MARK = "# i18n: not translated"
PRODUCT = "Rapport"  # the product's name, the same in every language
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "aria-description"}
GETTEXT = {"_", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext", "pgettext", "keep"}
PLACEHOLDER = "\x00"
LETTER = re.compile(r"[^\W\d_]")


def _templates() -> list[Path]:
    return sorted(
        p
        for p in TEMPLATES.rglob("*")
        if p.suffix in {".html", ".txt"}
        and not str(p.relative_to(TEMPLATES)).startswith(NOT_SHOWN_TEMPLATES)
    )


def _environment() -> Environment:
    return Environment(extensions=["jinja2.ext.i18n"], autoescape=True)


def _without_jinja(source: str) -> str:
    """The template's HTML with every Jinja tag, expression and comment one placeholder."""
    environment = _environment()
    out: list[str] = []
    depth = 0
    translated = False  # inside {% trans %} … {% endtrans %}: marked, whatever it holds
    block: list[str] = []
    for _line, token, value in environment.lex(source):
        if token in {"variable_begin", "block_begin", "comment_begin"}:
            depth += 1
            block = []
            if depth == 1:
                out.append(PLACEHOLDER)
        elif token in {"variable_end", "block_end", "comment_end"}:
            depth -= 1
            if block[:1] == ["trans"]:
                translated = True
            elif block[:1] == ["endtrans"]:
                translated = False
        elif depth:
            if token == "name":
                block.append(value)
        elif not translated:
            out.append(value)
    return "".join(out)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and LETTER.search(value.replace(PLACEHOLDER, "")):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        words = data.replace(PLACEHOLDER, "").strip()
        if not self._hidden and LETTER.search(words.replace(PRODUCT, "")):
            self.found.append(words)


def _unmarked_constants(tree: nodes.Node) -> list[str]:
    found: list[str] = []

    def visit(node: nodes.Node, printed: bool) -> None:
        called = node.node if isinstance(node, nodes.Call) else None
        if isinstance(called, nodes.Name) and called.name in GETTEXT:
            return
        if isinstance(node, nodes.Include | nodes.Extends | nodes.Import | nodes.FromImport):
            return
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            text = node.value
            phrase = len(re.findall(r"[^\W\d_]{2,}", text)) >= 2 and " " in text.strip()
            if LETTER.search(text) and (printed or phrase):
                found.append(repr(text))
            return
        for child in node.iter_child_nodes():
            keeps = isinstance(node, nodes.Output | nodes.CondExpr | nodes.Concat) and printed
            visit(child, keeps or isinstance(node, nodes.Output))

    visit(tree, False)
    return found


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_word_of_a_template_is_marked(template: Path) -> None:
    source = template.read_text()
    reader = _Reader()
    reader.feed(_without_jinja(source))
    unmarked = reader.found + _unmarked_constants(_environment().parse(source))
    assert not unmarked, f"{template.name}: not marked for translation: {unmarked}"


def _python_files() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if not str(p.relative_to(PACKAGE)).startswith(NOT_SHOWN_PYTHON)
    )


INTERNAL_ERRORS = {
    "ValueError",
    "TypeError",
    "RuntimeError",
    "KeyError",
    "LookupError",
    "NotImplementedError",
    "AssertionError",
    "OSError",
    "PermissionError",
    # Errors only the operator's command line and start-up log show (`rapport keys …`,
    # `rapport platform …`, LTI_CONFIG).
    "KeyringError",
    "PlatformConfigError",
    "UnknownPerson",  # `rapport privacy …`
    "UntrackedWriteError",  # a programming error, caught by the tests
}
LOGGING = {"debug", "info", "warning", "error", "exception", "critical", "warn", "log"}
SQL = re.compile(r"^\s*(SELECT|UPDATE|INSERT|DELETE|WITH|CREATE|ALTER|DROP|PRAGMA)\b", re.I)


IDENTIFIERS = re.compile(r"\s*[a-z_]+(\s+[a-z_]+)*\s*")  # column names, not words


def _phrase(text: str) -> bool:
    if "_" in text and IDENTIFIERS.fullmatch(text):
        return False
    return len(re.findall(r"[A-Za-z]{2,}", text)) >= 3 and " " in text.strip()


def _unmarked_python(path: Path) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is not None:
            skip.update(id(inner) for inner in ast.walk(node.msg))
        simple = isinstance(node, ast.stmt) and not hasattr(node, "body")  # not a def, if, …
        if (
            simple
            and any(  # on one of its lines, or a comment just above
                NOT_SHOWN_MARK in line for line in lines[node.lineno - 2 : node.end_lineno]
            )
        ):
            skip.update(id(inner) for inner in ast.walk(node))
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skip.add(id(body[0].value))
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            internal = name in INTERNAL_ERRORS or name in GETTEXT or name == "text"
            logging = isinstance(func, ast.Attribute) and name in LOGGING
            if internal or logging:
                for inner in ast.walk(node):
                    skip.add(id(inner))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and _phrase(node.value)
            and not SQL.match(node.value)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:70]!r}")
    return found


def test_every_phrase_in_python_is_marked() -> None:
    unmarked = [line for path in _python_files() for line in _unmarked_python(path)]
    assert not unmarked, "not marked for translation:\n" + "\n".join(unmarked)


KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "keep": None,
}
METHODS = [
    ("lti_tool/demo/**", "ignore"),
    ("lti_tool/migrations/**", "ignore"),
    ("templates/demo/**", "ignore"),
    ("lti_tool/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]


def _extracted() -> set[str | tuple[str, ...]]:
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, keywords=KEYWORDS, options_map={"templates/**": {"trimmed": "true"}}
    ):
        found.add(message)
    return found


def test_babel_mapping_matches_the_test() -> None:
    """`make translations` extracts with the same mapping this test checks."""
    config = (TRANSLATIONS / "babel.cfg").read_text()
    for pattern, method in METHODS:
        assert f"[{method}: {pattern}]" in config


def _strings(string: object) -> tuple[str, ...]:
    return tuple(string) if isinstance(string, list | tuple) else (str(string),)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_each_catalog_is_complete_and_compiled(language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    with (folder / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    problems = []
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        for error in message.check(catalog):
            problems.append(f"{message.id!r}: {error}")
        translated[message.id] = strings
    have = {m if isinstance(m, str) else m[0] for m in translated}
    for message in _extracted():
        key = message if isinstance(message, str) else message[0]
        if key not in have:
            problems.append(f"missing: {key!r}")
    for message in catalog:
        if not message.id:
            continue
        found = compiled.get(message.id, message.context)
        if found is None:
            problems.append(f"not compiled: {message.id!r}")
        elif _strings(found.string) != _strings(message.string):
            problems.append(f"compiled differs: {message.id!r}")
    assert not problems, "\n".join(problems[:60])
