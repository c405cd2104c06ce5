"""LTI platform storage: the login state kept by the platform, for browsers that drop cookies.

1EdTech "LTI Client Side postMessages" and "Platform Storage" (lti.put_data / lti.get_data).
When the login request names an `lti_storage_target` (Canvas sends `post_message_forwarding`,
others `_parent`), the login page stores a one-time secret with the platform before going on to
the authorisation endpoint; when the launch comes back without Rapport's state cookie, the
launch page asks the platform for that secret and posts it back as proof that this browser
began the login. Messages go only to, and are accepted only from, the origin of the platform's
OIDC authorisation endpoint.

Rapport's own session still lives in a cookie, so a browser that refused the state cookie will
refuse that one too: such a launch is recorded and then continues in a new window.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from lti_tool.i18n import lazy_gettext
from lti_tool.lti.errors import LaunchError

PROOF_FIELD = "lti_storage_proof"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def storage_key(state: str) -> str:
    return "rapport-" + state


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def proof_matches(proof: str | None, login_params: dict[str, Any]) -> bool:
    secret = login_params.get("storage_secret")
    return bool(proof and secret) and hmac.compare_digest(str(proof), str(secret))


class StorageCheckNeeded(LaunchError):  # noqa: N818 - a step of the launch, not a failure
    """The state cookie did not come back, but the platform keeps the login's secret: the
    launch page fetches it from the platform and posts the launch again with the proof."""

    def __init__(self, login_params: dict[str, Any], id_token: str, state: str) -> None:
        super().__init__(
            code="platform_storage_check",
            message=lazy_gettext("Checking your sign-in with the LMS…"),
            status=200,
            context={
                "storage": {
                    "mode": "get",
                    "target": login_params.get("lti_storage_target"),
                    "origin": login_params.get("storage_origin"),
                    "key": storage_key(state),
                },
                "id_token": id_token,
                "state": state,
                "login_params": login_params,
            },
        )


def login_page_config(
    target: str, origin: str, state: str, secret: str, next_url: str
) -> dict[str, str]:
    return {
        "mode": "put",
        "target": target,
        "origin": origin,
        "key": storage_key(state),
        "value": secret,
        "next": next_url,
    }
