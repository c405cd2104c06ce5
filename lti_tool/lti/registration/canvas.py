"""Everything about installing Rapport that only Canvas does.

- Hosted Canvas's issuer does not match the school's configuration URL (an exception to LTI
  Dynamic Registration's "Issuer and OpenID Configuration URL Match").
- Canvas's extensions to the tool configuration: privacy level, tool id, placements and whether
  the course menu item starts visible (Canvas's registration.md).
- The developer key JSON an admin pastes into Canvas instead (Canvas's lti_dev_key_config.md).
- Canvas's variable substitutions, asked for as custom parameters: the course's end date
  (`$Canvas.course.endAt`, read back by `lti/claims.py`), which Moodle does not offer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lti_tool.lti.claims import COURSE_END_PARAM
from lti_tool.lti.registration.tool import (
    DEEP_LINKING,
    RESOURCE_LINK,
    SCOPES,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    OfferedMessages,
    ToolUrls,
    offered_placements,
)

CANVAS = "canvas"
EXTENSION = "https://canvas.instructure.com/lti/"
ACCOUNT_NAME = EXTENSION + "account_name"
# Instructure's hosted Canvas signs every school's launches with one issuer from its own SSO
# host, while each school serves the configuration from its own domain, so the issuer cannot
# match the URL. It is trusted only together with Instructure's own endpoints: a look-alike
# configuration cannot point a Canvas registration at someone else's keys.
HOSTED_ISSUERS = {
    "https://canvas.instructure.com": "sso.canvaslms.com",
    "https://canvas.beta.instructure.com": "sso.beta.canvaslms.com",
    "https://canvas.test.instructure.com": "sso.test.canvaslms.com",
}
TOOL_ID = "rapport"
# Canvas substitutes its variables in the custom parameters a tool asks for, at every launch: a
# course copied for a new term names the courses (and a copied link the links) it came from,
# most recent first, so that Rapport can offer to bring over their set-up; and a course says
# when it ends (issue 18).
CUSTOM_PARAMETERS = {
    "context_id_history": "$Context.id.history",
    "resource_link_history": "$ResourceLink.id.history",
    COURSE_END_PARAM: "$Canvas.course.endAt",
}
TOOL_CONFIGURATION = {
    EXTENSION + "privacy_level": "public",
    EXTENSION + "tool_id": TOOL_ID,
    "custom_parameters": CUSTOM_PARAMETERS,
}
# docs/product.md: instructors switch Rapport on in their course, so its course menu item starts
# hidden until they show it (Course Settings → Navigation).
COURSE_NAVIGATION_ENABLED = False
RESOURCE_LINK_PLACEMENTS = ("course_navigation",)
DEEP_LINKING_PLACEMENTS = ("link_selection", "assignment_selection")


# Instructure's own endpoints for its hosted issuers, exactly (security_controller.rb).
HOSTED_ENDPOINT_PATHS = {
    "authorization_endpoint": "/api/lti/authorize_redirect",
    "token_endpoint": "/login/oauth2/token",
    "jwks_uri": "/api/lti/security/jwks",
}


def hosted_issuer_allowed(issuer: str, url: str, endpoints: dict[str, str]) -> bool:
    """A hosted-Canvas issuer, served from a school's domain, with Instructure's endpoints."""
    sso = HOSTED_ISSUERS.get(issuer.rstrip("/"))
    if sso is None or urlsplit(url).scheme != "https":
        return False
    same_school = urlsplit(endpoints["registration_endpoint"]).netloc == urlsplit(url).netloc
    on_sso = all(
        urlsplit(endpoints[name])[:4] == ("https", sso, path, "")
        for name, path in HOSTED_ENDPOINT_PATHS.items()
    )
    return same_school and on_sso


def messages(tool: ToolUrls, offered: OfferedMessages) -> list[dict[str, Any]]:
    common = {"target_link_uri": tool.launch, "label": TOOL_NAME}
    return [
        {
            "type": RESOURCE_LINK,
            **common,
            "placements": offered_placements(offered, RESOURCE_LINK, RESOURCE_LINK_PLACEMENTS),
            EXTENSION + "course_navigation/default_enabled": COURSE_NAVIGATION_ENABLED,
        },
        {
            "type": DEEP_LINKING,
            **common,
            "placements": offered_placements(offered, DEEP_LINKING, DEEP_LINKING_PLACEMENTS),
        },
    ]


def developer_key(tool: ToolUrls) -> dict[str, Any]:
    """The JSON an admin pastes into a Canvas LTI developer key ("Paste JSON")."""
    common = {"text": TOOL_NAME, "target_link_uri": tool.launch}
    placements = [
        {
            **common,
            "placement": "course_navigation",
            "message_type": RESOURCE_LINK,
            "default": "enabled" if COURSE_NAVIGATION_ENABLED else "disabled",
        },
        *(
            {**common, "placement": name, "message_type": DEEP_LINKING}
            for name in DEEP_LINKING_PLACEMENTS
        ),
    ]
    return {
        "title": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": tool.login,
        "target_link_uri": tool.launch,
        "public_jwk_url": tool.jwks,
        "scopes": list(SCOPES),
        "custom_fields": dict(CUSTOM_PARAMETERS),
        "extensions": [
            {
                "domain": tool.domain,
                "tool_id": TOOL_ID,
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "settings": {"text": TOOL_NAME, "placements": placements},
            }
        ],
    }
