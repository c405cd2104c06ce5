"""The deep-linking return URL of the demo LMS (Deep Linking 2.0 §4.5).

The tool posts an `LtiDeepLinkingResponse` JWT in the form field `JWT`. The demo checks it as a
platform must: signed by a key in the tool's JWKS, `iss` the client_id, `aud` the platform,
fresh, its nonce used once, the right message type, version and deployment, and `data` echoing
an open deep-linking request. Then it places the returned items in the course.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import render_template, request

from lti_tool.demo.blueprint import bp
from lti_tool.demo.content_items import place_items
from lti_tool.demo.messages import DL, LTI
from lti_tool.demo.platform import DemoPlatform, demo
from lti_tool.demo.tool_jwt import ToolJwtRefused, verify_tool_jwt
from lti_tool.extensions import csrf

log = logging.getLogger(__name__)
NONCE_MEMORY_SECONDS = 3600


def _checked_claims(platform: DemoPlatform, token: str) -> tuple[dict[str, Any], str]:
    """The response's claims and the person who opened the request it answers."""
    claims = verify_tool_jwt(
        token,
        platform.tool_jwks,
        issuer=platform.client_id,
        audience=platform.issuer,
        require=["nonce"],
    )
    expected = {
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": platform.deployment_id,
    }
    for claim, value in expected.items():
        if claims.get(claim) != value:
            name = claim.rsplit("/", 1)[-1]
            raise ToolJwtRefused(f"{name} must be {value!r}, not {claims.get(claim)!r}")
    nonce = str(claims["nonce"])
    if not platform.store.use_once("dl-nonce:" + nonce, float(claims["exp"]) + 60):
        raise ToolJwtRefused("its nonce was already used: a replayed response")
    data = claims.get(DL + "data")
    person_id = platform.store.close_deep_link_request(data) if isinstance(data, str) else None
    if person_id is None:
        raise ToolJwtRefused(
            "its data does not echo an open deep-linking request of the demo "
            "LMS (missing, expired or already answered)"
        )
    return claims, person_id


@bp.post("/deep-link/return")
@csrf.exempt
def deep_link_return() -> tuple[str, int]:
    platform = demo()
    token = request.form.get("JWT", "")
    if not token:
        return render_template(
            "demo/deep_link_error.html", message="The tool posted no JWT form field."
        ), 400
    try:
        claims, person_id = _checked_claims(platform, token)
    except ToolJwtRefused as exc:
        log.info("demo deep-linking response refused: %s", exc)
        return render_template(
            "demo/deep_link_error.html", message=f"The deep-linking response was refused: {exc}."
        ), 400
    outcomes = place_items(platform, claims.get(DL + "content_items"), person_id)
    messages = {k: claims.get(DL + k) for k in ("msg", "errormsg", "log", "errorlog")}
    return render_template(
        "demo/deep_link_return.html",
        outcomes=outcomes,
        messages={k: v for k, v in messages.items() if isinstance(v, str)},
        course=platform.course,
    ), 200
