"""Security headers on every response (OWASP Secure Headers; Fetch's `nosniff`).

- `X-Content-Type-Options: nosniff`: a CSV or a JSON document is never run as a script.
- `Referrer-Policy: same-origin`: a link a teacher posts does not tell the linked site which
  course page it was followed from.
- `Cache-Control: no-store` unless a view chose its own caching (the JWKS, the Canvas JSON,
  static files): every page and CSV behind a launch is one person's, and must not stay in a
  shared computer's cache or a proxy.
"""

from __future__ import annotations

from flask import Flask, Response


def _secure(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.after_request(_secure)
