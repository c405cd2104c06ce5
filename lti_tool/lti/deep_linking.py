"""Deep Linking 2.0: what the platform accepts, and the signed LtiDeepLinkingResponse.

- Deep linking settings (DL 2.0 §4.4.1,
  https://www.imsglobal.org/spec/lti-dl/v2p0#deep-linking-settings): `accept_types`,
  `accept_presentation_document_targets`, `accept_multiple`, `accept_lineitem`, `auto_create`
  and the opaque `data` the response must echo.
- LTI resource link content items (§3.2, https://www.imsglobal.org/spec/lti-dl/v2p0#lti-resource-link):
  `url`, `custom` parameters and, when graded, a `lineItem` (scoreMaximum, label, resourceId, tag).
- The response message (§4.5, https://www.imsglobal.org/spec/lti-dl/v2p0#deep-linking-response-message):
  a JWT from the tool (`iss` = client_id, `aud` = the platform issuer) posted in the form field
  `JWT` to `deep_link_return_url`.

The JWT is signed with the KeyRing's already loaded key object. pylti1p3's
`DeepLink.get_response_jwt` parses a PEM string on every response (tens of milliseconds), so it
is not used.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from lti_tool.i18n import _
from lti_tool.lti.claims import CLAIM_DEPLOYMENT_ID, CLAIM_MESSAGE_TYPE, CLAIM_VERSION
from lti_tool.lti.keys import SigningKey
from lti_tool.services.refusals import Refused

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CLAIM_CONTENT_ITEMS = DL + "content_items"
CLAIM_DATA = DL + "data"
CLAIM_MSG = DL + "msg"
CLAIM_LOG = DL + "log"
CLAIM_ERRORMSG = DL + "errormsg"
CLAIM_ERRORLOG = DL + "errorlog"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
RESOURCE_LINK = "ltiResourceLink"
RESPONSE_LIFETIME_SECONDS = 600
# Rapport reads best in the LMS page; a new window is the fallback the platform may offer.
IFRAME_HEIGHT = 800
WINDOW_TARGET = "rapport"


def _flag(value: object, default: bool | None) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"  # a few platforms send JSON booleans as strings
    return default


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


@dataclass(frozen=True)
class DeepLinkingSettings:
    """The request's `deep_linking_settings` claim, read leniently (Canvas adds its own keys)."""

    return_url: str
    accept_types: tuple[str, ...] = ()
    document_targets: tuple[str, ...] = ()
    accept_multiple: bool = False
    # None: the platform did not say; line items are then sent, as the spec allows.
    accept_lineitem: bool | None = None
    auto_create: bool = False
    data: Any = None
    has_data: bool = False
    title: str | None = None
    text: str | None = None

    @classmethod
    def from_claim(cls, claim: dict[str, Any]) -> DeepLinkingSettings:
        title, text = claim.get("title"), claim.get("text")
        return cls(
            return_url=str(claim["deep_link_return_url"]),
            accept_types=_strings(claim.get("accept_types")),
            document_targets=_strings(claim.get("accept_presentation_document_targets")),
            accept_multiple=bool(_flag(claim.get("accept_multiple"), False)),
            accept_lineitem=_flag(claim.get("accept_lineitem"), None),
            auto_create=bool(_flag(claim.get("auto_create"), False)),
            data=claim.get("data"),
            has_data="data" in claim,
            title=title if isinstance(title, str) and title else None,
            text=text if isinstance(text, str) and text else None,
        )

    @property
    def accepts_resource_links(self) -> bool:
        return RESOURCE_LINK in self.accept_types

    @property
    def accepts_line_items(self) -> bool:
        return self.accept_lineitem is not False


@dataclass(frozen=True)
class LineItem:
    """A gradebook column the platform creates with the link (AGS 2.0 §3.2 fields)."""

    score_maximum: float
    label: str
    resource_id: str
    tag: str

    def as_claim(self) -> dict[str, Any]:
        maximum: float | int = self.score_maximum
        if float(maximum).is_integer():
            maximum = int(maximum)
        return {
            "scoreMaximum": maximum,
            "label": self.label,
            "resourceId": self.resource_id,
            "tag": self.tag,
        }


@dataclass(frozen=True)
class ResourceLinkItem:
    """One `ltiResourceLink` content item."""

    title: str
    url: str
    text: str | None = None
    custom: dict[str, str] = field(default_factory=dict)
    line_item: LineItem | None = None

    def as_claim(self, settings: DeepLinkingSettings) -> dict[str, Any]:
        item: dict[str, Any] = {"type": RESOURCE_LINK, "title": self.title, "url": self.url}
        if self.text:
            item["text"] = self.text
        if self.custom:
            item["custom"] = dict(self.custom)
        if self.line_item is not None and settings.accepts_line_items:
            item["lineItem"] = self.line_item.as_claim()
        item.update(_presentation(settings.document_targets))
        return item


def _presentation(targets: tuple[str, ...]) -> dict[str, Any]:
    """Ask only for a document target the platform offered; none when it offered none."""
    if "iframe" in targets:
        return {"iframe": {"height": IFRAME_HEIGHT}}
    if "window" in targets:
        return {"window": {"targetName": WINDOW_TARGET}}
    return {}


@dataclass(frozen=True)
class ResponseMessages:
    """The optional texts of §4.5: shown to the user (`msg`) or logged (`log`)."""

    msg: str | None = None
    log: str | None = None
    errormsg: str | None = None
    errorlog: str | None = None


@dataclass(frozen=True)
class DeepLinkingResponse:
    """Everything §4.5 asks of the response, from values the launch provided."""

    client_id: str
    platform_issuer: str
    deployment_id: str
    settings: DeepLinkingSettings

    def claims(
        self,
        items: list[ResourceLinkItem],
        messages: ResponseMessages | None = None,
        now: int | None = None,
    ) -> dict[str, Any]:
        if items and not self.settings.accepts_resource_links:
            raise Refused(400, _("the platform does not accept LTI resource links"))
        if len(items) > 1 and not self.settings.accept_multiple:
            raise Refused(400, _("the platform accepts one item only"))
        issued = int(time.time()) if now is None else now
        body: dict[str, Any] = {
            "iss": self.client_id,
            "aud": self.platform_issuer,
            "iat": issued,
            "exp": issued + RESPONSE_LIFETIME_SECONDS,
            "nonce": secrets.token_urlsafe(24),
            CLAIM_MESSAGE_TYPE: DEEP_LINKING_RESPONSE,
            CLAIM_VERSION: "1.3.0",
            CLAIM_DEPLOYMENT_ID: self.deployment_id,
            CLAIM_CONTENT_ITEMS: [item.as_claim(self.settings) for item in items],
        }
        if self.settings.has_data:
            body[CLAIM_DATA] = self.settings.data
        texts = messages or ResponseMessages()
        for claim, value in (
            (CLAIM_MSG, texts.msg),
            (CLAIM_LOG, texts.log),
            (CLAIM_ERRORMSG, texts.errormsg),
            (CLAIM_ERRORLOG, texts.errorlog),
        ):
            if value:
                body[claim] = value
        return body

    def signed(
        self,
        key: SigningKey,
        items: list[ResourceLinkItem],
        messages: ResponseMessages | None = None,
    ) -> str:
        return sign(self.claims(items, messages), key)


def sign(claims: dict[str, Any], key: SigningKey) -> str:
    """RS256 with the key object itself, its kid in the header."""
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
