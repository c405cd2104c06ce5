"""How often one client may knock: rate limits on sign-in, registration and posting.

Bursts are limited per second rather than per hour, so that a lecture hall of students behind
one address (a campus NAT) all launching at the start of a class get in, while a script
hammering the login (each login leaves a nonce behind) is turned away with a 429 page. The
numbers are stated in the README; change them here only.
"""

from __future__ import annotations

import time
from typing import Any, cast

from flask import Flask, Response, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from redis.exceptions import RedisError

from lti_tool.db import utcnow
from lti_tool.i18n import lazy_gettext
from lti_tool.services.access import grant_for

# OIDC login initiation and the launch, per client address.
# i18n: not translated (rate limits, for Flask-Limiter)
SIGN_IN = "50 per second;1000 per minute"
# Dynamic registration is an administrator's occasional act.
REGISTRATION = "10 per minute"
# Every form a person sends inside a course (posts, replies, messages, answers, settings), per
# person in that course: far above what anyone types, well below what a script sends.
# i18n: not translated (rate limits, for Flask-Limiter)
POSTING = "10 per second;300 per minute"

# Read when a request is refused, in the language of whoever sent it.
TOO_MANY = lazy_gettext(
    "Too many requests came from your network in a moment. Wait a few seconds and try again."
)
TOO_MANY_POSTS = lazy_gettext("You sent a lot in a moment. Wait a few seconds, then send it again.")

EXTENSION = "rapport.limiter"
# Which endpoints are limited, and how. A Limiter is made per app (Flask-Limiter keeps its
# storage and key prefix on the Limiter object, so one shared by several apps would mix them).
LIMITED_ENDPOINTS = {
    "lti.login": SIGN_IN,
    "lti.launch": SIGN_IN,
    "install.register": REGISTRATION,
}


def _poster() -> str | None:
    """Who is posting: the person the session's grant for this course names. A form sent
    without one is refused before it reaches the database, and is not counted."""
    course_id = (request.view_args or {}).get("course_id")
    grant = grant_for(session.get("grants"), course_id, utcnow()) if course_id else None
    return f"course-{course_id}-person-{grant.person_id}" if grant else None


def _course_forms(app: Flask) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/courses/") and "POST" in (rule.methods or set())
    }


def install(app: Flask) -> Limiter:
    """Limit sign-in and registration per client address (the address the proxies in front
    report, see PROXY_HOPS), and every course form per person; counted in the storage
    `RATELIMIT_STORAGE_URI` names."""
    # While Redis is down each worker counts alone, rather than failing a page that Redis
    # otherwise plays no part in (or, as it sets the headers, the 503 page that says so).
    limiter = Limiter(key_func=get_remote_address, app=app, in_memory_fallback_enabled=True)

    def limit(endpoint: str, decorator: Any) -> None:
        app.view_functions[endpoint] = cast(Any, decorator(app.view_functions[endpoint]))

    for endpoint, rate in LIMITED_ENDPOINTS.items():
        limit(endpoint, limiter.limit(rate, error_message=lambda: str(TOO_MANY)))
    posting = limiter.shared_limit(
        POSTING,
        scope="posting",
        key_func=lambda: _poster() or "",
        exempt_when=lambda: _poster() is None,
        methods=["POST"],
        error_message=lambda: str(TOO_MANY_POSTS),
    )
    for endpoint in _course_forms(app):
        limit(endpoint, posting)

    @app.after_request
    def _retry_after(response: Response) -> Response:
        """A refusal says when to try again: the seconds until the breached window has room.
        (Flask-Limiter's own headers would read the window on every limited request.)"""
        if response.status_code == 429 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(_seconds_until_room(limiter))
        return response

    app.extensions[EXTENSION] = limiter
    return limiter


def _seconds_until_room(limiter: Limiter) -> int:
    breached = limiter.current_limit
    if breached is None:
        return 1
    try:
        return max(1, breached.reset_at - int(time.time()))
    except RedisError:  # the window cannot be read: a second is the shortest of them
        return 1
