"""The id_tokens the demo LMS signs: resource-link launches (LTI 1.3 Core §5.3, §5.4) and
deep-linking requests (Deep Linking 2.0 §4.4), with the NRPS (§3.6.1) and AGS (§3.1) claims.

The login's `lti_message_hint` is a small JSON object, as Moodle sends, naming what to launch.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from lti_tool.demo.people import COURSE_OFFERING, DemoPerson
from lti_tool.demo.platform import (
    PLATFORM_NAME,
    PLATFORM_VERSION,
    PRODUCT_FAMILY,
    DemoPlatform,
)

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CLAIM_AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
AGS_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPE_LINEITEM = AGS_SCOPE + "lineitem"
SCOPE_LINEITEM_READONLY = AGS_SCOPE + "lineitem.readonly"
SCOPE_RESULT_READONLY = AGS_SCOPE + "result.readonly"
SCOPE_SCORE = AGS_SCOPE + "score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
ID_TOKEN_LIFETIME = 300
DEEP_LINK_LIFETIME = 3600
TARGETS = ("iframe", "window")
LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}")


@dataclass(frozen=True)
class LaunchRequest:
    """What one launch opens: a resource link, or a deep-linking request."""

    link_id: str | None
    deep_linking: bool = False
    target: str = "iframe"
    # The person's language as the LMS sends it (`launch_presentation.locale`): the demo is a
    # British university's LMS unless the launch asks for another (`?locale=es-ES`).
    locale: str = "en-GB"

    def hint(self) -> str:
        body: dict[str, Any] = {"target": self.target, "locale": self.locale}
        if self.deep_linking:
            body["deep_linking"] = True
        else:
            body["link_id"] = self.link_id
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_hint(cls, hint: str | None) -> LaunchRequest | None:
        try:
            body = json.loads(hint or "")
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("target", "iframe") not in TARGETS:
            return None
        target = str(body.get("target", "iframe"))
        locale = body.get("locale")
        locale = locale if isinstance(locale, str) and LOCALE.fullmatch(locale) else "en-GB"
        if body.get("deep_linking") is True:
            return cls(None, deep_linking=True, target=target, locale=locale)
        link_id = body.get("link_id")
        if isinstance(link_id, str) and link_id:
            return cls(link_id, target=target, locale=locale)
        return None


def _identity(platform: DemoPlatform, person: DemoPerson, nonce: str) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.issuer,
        "aud": platform.client_id,
        "azp": platform.client_id,
        "sub": person.sub,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "nonce": nonce,
    }
    if person.name:  # a privacy-restricted account shares no name claims at all
        claims.update(
            name=person.name,
            given_name=person.given_name,
            family_name=person.family_name,
            email=person.email,
        )
    return claims


def _lti(
    platform: DemoPlatform, person: DemoPerson, request: LaunchRequest, target_link_uri: str
) -> dict[str, Any]:
    course = platform.course
    return {
        LTI + "version": "1.3.0",
        LTI + "deployment_id": platform.deployment_id,
        LTI + "target_link_uri": target_link_uri,
        LTI + "roles": person.launch_roles,
        LTI + "context": {
            "id": course.context_id,
            "label": course.label,
            "title": course.title,
            "type": [COURSE_OFFERING],
        },
        LTI + "tool_platform": {
            "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, platform.issuer)),
            "name": PLATFORM_NAME,
            "product_family_code": PRODUCT_FAMILY,
            "version": PLATFORM_VERSION,
        },
        LTI + "launch_presentation": {
            "document_target": request.target,
            "locale": request.locale,
            "return_url": platform.issuer,
        },
        CLAIM_NRPS: {"context_memberships_url": platform.nrps_url, "service_versions": ["2.0"]},
    }


def _ags(platform: DemoPlatform, link_id: str | None) -> dict[str, Any]:
    claim: dict[str, Any] = {"scope": list(AGS_SCOPES), "lineitems": platform.lineitems_url}
    bound = platform.store.line_items(platform.course.context_id, resource_link_id=link_id)
    if link_id and bound:
        claim["lineitem"] = platform.lineitem_url(bound[0].number)
    return claim


def resource_link_claims(
    platform: DemoPlatform, person: DemoPerson, nonce: str, request: LaunchRequest
) -> dict[str, Any]:
    link = platform.link(request.link_id or "")
    if link is None:
        raise ValueError(f"no link {request.link_id!r} in the demo course")
    placed = platform.placed_link(link.link_id)
    target = (placed.url if placed and placed.url else None) or platform.tool_launch_url
    claims = {
        **_identity(platform, person, nonce),
        **_lti(platform, person, request, target),
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "resource_link": {"id": link.link_id, "title": link.title, "description": link.text},
        CLAIM_AGS: _ags(platform, link.link_id),
    }
    claims[LTI + "custom"] = {**(placed.custom if placed else {}), **_substituted(platform)}
    return claims


def _substituted(platform: DemoPlatform) -> dict[str, str]:
    """The custom parameters Rapport asks Canvas for (its developer key's `custom_fields`),
    substituted as Canvas does: a copied course's history, most recent first, comma-separated
    (empty for a course that is nobody's copy)."""
    return {"context_id_history": ",".join(platform.course.history)}


def deep_linking_claims(
    platform: DemoPlatform, person: DemoPerson, nonce: str, request: LaunchRequest
) -> dict[str, Any]:
    data = platform.store.open_deep_link_request(person.person_id, DEEP_LINK_LIFETIME)
    return {
        **_identity(platform, person, nonce),
        **_lti(platform, person, request, platform.tool_launch_url),
        LTI + "message_type": "LtiDeepLinkingRequest",
        LTI + "custom": _substituted(platform),
        CLAIM_AGS: _ags(platform, None),
        DL + "deep_linking_settings": {
            "deep_link_return_url": platform.deep_link_return_url,
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "auto_create": True,
            "accept_lineitem": True,
            "title": f"Add Rapport to {platform.course.label}",
            "text": "Choose what to place in the course.",
            "data": data,
        },
    }
