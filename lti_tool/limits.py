"""How often one client may knock: rate limits on sign-in, registration and posting.

Bursts are limited per second rather than per hour, so that a lecture hall of students behind
one address (a campus NAT) all launching at the start of a class get in, while a script
hammering the login (each login leaves a nonce behind) is turned away with a 429 page. The
numbers are stated in the README; change them here only.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# OIDC login initiation and the launch, per client address.
SIGN_IN = "50 per second;1000 per minute"
# Dynamic registration is an administrator's occasional act.
REGISTRATION = "10 per minute"

TOO_MANY = (
    "Too many requests came from your network in a moment. Wait a few seconds and try again."
)

# Which endpoints are limited, and how. A Limiter is made per app (Flask-Limiter keeps its
# storage and key prefix on the Limiter object, so one shared by several apps would mix them).
LIMITED_ENDPOINTS = {
    "lti.login": SIGN_IN,
    "lti.launch": SIGN_IN,
    "install.register": REGISTRATION,
}


def install(app: Flask) -> Limiter:
    """Limit the app's endpoints per client address (the address the proxies in front report,
    see PROXY_HOPS); counted in the storage `RATELIMIT_STORAGE_URI` names."""
    limiter = Limiter(key_func=get_remote_address, app=app)
    for endpoint, limit in LIMITED_ENDPOINTS.items():
        limited = limiter.limit(limit, error_message=TOO_MANY)(app.view_functions[endpoint])
        app.view_functions[endpoint] = cast(Any, limited)  # the same view, counted first
    return limiter
