"""Rapport's client registration, posted to the platform, and the platform's answer.

LTI Dynamic Registration 1.0, "Tool Registration Request": OpenID Connect Dynamic Client
Registration metadata plus the LTI tool configuration, posted as JSON with the registration
token as a bearer token. "Tool Registration Response": the `client_id` and, inside the tool
configuration, the `deployment_id` (which Canvas does not send).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import requests

from lti_tool.i18n import lazy_gettext
from lti_tool.lti.registration import canvas
from lti_tool.lti.registration.configuration import (
    REGISTRATION_ENDPOINT,
    REGISTRATION_RESPONSE,
    TIMEOUT_SECONDS,
    PlatformConfiguration,
    RegistrationError,
    excerpt,
    read_json,
    request_headers,
    unreachable,
)
from lti_tool.lti.registration.tool import (
    CLAIMS,
    CONTENT_PLACEMENTS,
    DEEP_LINKING,
    RESOURCE_LINK,
    SCOPES,
    TOOL_CONFIGURATION,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    ToolUrls,
    offered_placements,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientRegistration:
    """The platform's answer: the client it created for Rapport."""

    client_id: str
    deployment_id: str | None
    scopes: tuple[str, ...]


def registration_request(tool: ToolUrls, platform: PlatformConfiguration) -> dict[str, Any]:
    tool_configuration: dict[str, Any] = {
        "domain": tool.domain,
        "target_link_uri": tool.launch,
        "description": TOOL_DESCRIPTION,
        "claims": list(CLAIMS),
        "messages": _messages(tool, platform),
    }
    if platform.product_family == canvas.CANVAS:
        tool_configuration.update(canvas.TOOL_CONFIGURATION)
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool.login,
        "redirect_uris": [tool.launch],
        "client_name": TOOL_NAME,
        "jwks_uri": tool.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(requested_scopes(platform)),
        TOOL_CONFIGURATION: tool_configuration,
    }


def requested_scopes(platform: PlatformConfiguration) -> tuple[str, ...]:
    """The AGS and NRPS scopes the platform offers; all of them when it publishes no list."""
    if platform.scopes_supported is None:
        return SCOPES
    return tuple(s for s in SCOPES if s in platform.scopes_supported)


def _messages(tool: ToolUrls, platform: PlatformConfiguration) -> list[dict[str, Any]]:
    offered = platform.messages_supported
    if platform.product_family == canvas.CANVAS:
        return canvas.messages(tool, offered)
    messages: list[dict[str, Any]] = [{"type": RESOURCE_LINK, "label": TOOL_NAME}]
    if offered is None or DEEP_LINKING in offered:
        selection = {"type": DEEP_LINKING, "target_link_uri": tool.launch, "label": TOOL_NAME}
        placements = offered_placements(offered, DEEP_LINKING, CONTENT_PLACEMENTS)
        messages.append({**selection, "placements": placements} if placements else selection)
    return messages


def register_tool(
    http: requests.Session,
    platform: PlatformConfiguration,
    registration_token: str | None,
    body: dict[str, Any],
) -> ClientRegistration:
    url = platform.registration_endpoint
    try:
        response = http.post(
            url,
            data=json.dumps(body),
            headers={**request_headers(registration_token), "Content-Type": "application/json"},
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise unreachable(REGISTRATION_ENDPOINT, url, exc) from exc
    with response:
        if not 200 <= response.status_code < 300:
            said = platform_message(response.content[:4096])
            log.warning("LMS refused the registration (HTTP %s): %s", response.status_code, said)
            raise RegistrationError(
                "registration_refused",
                lazy_gettext(
                    "The LMS refused to register Rapport (HTTP %(status)s); what it said is in "
                    "Rapport's log.",
                    status=response.status_code,
                ),
                lazy_gettext(
                    "A registration link works only once and expires after a while. Start the "
                    "registration again from the LMS; if it fails again, show this message to "
                    "whoever looks after the LMS."
                ),
                status=424,
            )
        data = read_json(response, REGISTRATION_RESPONSE, url)
    return read_client_registration(data)


def platform_message(raw: bytes) -> str:
    """The reason a platform gave: an OAuth error, a {"errors": […]} list, or short text."""
    try:
        data = json.loads(raw)
    except ValueError:
        return excerpt(raw, 300)
    if isinstance(data, dict):
        for name in ("error_description", "message", "error"):
            if isinstance(data.get(name), str):
                return excerpt(data[name], 300)
        errors = data.get("errors")
        if isinstance(errors, list):
            texts = [e.get("message") if isinstance(e, dict) else e for e in errors]
            return excerpt("; ".join(t for t in texts if isinstance(t, str)), 300)
    return excerpt(json.dumps(data), 300)


def read_client_registration(data: Any) -> ClientRegistration:
    client_id = _identifier(data.get("client_id")) if isinstance(data, dict) else None
    if client_id is None:
        raise RegistrationError(
            "no_client_id",
            lazy_gettext(
                "The LMS answered the registration without the client id it gave Rapport."
            ),
            lazy_gettext("Start the registration again from the LMS."),
            status=424,
        )
    tool_configuration = data.get(TOOL_CONFIGURATION)
    deployment = (
        tool_configuration.get("deployment_id") if isinstance(tool_configuration, dict) else None
    )
    scope = data.get("scope")
    return ClientRegistration(
        client_id=client_id,
        deployment_id=_identifier(deployment),
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
    )


def _identifier(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None
