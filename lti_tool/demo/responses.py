"""JSON answers of the demo LMS's services: errors (RFC 6749 §5.2, RFC 6750 §3.1) and paged
containers with a `Link: <…>; rel="next"` header (NRPS 2.0 §2.4.2, AGS 2.0 §3.2.2)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from flask import Response

from lti_tool.demo.faults import Fault

T = TypeVar("T")
MAX_PAGE = 1000


def json_response(
    body: object,
    status: int = 200,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Response:
    text = json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, content_type=content_type, headers=dict(headers or {}))


def json_error(
    status: int, error: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response({"error": error, "error_description": message}, status, headers=headers)


def fault_response(fault: Fault) -> Response | None:
    """The forced answer for a queued fault, after its delay; None to serve normally."""
    fault.wait()
    if fault.status is None:
        return None
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    body = fault.body or {
        "error": "temporarily_unavailable",
        "error_description": "The demo LMS was told to fail this request.",
    }
    return json_response(body, fault.status, headers=headers)


@dataclass(frozen=True)
class Paging:
    limit: int | None
    offset: int

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Paging | str:
        """Paging from `limit` and `from` (as Moodle names them), or what is wrong with them."""
        limit, offset = args.get("limit"), args.get("from", "0")
        if limit is not None and (not limit.isdigit() or not 0 < int(limit) <= MAX_PAGE):
            return f"limit must be a whole number from 1 to {MAX_PAGE}"
        if not offset.isdigit():
            return "from must be a whole number, 0 or more"
        return cls(int(limit) if limit else None, int(offset))

    def page(
        self, items: Sequence[T], next_url: Callable[[dict[str, str]], str]
    ) -> tuple[list[T], dict[str, str]]:
        """This page's items and, when more remain, the Link header to the next page."""
        if self.limit is None:
            return list(items[self.offset :]), {}
        end = self.offset + self.limit
        if end >= len(items):
            return list(items[self.offset : end]), {}
        url = next_url({"limit": str(self.limit), "from": str(end)})
        return list(items[self.offset : end]), {"Link": f'<{url}>; rel="next"'}


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
