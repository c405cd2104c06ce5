"""What Rapport declares about itself when a platform installs it.

The values of LTI Dynamic Registration's "LTI Tool Configuration" (the
`https://purl.imsglobal.org/spec/lti-tool-configuration` object) and of Canvas's developer key:
its name, addresses, the LTI Advantage scopes it uses, the claims it reads and the messages it
handles.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"

TOOL_NAME = "Rapport"
TOOL_DESCRIPTION = (
    # i18n: not translated (sent once to the LMS, which keeps it for everyone)
    "The personal layer for your courses: teacher introductions, named feedback threads, "
    "regular check-ins and a dashboard of who has not heard from a person lately."
)
# Assignment and Grade Services (gradebook columns and scores) and Names and Role Provisioning
# Services (the roster).
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
# Names and pictures are the point of Rapport: staff and students see each other as people.
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "picture", "locale")
# Where a generic platform (Moodle) offers content selection.
CONTENT_PLACEMENTS = ("ContentArea",)

# {message type: placements the platform names (None: it names none)}; None: no list at all.
OfferedMessages = dict[str, tuple[str, ...] | None] | None


@dataclass(frozen=True)
class ToolUrls:
    """Where Rapport answers, from PUBLIC_URL (the stable contract in docs/product.md)."""

    public_url: str

    @property
    def login(self) -> str:
        return self.public_url + "/lti/login"

    @property
    def launch(self) -> str:
        return self.public_url + "/lti/launch"

    @property
    def jwks(self) -> str:
        return self.public_url + "/lti/jwks.json"

    @property
    def domain(self) -> str:
        return urlsplit(self.public_url).netloc


def offered_placements(
    offered: OfferedMessages, message_type: str, wanted: tuple[str, ...]
) -> list[str]:
    """The placements Rapport wants that the platform offers (all of them if it names none)."""
    named = (offered or {}).get(message_type)
    return [p for p in wanted if named is None or p in named]
