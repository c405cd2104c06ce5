"""What the demo LMS accepts as a line item (AGS 2.0 §3.2) and a score (AGS 2.0 §3.4), and the
JSON it answers with, including results (AGS 2.0 §3.3).

Each parser returns the typed value or a sentence saying what is wrong, for a 400 the tool's
developer can act on.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from lti_tool.demo.platform import DemoPlatform
from lti_tool.demo.records import LineItem, LineItemFields, Score

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def parse_timestamp(value: object, name: str) -> datetime:
    """An ISO 8601 date and time with its UTC offset."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 date and time") from exc
    if moment.tzinfo is None:
        raise ValueError(f"{name} {value!r} has no UTC offset (add Z or +00:00)")
    return moment


def _optional_date(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    parse_timestamp(value, key)
    return str(value)


def parse_line_item(body: object, known_links: Collection[str]) -> LineItemFields | str:
    if not isinstance(body, dict):
        return "send the line item as a JSON object"
    label, maximum = body.get("label"), _number(body.get("scoreMaximum"))
    if not isinstance(label, str) or not label.strip():
        return "label is required"
    if maximum is None or maximum <= 0:
        return "scoreMaximum must be a number greater than 0"
    try:
        link = _optional_text(body, "resourceLinkId")
        fields = LineItemFields(
            label=label.strip(),
            score_maximum=maximum,
            resource_id=_optional_text(body, "resourceId"),
            tag=_optional_text(body, "tag"),
            resource_link_id=link,
            start_date_time=_optional_date(body, "startDateTime"),
            end_date_time=_optional_date(body, "endDateTime"),
        )
    except ValueError as exc:
        return str(exc)
    if link is not None and link not in known_links:
        return f"resourceLinkId {link!r} is not a resource link in this course"
    return fields


def _progress(body: dict[str, Any]) -> tuple[str, str]:
    activity, grading = body.get("activityProgress"), body.get("gradingProgress")
    if activity not in ACTIVITY_PROGRESS:
        raise ValueError(f"activityProgress must be one of {', '.join(ACTIVITY_PROGRESS)}")
    if grading not in GRADING_PROGRESS:
        raise ValueError(f"gradingProgress must be one of {', '.join(GRADING_PROGRESS)}")
    return str(activity), str(grading)


def _score_values(body: dict[str, Any]) -> tuple[float | None, float | None]:
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    if given is not None and (_number(given) is None or float(given) < 0):
        raise ValueError("scoreGiven must be a number, 0 or more")
    if maximum is not None and (_number(maximum) is None or float(maximum) <= 0):
        raise ValueError("scoreMaximum must be a number greater than 0")
    if given is not None and maximum is None:
        raise ValueError("scoreMaximum is required with scoreGiven")
    return _number(given), _number(maximum)


def parse_score(body: object, line_item: int, known_users: Collection[str]) -> Score | str:
    if not isinstance(body, dict):
        return "send the score as a JSON object"
    user_id = body.get("userId")
    if not isinstance(user_id, str) or user_id not in known_users:
        return f"userId {user_id!r} is not a member of this course"
    try:
        moment = parse_timestamp(body.get("timestamp"), "timestamp")
        activity, grading = _progress(body)
        given, maximum = _score_values(body)
        comment = _optional_text(body, "comment")
    except ValueError as exc:
        return str(exc)
    return Score(
        line_item=line_item,
        user_id=user_id,
        timestamp=str(body["timestamp"]),
        timestamp_us=(moment - _EPOCH) // _MICROSECOND,
        activity_progress=activity,
        grading_progress=grading,
        score_given=given,
        score_maximum=maximum,
        comment=comment,
    )


def line_item_json(platform: DemoPlatform, item: LineItem) -> dict[str, Any]:
    f = item.fields
    body: dict[str, Any] = {
        "id": platform.lineitem_url(item.number),
        "label": f.label,
        "scoreMaximum": f.score_maximum,
    }
    optional = {
        "resourceId": f.resource_id,
        "tag": f.tag,
        "resourceLinkId": f.resource_link_id,
        "startDateTime": f.start_date_time,
        "endDateTime": f.end_date_time,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def result_json(platform: DemoPlatform, item: LineItem, score: Score) -> dict[str, Any]:
    """A result: the score scaled to the line item's maximum, as an LMS gradebook holds it."""
    body: dict[str, Any] = {
        "id": platform.lineitem_url(item.number, "/results", user_id=score.user_id),
        "scoreOf": platform.lineitem_url(item.number),
        "userId": score.user_id,
        "resultMaximum": item.fields.score_maximum,
    }
    if score.score_given is not None and score.score_maximum:
        scaled = score.score_given / score.score_maximum * item.fields.score_maximum
        body["resultScore"] = round(scaled, 4)
    if score.comment:
        body["comment"] = score.comment
    return body
