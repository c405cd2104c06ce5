"""What the demo LMS keeps: line items and scores (AGS 2.0 §3.2, §3.4), access tokens (Security
Framework §4.1) and the links instructors placed with Deep Linking (Deep Linking 2.0 §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LineItemFields:
    label: str
    score_maximum: float
    resource_id: str | None = None
    tag: str | None = None
    resource_link_id: str | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None


@dataclass(frozen=True)
class LineItem:
    number: int
    context_id: str
    fields: LineItemFields


@dataclass(frozen=True)
class Score:
    line_item: int
    user_id: str
    timestamp: str
    timestamp_us: int  # the timestamp in microseconds since the epoch, for ordering
    activity_progress: str
    grading_progress: str
    score_given: float | None = None
    score_maximum: float | None = None
    comment: str | None = None


@dataclass(frozen=True)
class AccessToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass(frozen=True)
class PlacedLink:
    """A resource link the tool returned from a deep-linking request, now in the course."""

    number: int
    title: str
    text: str | None
    url: str | None
    custom: dict[str, str] = field(default_factory=dict)
    placed_by: str | None = None

    @property
    def link_id(self) -> str:
        return f"demo-placed-{self.number}"

    @staticmethod
    def number_of(link_id: str) -> int | None:
        prefix = "demo-placed-"
        tail = link_id.removeprefix(prefix)
        if link_id.startswith(prefix) and tail.isdigit():
            return int(tail)
        return None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.link_id, "title": self.title, "url": self.url, "custom": self.custom}
