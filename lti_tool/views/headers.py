"""Security headers on every response (CSP Level 3; OWASP Secure Headers; Fetch's `nosniff`).

- `Content-Security-Policy`: scripts only from Rapport itself or carrying this response's
  nonce (`csp_nonce()` in templates), no plugins, no `<base>`; Rapport may be framed by, and
  send forms to, only itself and the registered platforms' origins (their endpoints and the LMS
  pages their launches named). The built-in demo LMS may be framed by any page, to try it in.
- `X-Content-Type-Options: nosniff`: a CSV or a JSON document is never run as a script.
- `Referrer-Policy: same-origin`: a link a teacher posts does not tell the linked site which
  course page it was followed from.
- `Cache-Control: no-store` unless a view chose its own caching (the JWKS, the Canvas JSON,
  static files): every page and CSV behind a launch is one person's, and must not stay in a
  shared computer's cache or a proxy.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.extensions import db, forget_platforms_now, platforms_now, rapport
from lti_tool.lti.claims import web_origin


def csp_nonce() -> str:
    """This response's script nonce, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def forget_platform_origins() -> None:
    """After a registration or a launch from a new LMS origin, committed: this response reads
    them anew (the commit replaced the platform stamp, so every other process does too)."""
    forget_platforms_now()


def _platform_origins() -> list[str]:
    """The registered platforms' origins, kept per process under the platform stamp
    (`services/platforms/directory.py`). When the cache or the database cannot answer (the
    page being sent may say exactly that), none: the policy is then only stricter."""
    if g.get("unavailable"):
        return []  # not a second wait for what this request already found down
    try:
        origins = rapport().platforms.origins(db(), platforms_now())
    except (RedisError, SQLAlchemyError):
        db().rollback()
        return []
    return list(origins)


def _policy() -> str:
    platforms = " ".join(_platform_origins())
    settings = rapport().settings
    ancestors = "*" if settings.demo else f"'self' {platforms}".strip()
    # Rapport at PUBLIC_URL, when a page is served under another name (the demo LMS on a host
    # of its own, RAPPORT_DEMO_URL): its frame and its login form go to Rapport there.
    tool = web_origin(settings.public_url) or ""
    return "; ".join(
        [
            "default-src 'self'",
            f"frame-src 'self' {tool}".strip(),
            f"script-src 'self' 'nonce-{csp_nonce()}'",
            "style-src 'self'",
            "style-src-attr 'unsafe-inline'",  # avatar colours and chart sizes, never user text
            "img-src 'self' https: data:",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {tool} {platforms}".strip(),
            f"frame-ancestors {ancestors}",
        ]
    )


def _secure(response: Response) -> Response:
    if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = _policy()
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.after_request(_secure)
    app.add_template_global(csp_nonce)
