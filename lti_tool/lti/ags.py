"""Assignment and Grade Services 2.0, as the tool calls them: line items and scores.

AGS 2.0 §3.1 (the endpoint claim and its scopes), §3.2 (the line item container: GET with the
`resource_link_id`, `resource_id` and `tag` filters and `Link: rel="next"` paging, POST to
create), §3.4 (the score publish service: POST to the line item URL with `/scores` added to its
path; the score's JSON, and what a platform's refusal of one means, are `lti/ags_scores.py`'s).
Every request goes through `ServiceClient`: an access token per (registration, scopes), one
refresh on 401, a timeout and a User-Agent on every call (Canvas refuses requests without one).

What platforms do differently lives here and in `lti/ags_scores.py`, not in the worker:
- Moodle: line item URLs carry a query (`…/lineitems/2/lineitem?type_id=1`), so `/scores` goes
  into the path before the `?`; its terse refusals, its 409 for a score whose timestamp is not
  in a later second than the stored one, and its clamping of scores above the maximum are
  `lti/ags_scores.py`'s.
- Canvas: the `https://canvas.instructure.com/lti/submission` extension (a re-grade says
  `new_submission: false`) is sent to Canvas only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from lti_tool.i18n import keep
from lti_tool.lti.ags_results import shows_score
from lti_tool.lti.ags_scores import ScoreConflict, ScorePost, explain_refusal
from lti_tool.lti.service_auth import (
    PlatformEndpoint,
    ServiceClient,
    ServiceError,
    platform_words,
    retry_after_seconds,
)

log = logging.getLogger(__name__)

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPE_LINEITEM = AGS + "lineitem"
SCOPE_LINEITEM_READONLY = AGS + "lineitem.readonly"
SCOPE_RESULT_READONLY = AGS + "result.readonly"
SCOPE_SCORE = AGS + "score"
AGS_SCOPES = frozenset(
    {SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE}
)

LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
MAX_PAGES = 100  # a platform that links pages in a circle must not hold a worker forever

# Statuses worth asking again: an expired token (refreshed once already), a timeout, throttling.
RETRYABLE_CLIENT_ERRORS = frozenset({401, 408, 429})


def service_url(resource_url: str, action: str) -> str:
    """`<line item>/scores` with the line item's query kept (Moodle's `?type_id=1`)."""
    parts = urlsplit(resource_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + action))


def is_permanent(status: int) -> bool:
    """A refusal that asking again will not change (4xx other than 401/408/409/429)."""
    return 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS and status != 409


@dataclass(frozen=True)
class AgsEndpoint:
    """The AGS endpoint claim of a launch (AGS 2.0 §3.1), as stored on the course."""

    scopes: frozenset[str]
    lineitems_url: str | None
    lineitem_url: str | None

    @classmethod
    def from_claim(cls, claim: dict[str, Any] | None) -> AgsEndpoint | None:
        if not isinstance(claim, dict):
            return None
        raw = claim.get("scope")
        scopes = frozenset(s for s in raw if isinstance(s, str)) if isinstance(raw, list) else None
        lineitems, lineitem = claim.get("lineitems"), claim.get("lineitem")
        return cls(
            (scopes or frozenset()) & AGS_SCOPES,
            lineitems if isinstance(lineitems, str) and lineitems else None,
            lineitem if isinstance(lineitem, str) and lineitem else None,
        )

    @property
    def can_create_line_items(self) -> bool:
        return SCOPE_LINEITEM in self.scopes and self.lineitems_url is not None

    @property
    def can_find_line_items(self) -> bool:
        readable = {SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY} & self.scopes
        return bool(readable) and self.lineitems_url is not None

    @property
    def can_post_scores(self) -> bool:
        return SCOPE_SCORE in self.scopes

    @property
    def can_read_results(self) -> bool:
        return SCOPE_RESULT_READONLY in self.scopes

    @property
    def token_scopes(self) -> tuple[str, ...]:
        """Every AGS scope granted, in one token: one token request serves every call."""
        return tuple(sorted(self.scopes))


@dataclass(frozen=True)
class LineItem:
    """A gradebook column (AGS 2.0 §3.2.7); `url` is its `id`."""

    url: str
    label: str
    score_maximum: float
    resource_link_id: str | None = None
    resource_id: str | None = None
    tag: str | None = None

    @classmethod
    def from_json(cls, body: object) -> LineItem | None:
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            return None
        maximum = body.get("scoreMaximum")

        def text(key: str) -> str | None:
            value = body.get(key)
            return str(value) if isinstance(value, str | int) and value != "" else None

        return cls(
            url=body["id"],
            label=str(body.get("label") or ""),
            score_maximum=float(maximum) if isinstance(maximum, int | float) else 0.0,
            resource_link_id=text("resourceLinkId"),
            resource_id=text("resourceId"),
            tag=text("tag"),
        )

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"scoreMaximum": self.score_maximum, "label": self.label}
        optional = {
            "resourceId": self.resource_id,
            "tag": self.tag,
            "resourceLinkId": self.resource_link_id,
        }
        body.update({k: v for k, v in optional.items() if v})
        return body


class AgsClient:
    """AGS calls for one registration; `family` is the platform's product family code."""

    def __init__(
        self, client: ServiceClient, platform: PlatformEndpoint, family: str | None = None
    ) -> None:
        self.client = client
        self.platform = platform
        self.family = family

    def find_line_items(
        self,
        endpoint: AgsEndpoint,
        *,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
    ) -> list[LineItem]:
        """Every line item matching the filters, following `Link: rel="next"` pages."""
        assert endpoint.lineitems_url is not None
        filters = {"resource_link_id": resource_link_id, "resource_id": resource_id, "tag": tag}
        params: dict[str, Any] | None = {k: v for k, v in filters.items() if v}
        found: list[LineItem] = []
        for body in self._pages(endpoint, endpoint.lineitems_url, params):
            items = body if isinstance(body, list) else []
            found.extend(item for raw in items if (item := LineItem.from_json(raw)) is not None)
        return found

    def _pages(
        self, endpoint: AgsEndpoint, url: str, params: dict[str, Any] | None
    ) -> Iterator[Any]:
        next_url: str | None = url
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self._call(endpoint, "GET", next_url, LINEITEM_CONTAINER, params=params)
            yield _json(response)
            next_url, params = response.links.get("next", {}).get("url"), None

    def create_line_item(self, endpoint: AgsEndpoint, item: LineItem) -> LineItem:
        assert endpoint.lineitems_url is not None
        response = self._call(
            endpoint,
            "POST",
            endpoint.lineitems_url,
            LINEITEM,
            body=item.as_json(),
            content_type=LINEITEM,
        )
        body = _json(response)
        if isinstance(body, dict) and "id" not in body and response.headers.get("Location"):
            body = {**body, "id": response.headers["Location"]}
        created = LineItem.from_json(body)
        if created is None:
            raise ServiceError(keep("the platform created a line item but sent back no id"), 502)
        return created

    def post_score(self, endpoint: AgsEndpoint, lineitem_url: str, score: ScorePost) -> int:
        """Publish a score and return the HTTP status; raises ScoreConflict on 409 and
        ServiceError on other refusals."""
        if self.family != "canvas" and score.new_submission is not None:
            score = replace(score, new_submission=None)
        return self._call(
            endpoint,
            "POST",
            service_url(lineitem_url, "scores"),
            "application/json",
            body=score.as_json(),
            content_type=SCORE,
        ).status_code

    def holds_score(self, endpoint: AgsEndpoint, lineitem_url: str, score: ScorePost) -> bool:
        """Whether the gradebook already shows this score for this person (AGS 2.0 §3.3)."""
        if score.score_given is None or not endpoint.can_read_results:
            return False
        response = self._call(
            endpoint,
            "GET",
            service_url(lineitem_url, "results"),
            RESULT_CONTAINER,
            params={"user_id": score.user_id},
        )
        return shows_score(_json(response), score)

    def _call(
        self,
        endpoint: AgsEndpoint,
        method: str,
        url: str,
        accept: str,
        *,
        body: Any = None,
        content_type: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        response = self.client.request(
            self.platform,
            endpoint.token_scopes,
            method,
            url,
            accept=accept,
            body=body,
            content_type=content_type,
            params=params,
        )
        if response.status_code < 300:
            return response
        words = platform_words(response)
        log.info("AGS %s %s refused: %s", method, url, words)
        if response.status_code == 409:
            raise ScoreConflict(words, 409)
        raise ServiceError(
            explain_refusal(response.status_code, words),
            response.status_code,
            retry_after_seconds(response),
        )


def _json(response: requests.Response) -> Any:
    """The body as JSON whatever the Content-Type says (Moodle labels JSON text/html)."""
    text = response.text.strip()
    if not text:
        return None
    try:
        return response.json()
    except ValueError as exc:
        log.info("platform answered something other than JSON: %r", text[:500])
        raise ServiceError(
            keep("the platform answered something other than JSON"), response.status_code
        ) from exc
