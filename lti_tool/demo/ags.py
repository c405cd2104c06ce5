"""Assignment and Grade Services 2.0 in the demo LMS: line items, scores and results.

AGS 2.0 §3.2 (line item container and line items), §3.4 (scores), §3.3 (results). As in Moodle,
every URL carries `?type_id=1`, so a tool must add `/scores` and `/results` to the path, before
the query. A score whose timestamp is not newer than the stored one is refused with 409, as
Moodle does; the stored score is always the latest.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import Response, request

from lti_tool.demo.ags_rules import line_item_json, parse_line_item, parse_score, result_json
from lti_tool.demo.blueprint import bp
from lti_tool.demo.messages import (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
)
from lti_tool.demo.oauth import service
from lti_tool.demo.platform import TYPE_ID, DemoPlatform, demo
from lti_tool.demo.records import LineItem
from lti_tool.demo.responses import Paging, json_error, json_response

LINE_ITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINE_ITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
ITEM_PATH = "/ags/<context_id>/lineitems/<number>/lineitem"


def _scope_refusal(context_id: str) -> Response | None:
    """404 for another course, 400 when the Moodle-style type_id was lost from the URL."""
    if context_id != demo().course.context_id:
        return json_error(404, "not_found", f"the demo LMS has no course {context_id!r}")
    type_id = request.args.get("type_id")
    if type_id != TYPE_ID:
        return json_error(
            400,
            "invalid_request",
            f"type_id is {type_id!r}, expected {TYPE_ID!r}: keep the query string "
            "of the service URL (add /scores or /results to its path)",
        )
    return None


def _line_item(context_id: str, number: str) -> LineItem | Response:
    refusal = _scope_refusal(context_id)
    if refusal is not None:
        return refusal
    item = demo().store.line_item(context_id, int(number)) if number.isdigit() else None
    if item is None:
        return json_error(404, "not_found", f"no line item {number!r} in this course")
    return item


def _json_body(media_type: str) -> object | Response:
    if request.mimetype != media_type:
        return json_error(
            415,
            "unsupported_media_type",
            f"send Content-Type: {media_type} (got {request.mimetype or 'none'})",
        )
    body = request.get_json(silent=True)
    if body is None:
        return json_error(400, "invalid_request", "the body is not JSON")
    return body


def _known_links(platform: DemoPlatform) -> set[str]:
    return {link.link_id for link in platform.links()}


@bp.get("/ags/<context_id>/lineitems")
@service("lineitems", SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
def list_line_items(context_id: str) -> Response:
    platform = demo()
    if (refusal := _scope_refusal(context_id)) is not None:
        return refusal
    paging = Paging.parse(request.args)
    if isinstance(paging, str):
        return json_error(400, "invalid_request", paging)
    args = request.args
    items = platform.store.line_items(
        context_id,
        resource_link_id=args.get("resource_link_id"),
        resource_id=args.get("resource_id"),
        tag=args.get("tag"),
    )

    def next_url(changes: dict[str, str]) -> str:
        base = platform.lineitems_url.partition("?")[0]
        return f"{base}?{urlencode({**args.to_dict(), **changes})}"

    page, headers = paging.page(items, next_url)
    body = [line_item_json(platform, item) for item in page]
    return json_response(body, content_type=LINE_ITEM_CONTAINER, headers=headers)


@bp.post("/ags/<context_id>/lineitems")
@service("lineitems", SCOPE_LINEITEM)
def create_line_item(context_id: str) -> Response:
    platform = demo()
    if (refusal := _scope_refusal(context_id)) is not None:
        return refusal
    body = _json_body(LINE_ITEM)
    if isinstance(body, Response):
        return body
    fields = parse_line_item(body, _known_links(platform))
    if isinstance(fields, str):
        return json_error(400, "invalid_request", fields)
    item = platform.store.create_line_item(context_id, fields)
    return json_response(
        line_item_json(platform, item),
        201,
        LINE_ITEM,
        {"Location": platform.lineitem_url(item.number)},
    )


@bp.get(ITEM_PATH)
@service("lineitem", SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
def get_line_item(context_id: str, number: str) -> Response:
    item = _line_item(context_id, number)
    if isinstance(item, Response):
        return item
    return json_response(line_item_json(demo(), item), content_type=LINE_ITEM)


@bp.put(ITEM_PATH)
@service("lineitem", SCOPE_LINEITEM)
def update_line_item(context_id: str, number: str) -> Response:
    platform = demo()
    item = _line_item(context_id, number)
    if isinstance(item, Response):
        return item
    body = _json_body(LINE_ITEM)
    if isinstance(body, Response):
        return body
    fields = parse_line_item(body, _known_links(platform))
    if isinstance(fields, str):
        return json_error(400, "invalid_request", fields)
    if fields.resource_link_id is None:  # omitted: the line item stays bound to its link
        fields = replace(fields, resource_link_id=item.fields.resource_link_id)
    if fields.resource_link_id != item.fields.resource_link_id:
        return json_error(400, "invalid_request", "resourceLinkId cannot be changed")
    updated = platform.store.update_line_item(item, fields)
    return json_response(line_item_json(platform, updated), content_type=LINE_ITEM)


@bp.delete(ITEM_PATH)
@service("lineitem", SCOPE_LINEITEM)
def delete_line_item(context_id: str, number: str) -> Response:
    item = _line_item(context_id, number)
    if isinstance(item, Response):
        return item
    demo().store.delete_line_item(item)
    return Response(status=204)


@bp.post(ITEM_PATH + "/scores")
@service("scores", SCOPE_SCORE)
def post_score(context_id: str, number: str) -> Response:
    platform = demo()
    item = _line_item(context_id, number)
    if isinstance(item, Response):
        return item
    body = _json_body(SCORE)
    if isinstance(body, Response):
        return body
    score = parse_score(body, item.number, platform.course.subs)
    if isinstance(score, str):
        return json_error(400, "invalid_request", score)
    if not platform.store.save_score(score):
        return json_error(
            409,
            "conflict",
            "a score with the same or a later timestamp is "
            "already stored for this user and line item",
        )
    return Response(status=204)


@bp.get(ITEM_PATH + "/results")
@service("results", SCOPE_RESULT_READONLY)
def list_results(context_id: str, number: str) -> Response:
    platform = demo()
    item = _line_item(context_id, number)
    if isinstance(item, Response):
        return item
    stored = platform.store.scores(item.number, request.args.get("user_id"))
    body = [result_json(platform, item, score) for score in stored]
    return json_response(body, content_type=RESULT_CONTAINER)
