"""The language and time zone a page is written for (issue 17; `lti_tool/i18n.py`).

The launch keeps the locale it named in the session (`remember_locale`), so that every page of
the course speaks it; a browser that sent none is answered in what it asks for. The reader's
time zone is the one their browser names: `local-time.js` posts it once to `/zone` when the page
was written in another, and reloads a page whose times were written in that other zone.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    has_request_context,
    jsonify,
    request,
    session,
)
from flask_babel import Babel

from lti_tool.dates import zone_named
from lti_tool.frame_session import carrying, session_token
from lti_tool.i18n import TRANSLATIONS, html_lang, install_in_templates, supported
from lti_tool.views.times import ZONE_KEY

LOCALE_KEY = "locale"

bp = Blueprint("language", __name__)
babel = Babel()


def remember_locale(tag: str | None) -> None:
    """After a launch: pages speak the locale it named; a launch naming none changes nothing."""
    chosen = supported(tag)
    if chosen:
        session[LOCALE_KEY] = chosen


def _default() -> str:
    return supported(current_app.extensions["rapport"].settings.default_locale) or "en"


def _select() -> str:
    if not has_request_context():
        return _default()
    chosen = session.get(LOCALE_KEY)
    if isinstance(chosen, str) and supported(chosen):
        return chosen
    for tag, _quality in request.accept_languages:
        found = supported(tag)
        if found:
            return found
    return _default()


@bp.post("/zone")
def zone() -> Response:
    """The browser's time zone, for the rest of this session's pages (no grant needed: it
    says nothing about anyone, and is kept only in the sender's own session)."""
    named = request.form.get("zone", "")
    if not named or str(zone_named(named, fallback="UTC")) != named:
        return Response(status=400)
    session[ZONE_KEY] = named
    # A page carried by its links (`frame_session`) reloads with a token that holds the zone.
    token = session_token(current_app) if carrying() else None
    return jsonify({"token": token})


def install(app: Flask) -> None:
    babel.init_app(app, locale_selector=_select, default_translation_directories=str(TRANSLATIONS))
    install_in_templates(app)
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks read as one line
    app.add_template_global(html_lang)
    app.register_blueprint(bp)
