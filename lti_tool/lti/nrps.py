"""Names and Role Provisioning Services 2.0: reading a course roster from the platform.

NRPS 2.0 §2.2 (the membership container media type and the `contextmembership.readonly`
scope), §2.3 (members: `user_id`, `roles`, `status`, and the optional name, email and
picture a platform may withhold), §2.4.1 (paging with `limit` and `Link: <…>; rel="next"`).

Platforms differ: Moodle names roles by their short name (`Learner`) and adds a next link
only when a `limit` was asked for; Canvas sends full role URIs, extra keys
(`lti11_legacy_user_id`, `message`) and withholds names and emails at lower privacy levels.
Everything here is read defensively: unknown keys are ignored, missing names stay None.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lti_tool.i18n import keep
from lti_tool.lti.service_auth import PlatformEndpoint, ServiceClient, ServiceError, platform_words

log = logging.getLogger(__name__)

MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
SCOPE_CONTEXT_MEMBERSHIP = (
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
)
DEFAULT_PAGE_SIZE = 100  # a platform that serves fewer a page still links the next one
MAX_PAGES = 10_000  # a platform that links pages in a circle must not keep a worker forever


class MemberStatus(enum.StrEnum):
    """NRPS 2.0 §2.3: a member without `status` is Active."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"
    DELETED = "Deleted"

    @classmethod
    def read(cls, value: object) -> MemberStatus:
        if isinstance(value, str):
            for status in cls:
                if status.value.lower() == value.strip().lower():
                    return status
        return cls.ACTIVE


@dataclass(frozen=True)
class RosterMember:
    user_id: str  # the same value as the id_token's `sub`
    roles: tuple[str, ...]
    status: MemberStatus
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    picture: str | None = None


@dataclass(frozen=True)
class RosterPage:
    url: str
    members: list[RosterMember]
    has_next: bool


def _text(value: object, limit: int) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text[:limit] or None
    return None


def read_member(data: object) -> RosterMember | None:
    """One member of a membership container, or None when it has no usable `user_id`."""
    if not isinstance(data, dict):
        return None
    user_id = _text(data.get("user_id"), 255)
    if user_id is None:
        return None
    roles = data.get("roles")
    return RosterMember(
        user_id=user_id,
        roles=tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
        status=MemberStatus.read(data.get("status")),
        name=_text(data.get("name"), 255),
        given_name=_text(data.get("given_name"), 255),
        family_name=_text(data.get("family_name"), 255),
        email=_text(data.get("email"), 320),
        picture=_text(data.get("picture"), 2000),
    )


def with_limit(url: str, limit: int) -> str:
    """The memberships URL asking for pages of `limit` members (unless it already asks)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(name == "limit" for name, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, ("limit", str(limit))])))


class NrpsClient:
    """Reads a context's membership container page by page, following every next link."""

    def __init__(self, client: ServiceClient, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.client = client
        self.page_size = page_size

    def pages(self, platform: PlatformEndpoint, memberships_url: str) -> Iterator[RosterPage]:
        url: str | None = with_limit(memberships_url, self.page_size)
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= MAX_PAGES:
                raise ServiceError(keep("the roster's next links never end (at %(url)s)", url=url))
            seen.add(url)
            members, next_url = self._fetch(platform, url)
            yield RosterPage(url, members, has_next=next_url is not None)
            url = next_url

    def _fetch(self, platform: PlatformEndpoint, url: str) -> tuple[list[RosterMember], str | None]:
        response = self.client.request(
            platform, [SCOPE_CONTEXT_MEMBERSHIP], "GET", url, accept=MEMBERSHIP_CONTAINER
        )
        if response.status_code != 200:
            raise ServiceError(
                keep("the platform refused the roster: %(words)s", words=platform_words(response)),
                response.status_code,
            )
        body = _container(response.text, url)
        raw = body.get("members")
        members = [m for m in map(read_member, raw if isinstance(raw, list) else []) if m]
        if isinstance(raw, list) and len(members) < len(raw):
            log.warning("%d roster members without a user_id ignored", len(raw) - len(members))
        next_link = response.links.get("next", {}).get("url")
        return members, next_link or None


def _container(text: str, url: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError as exc:
        log.info("the roster at %s is not JSON: %r", url, text[:500])
        raise ServiceError(keep("the roster at %(url)s is not JSON", url=url), 200) from exc
    if not isinstance(body, dict):
        raise ServiceError(
            keep("the roster at %(url)s is not a membership container", url=url), 200
        )
    return body
