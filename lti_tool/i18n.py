"""The interface's language (issue 17): English, Spanish and Polish, by Flask-Babel.

Which language a page speaks (`views/language.py` chooses): the locale the person's launch
named (`launch_presentation.locale`, else the `locale` claim; kept in the session and on their
person row, for mail), else what the browser asks for, else DEFAULT_LOCALE (en-GB). A regional
tag keeps its region for dates and numbers ("es-MX" writes Mexican dates in Spanish); a
language Rapport does not speak falls to the next choice.

Messages are marked where they are written: templates with `_()` and `{% trans %}`, Python with
`_` (at once) or `lazy_gettext` (a constant read later). Outside a request (a job, a service
under test) they read in the default locale unless `speaking()` names one. The catalogs are
`lti_tool/translations/<lang>/LC_MESSAGES/messages.po`, compiled to `.mo` beside them by
`make translations`; a test fails when a template or message is left unmarked, a catalog is
incomplete, or a `.mo` differs from its `.po`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.numbers import format_decimal
from babel.support import NullTranslations
from flask import Flask, g, has_app_context
from flask_babel import LazyString, force_locale, get_locale, get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

__all__ = [
    "LANGUAGES",
    "KeptReason",
    "LazyString",
    "_",
    "html_lang",
    "keep",
    "lazy_gettext",
    "lazy_ngettext",
    "ngettext",
    "number",
    "shown",
    "speaking",
    "supported",
]

TRANSLATIONS = Path(__file__).parent / "translations"
# The languages Rapport speaks; English is the language its messages are written in.
LANGUAGES = ("en", "es", "pl")


def translations() -> NullTranslations:
    """The catalog this request reads (or this `speaking()` block), looked up once and kept
    beside Flask-Babel's own per-request state, whose `force_locale` and `refresh` reset it.
    Flask-Babel's `gettext` looks the locale and the catalog up again for every message, which
    a page of 100 students asks for hundreds of times (about 14 us each from a template)."""
    held = g.get("_flask_babel") if has_app_context() else None
    found = getattr(held, "babel_translations", None)
    if found is None:
        found = get_translations()
        held = g.get("_flask_babel") if has_app_context() else None
        if held is not None:
            held.babel_translations = found
    return found


def _(string: str, **variables: object) -> str:
    """`string` in the reader's language, with `variables` put into its placeholders."""
    said = translations().ugettext(string)
    return said % variables if variables else said


def ngettext(singular: str, plural: str, num: int, **variables: object) -> str:
    """The form of a counted message that `num` takes in the reader's language (Polish has
    three), with `num` and `variables` put into its placeholders."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables: object) -> LazyString:
    """`_`, read when the text is used: for constants made before any request."""
    return LazyString(_, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables: object) -> LazyString:
    return LazyString(ngettext, singular, plural, num, **variables)


def install_in_templates(app: Flask) -> None:
    """Templates' `_()`, `ngettext()`, `pgettext()` and `{% trans %}` read the request's catalog
    once too, and are called by the template directly: Jinja's own new-style wrappers reach
    the message through two context calls, which cost a page of 100 students more than the
    lookup. As those wrappers do, a message is always a format string (so `%%` is a percent
    sign) and, where the template escapes, its values are escaped and it is not."""
    env = app.jinja_env
    env.install_gettext_callables(  # type: ignore[attr-defined] # sets the i18n extension new-style
        gettext=_template_gettext, ngettext=_template_ngettext, newstyle=True
    )
    env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
    )


@pass_eval_context
def _template_gettext(context: EvalContext, string: str, /, **variables: object) -> str:
    return _formatted(context, translations().ugettext(string), variables)


@pass_eval_context
def _template_ngettext(
    context: EvalContext, singular: str, plural: str, num: int, /, **variables: object
) -> str:
    variables.setdefault("num", num)  # a template may pass its own, formatted, `num`
    return _formatted(context, translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _template_pgettext(
    context: EvalContext, where: str, string: str, /, **variables: object
) -> str:
    return _formatted(context, translations().upgettext(where, string), variables)


def _formatted(context: EvalContext, said: str, variables: dict[str, object]) -> str:
    """A message of our own catalog (trusted markup, as Jinja's i18n extension trusts it) with
    its values put in, escaped where the template escapes: each value escaped once, as
    `Markup.__mod__` would (a number as it is, for `%d`), without its two wrappers per value (a
    dashboard page formats some 300 messages)."""
    if not context.autoescape:
        return said % variables
    return Markup(said % {name: _escaped(value) for name, value in variables.items()})  # noqa: S704


def _escaped(value: object) -> object:
    return value if isinstance(value, int | float) else escape(value)


def supported(tag: object) -> str | None:
    """`tag` (BCP 47 "es-MX", POSIX "es_MX", any case) as a locale Rapport speaks, keeping its
    region when Babel knows it; None for a language Rapport does not speak or no tag at all."""
    if not isinstance(tag, str) or not tag.strip() or len(tag) > 35:
        return None
    wanted = tag.strip().replace("-", "_")
    language = negotiate_locale([wanted], LANGUAGES)
    if language is None:
        return None
    try:
        parsed = Locale.parse(wanted)
    except (UnknownLocaleError, ValueError, TypeError):
        return language
    return str(parsed) if parsed.language == language else language


def html_lang() -> str:
    """The page's `lang`: the locale it speaks, as BCP 47 ("es-MX")."""
    return str(get_locale() or "en").replace("_", "-")


def number(value: float) -> str:
    """A number as the reader's language writes it: "10,000" and "7.5" in English, "10 000" and
    "7,5" in Polish; outside a request, in English."""
    return format_decimal(value, locale=get_locale() or "en")


@contextmanager
def speaking(tag: str | None, default: str = "en") -> Iterator[None]:
    """Messages and dates made inside read in `tag` (a person's stored locale), else in
    `default` (the install's DEFAULT_LOCALE)."""
    with force_locale(supported(tag) or supported(default) or "en"):
        yield


_KEPT = '{"said": '


def keep(message: str, **values: object) -> str:
    """A message to store now and show later in each reader's own language (a grade the LMS
    refused, a roster that failed): its English msgid and values, as JSON for a text column.
    A value may itself be a kept message. Extracted for translation like `_`."""
    kept = {k: v if isinstance(v, str) else str(v) for k, v in values.items()}
    return json.dumps({"said": message, "values": kept}, ensure_ascii=False)


def shown(stored: str | None) -> str:
    """What `keep` stored, in the reader's language; any other stored text as it is."""
    if not stored or not stored.startswith(_KEPT):
        return stored or ""
    try:
        data = json.loads(stored)
        values = {str(k): shown(str(v)) for k, v in dict(data["values"]).items()}
        return _(str(data["said"]), **values)
    except (ValueError, KeyError, TypeError):
        return stored


class KeptReason(Exception):  # noqa: N818 - a base: its subclasses name what failed
    """A failure whose reason is a kept message (`keep`): `kept` is what a grade or a roster
    stores for staff to read later in their own language; `str()` is that reason in English,
    for logs."""

    def __init__(self, kept: str) -> None:
        with speaking("en"):
            super().__init__(shown(kept))
        self.kept = kept
