"""Rapport's session where the browser keeps no cookie in the LMS frame (issue 17).

Safari, and any browser that blocks third-party cookies without partitioning them, drops
every cookie Rapport sets inside the LMS's iframe. When platform storage proved a launch's
login state all the same (`lti/platform_storage.py`), the launch goes on in the frame with the
session carried by Rapport's own links and forms instead: a signed token (the session as its
cookie would hold it, signed with SECRET_KEY by Flask's own serializer) in the query parameter
`rs`, which every `url_for` of a request that came with one adds again, and which GET forms
carry as a hidden field.

- It is never sent to another site: Rapport loads nothing from elsewhere, and
  `Referrer-Policy: same-origin` keeps its URLs out of other sites' logs.
- It carries the course grants (each with its launch time, honoured for GRANT_LIFETIME) and
  the CSRF secret, so forms are checked as with the cookie; it expires with its grants, and
  sooner for a link left unused (TOKEN_LIFETIME); it names the browser that received it (a
  digest of its User-Agent): pasted into another browser, it opens nothing.
- Cookies stay the path wherever they work: a request with the session cookie ignores a token.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from flask import Flask, Request, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature
from markupsafe import Markup, escape

TOKEN_PARAM = "rs"  # noqa: S105 (a parameter's name, not a secret)
# A link carrying a token works this long after its page was made (every page makes fresh
# ones); the grants inside expire on their own clock as well.
TOKEN_LIFETIME = timedelta(hours=2)
_ENVIRON_KEY = "rapport.frame_session"
_BROWSER_KEY = "_browser"


def _browser(req: Request) -> str:
    return hashlib.sha256(req.headers.get("User-Agent", "").encode()).hexdigest()[:16]


class CookieOrTokenSessionInterface(SecureCookieSessionInterface):
    """The session from its cookie, else from a request's `rs` token."""

    def open_session(self, app: Flask, req: Request) -> SecureCookieSession | None:
        if req.cookies.get(self.get_cookie_name(app)):
            return super().open_session(app, req)
        token = req.args.get(TOKEN_PARAM) or (
            req.form.get(TOKEN_PARAM) if req.method == "POST" else None
        )
        serializer = self.get_signing_serializer(app)
        if not token or serializer is None:
            return super().open_session(app, req)
        try:
            data = serializer.loads(token, max_age=int(TOKEN_LIFETIME.total_seconds()))
        except BadSignature:
            return self.session_class()
        if not isinstance(data, dict) or data.pop(_BROWSER_KEY, None) != _browser(req):
            return self.session_class()
        req.environ[_ENVIRON_KEY] = True
        return self.session_class(data)


def carry_session(req: Request) -> None:
    """From now on this request's links and forms carry the session (the launch, when the
    frame proved it keeps no cookie)."""
    req.environ[_ENVIRON_KEY] = True


def carrying() -> bool:
    return bool(request.environ.get(_ENVIRON_KEY))


def session_token(app: Flask) -> str:
    """The session as it stands, signed, for this browser."""
    from flask import session  # noqa: PLC0415 (the request's, when called)

    generate_csrf()  # the CSRF secret rides in the token, made before the first link
    data = {**dict(session), _BROWSER_KEY: _browser(request)}
    key = repr(sorted(data.items()))
    cached = g.get("_frame_session")
    if cached is not None and cached[0] == key:
        return str(cached[1])
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    token = str(serializer.dumps(data))
    g._frame_session = (key, token)
    return token


def install(app: Flask) -> None:
    app.session_interface = CookieOrTokenSessionInterface()

    @app.url_defaults
    def _carry(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" and carrying() and TOKEN_PARAM not in values:
            values[TOKEN_PARAM] = session_token(app)

    @app.template_global()
    def session_field() -> Markup:
        """A GET form's hidden field carrying the session (its action's query is replaced)."""
        if not carrying():
            return Markup("")
        value = escape(session_token(app))
        # i18n: not translated (a hidden field)
        return Markup(f'<input type="hidden" name="{TOKEN_PARAM}" value="{value}">')  # noqa: S704
