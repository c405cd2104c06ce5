"""Content items a tool returns from deep linking, placed in the demo course.

Deep Linking 2.0 §3.1 and §3.2 (`ltiResourceLink`, with `custom` and an optional `lineItem`):
each accepted item becomes a resource link, and its `lineItem` a gradebook column bound to it
(AGS 2.0 §3.2.6), as `auto_create` promised. Items the demo cannot place are reported, not
silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lti_tool.demo.ags_rules import parse_line_item
from lti_tool.demo.platform import DemoPlatform
from lti_tool.demo.records import LineItem, LineItemFields, PlacedLink

RESOURCE_LINK = "ltiResourceLink"


@dataclass(frozen=True)
class ItemOutcome:
    title: str
    placed: PlacedLink | None = None
    line_item: LineItem | None = None
    reason: str | None = None  # why the item was not placed


@dataclass(frozen=True)
class _Checked:
    title: str
    text: str | None
    url: str | None
    custom: dict[str, str]
    line_item: dict[str, Any] | None


def _check(platform: DemoPlatform, item: dict[str, Any]) -> _Checked:
    title = item.get("title") if isinstance(item.get("title"), str) else None
    text = item.get("text") if isinstance(item.get("text"), str) else None
    url = item.get("url")
    tool_host = urlsplit(platform.tool_launch_url).netloc
    if url is not None and (not isinstance(url, str) or urlsplit(url).netloc != tool_host):
        raise ValueError(f"its url {url!r} is not on the tool's host")
    custom = item.get("custom") or {}
    if not isinstance(custom, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in custom.items()
    ):
        raise ValueError("custom must map names to strings")
    line_item = item.get("lineItem")
    if line_item is not None and not isinstance(line_item, dict):
        raise ValueError("lineItem must be a JSON object")
    return _Checked(title or "Rapport", text, url, dict(custom), line_item)


def _line_item_fields(checked: _Checked) -> LineItemFields | None:
    if checked.line_item is None:
        return None
    body = {"label": checked.title, **checked.line_item}
    fields = parse_line_item(body, known_links=())
    if isinstance(fields, str):
        raise ValueError(f"its lineItem is refused: {fields}")
    return fields


def place_items(platform: DemoPlatform, items: object, person_id: str) -> list[ItemOutcome]:
    if items is None:
        return []
    if not isinstance(items, list):
        return [ItemOutcome("(content_items)", reason="content_items must be a JSON array")]
    return [_place(platform, item, person_id) for item in items]


def _place(platform: DemoPlatform, item: object, person_id: str) -> ItemOutcome:
    if not isinstance(item, dict):
        return ItemOutcome("(not an object)", reason="each content item must be a JSON object")
    title = str(item.get("title") or item.get("type") or "untitled")
    if item.get("type") != RESOURCE_LINK:
        return ItemOutcome(
            title,
            reason=f"type {item.get('type')!r} was not asked for (accept_types is {RESOURCE_LINK})",
        )
    try:
        checked = _check(platform, item)
        fields = _line_item_fields(checked)
    except ValueError as exc:
        return ItemOutcome(title, reason=str(exc))
    placed = platform.place_link(
        checked.title, checked.text, checked.url, checked.custom, person_id
    )
    line_item = None
    if fields is not None:
        bound = LineItemFields(**{**fields.__dict__, "resource_link_id": placed.link_id})
        line_item = platform.store.create_line_item(platform.course.context_id, bound)
    return ItemOutcome(checked.title, placed, line_item)
