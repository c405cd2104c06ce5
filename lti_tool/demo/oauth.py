"""The demo LMS's OAuth 2.0 token endpoint and the bearer-token check of its services.

LTI Security Framework §4.1: the tool authenticates with a JWT client assertion (RFC 7523 §2.2)
signed by a key in its JWKS, asking for the LTI Advantage scopes it needs (client_credentials,
RFC 6749 §4.4). Services then check `Authorization: Bearer …` and the scope (RFC 6750 §3.1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, request

from lti_tool.demo.blueprint import bp
from lti_tool.demo.messages import AGS_SCOPES, SCOPE_NRPS
from lti_tool.demo.platform import DemoPlatform, demo
from lti_tool.demo.responses import fault_response, json_error, json_response, no_store
from lti_tool.demo.tool_jwt import ToolJwtRefused, verify_tool_jwt
from lti_tool.extensions import csrf

log = logging.getLogger(__name__)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SUPPORTED_SCOPES = frozenset({*AGS_SCOPES, SCOPE_NRPS})
TOKEN_LIFETIME = 3600


class TokenRefused(Exception):  # noqa: N818 - reads as the event it reports
    def __init__(self, error: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error, self.message, self.status = error, message, status


def _check_client(platform: DemoPlatform, form: dict[str, str]) -> None:
    assertion_type, assertion = form.get("client_assertion_type"), form.get("client_assertion")
    if not assertion_type or not assertion:
        raise TokenRefused(
            "invalid_request",
            "client_assertion_type and client_assertion are "
            "required (LTI Security Framework §4.1.1)",
        )
    if assertion_type != JWT_BEARER:
        raise TokenRefused("invalid_client", f"client_assertion_type must be {JWT_BEARER}", 401)
    try:
        claims = verify_tool_jwt(
            assertion,
            platform.tool_jwks,
            issuer=platform.client_id,
            audience=platform.token_url,
            require=["sub", "jti"],
        )
    except ToolJwtRefused as exc:
        raise TokenRefused("invalid_client", f"client assertion refused: {exc}", 401) from exc
    if claims["sub"] != platform.client_id:
        raise TokenRefused(
            "invalid_client", "the client assertion's sub must be the client_id", 401
        )
    if not platform.store.use_once("jti:" + str(claims["jti"]), float(claims["exp"]) + 60):
        raise TokenRefused("invalid_client", "this client assertion was already used (jti)", 401)


def _granted_scopes(requested: str | None) -> frozenset[str]:
    asked = frozenset((requested or "").split())
    if not asked:
        raise TokenRefused("invalid_scope", "name the scopes you need in `scope`")
    granted = asked & SUPPORTED_SCOPES
    if not granted:
        raise TokenRefused(
            "invalid_scope",
            "the demo LMS offers none of the scopes asked for; "
            "it offers " + " ".join(sorted(SUPPORTED_SCOPES)),
        )
    return granted


@bp.post("/token")
@csrf.exempt
def token() -> Response:
    platform = demo()
    platform.store.count("token_requests")
    fault = platform.store.faults.take("token")
    if fault is not None and (forced := fault_response(fault)) is not None:
        return forced
    form = request.form.to_dict()
    try:
        if not form.get("grant_type"):
            raise TokenRefused("invalid_request", "grant_type is required")
        if form["grant_type"] != "client_credentials":
            raise TokenRefused(
                "unsupported_grant_type", "the demo LMS grants only client_credentials"
            )
        _check_client(platform, form)
        scopes = _granted_scopes(form.get("scope"))
    except TokenRefused as exc:
        log.info("demo token request refused: %s (%s)", exc.error, exc.message)
        return no_store(json_error(exc.status, exc.error, exc.message))
    access_token = platform.store.issue_token(platform.client_id, scopes, TOKEN_LIFETIME)
    platform.store.count("tokens_issued")
    return no_store(
        json_response(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": " ".join(sorted(scopes)),
            }
        )
    )


def _bearer_refusal(platform: DemoPlatform, any_of: tuple[str, ...]) -> Response | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    realm = 'Bearer realm="rapport-demo"'
    if scheme.lower() != "bearer" or not value.strip():
        return json_error(
            401,
            "invalid_token",
            "send an access token from the demo LMS's token endpoint as `Authorization: Bearer …`",
            {"WWW-Authenticate": realm},
        )
    granted = platform.store.access_token(value.strip())
    if granted is None:
        return json_error(
            401,
            "invalid_token",
            "the access token is unknown or has expired",
            {"WWW-Authenticate": realm + ', error="invalid_token"'},
        )
    if not granted.scopes & set(any_of):
        needed = " ".join(any_of)
        return json_error(
            403,
            "insufficient_scope",
            f"this request needs the scope {needed}",
            {"WWW-Authenticate": realm + f', error="insufficient_scope", scope="{needed}"'},
        )
    return None


def service(
    endpoint: str, *any_of: str
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A service view: queued faults first, then a bearer token with one of these scopes."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            platform = demo()
            fault = platform.store.faults.take(endpoint)
            if fault is not None and (forced := fault_response(fault)) is not None:
                return forced
            refusal = _bearer_refusal(platform, any_of)
            return refusal if refusal is not None else view(*args, **kwargs)

        return csrf.exempt(wrapped)

    return decorate
