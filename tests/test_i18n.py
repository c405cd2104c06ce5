"""The request's catalog, looked up once (lti_tool/i18n.py): what Python and templates read
follows the request's language, a `speaking()` block inside it, and back again."""

from __future__ import annotations

from flask import Flask, render_template_string, session
from markupsafe import Markup

from lti_tool.i18n import _, ngettext, speaking
from lti_tool.views.language import LOCALE_KEY

PAGE = (
    "{{ _('Never') }}|{{ ngettext('%(num)d student', '%(num)d students', n) }}"
    "|{{ _('Page %(num)d', num=n) }}"
    "|{{ ngettext('%(num)s student', '%(num)s students', n, num='two') }}"
)


def _said(n: int) -> str:
    return f"{_('Never')}|{ngettext('%(num)d student', '%(num)d students', n)}"


def test_a_request_reads_its_language_and_a_speaking_block_its_own(app: Flask) -> None:
    with app.test_request_context("/"):
        session[LOCALE_KEY] = "es"
        assert _said(5) == "Nunca|5 estudiantes"
        with speaking("pl"):
            assert _said(5) == "Nigdy|5 osób studiujących"
            assert (
                render_template_string(PAGE, n=2) == "Nigdy|2 osoby studiujące|Strona 2|two osoby"
            )
        assert _said(1) == "Nunca|1 estudiante"
        assert render_template_string(PAGE, n=1) == "Nunca|1 estudiante|Página 1|two estudiante"


def test_a_template_escapes_values_not_the_message_unless_it_does_not_escape(
    app: Flask,
) -> None:
    with app.test_request_context("/"):
        page = render_template_string(
            "{{ _('Write<span class=\"visually-hidden\"> to %(name)s</span>', name=who) }}",
            who="<b>Ana</b>",
        )
        assert page == 'Write<span class="visually-hidden"> to &lt;b&gt;Ana&lt;/b&gt;</span>'
        counted = render_template_string(
            "{{ _('%(name)s: %(num)d new, %(share).0f%%, %(mark)s', name=who, num=3, share=12.5,"
            " mark=mark) }}",
            who="O'Brien & co",
            mark=Markup("<em>kept</em>"),
        )
        assert counted == "O&#39;Brien &amp; co: 3 new, 12%, <em>kept</em>"
        text = (
            "{% autoescape false %}{{ _('Write to %(name)s: %(n)d%%', name=who, n=5) }}"
            "{% endautoescape %}"
        )
        assert render_template_string(text, who="O'Brien") == "Write to O'Brien: 5%"
