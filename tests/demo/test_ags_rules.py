"""Unit rules of the demo LMS's AGS: what counts as a newer score, and what a score must hold."""

from __future__ import annotations

import pytest

from lti_tool.demo.ags_rules import parse_score
from lti_tool.demo.records import Score

USER = "user-1"


def _score(timestamp: str, **extra: object) -> Score:
    body = {"userId": USER, "timestamp": timestamp, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", **extra}
    parsed = parse_score(body, 1, {USER})
    assert isinstance(parsed, Score), parsed
    return parsed


@pytest.mark.parametrize(("earlier", "later"), [
    ("2025-03-01T10:00:00Z", "2025-03-01T10:00:00.000001Z"),
    ("2025-03-01T12:00:00+02:00", "2025-03-01T10:00:01Z"),
    ("2025-03-01T09:59:59.999-00:00", "2025-03-01T10:00:00+00:00"),
])
def test_timestamps_order_by_instant_to_the_microsecond(earlier, later):
    assert _score(earlier).timestamp_us < _score(later).timestamp_us


def test_the_same_instant_in_another_zone_is_not_newer():
    assert _score("2025-03-01T12:00:00+02:00").timestamp_us == \
        _score("2025-03-01T10:00:00Z").timestamp_us


def test_a_score_keeps_what_the_tool_sent():
    score = _score("2025-03-01T10:00:00Z", scoreGiven=7.5, scoreMaximum=10, comment="Well argued")
    assert (score.score_given, score.score_maximum, score.comment) == (7.5, 10.0, "Well argued")
    assert score.timestamp == "2025-03-01T10:00:00Z"


@pytest.mark.parametrize(("body", "why"), [
    ("not an object", "JSON object"),
    ({"userId": 7}, "userId"),
    ({"userId": USER, "timestamp": "2025-03-01T10:00:00Z", "activityProgress": "Completed",
      "gradingProgress": "FullyGraded", "comment": 5}, "comment must be a string"),
    ({"userId": USER, "timestamp": "2025-03-01T10:00:00Z", "activityProgress": "Completed",
      "gradingProgress": "FullyGraded", "scoreGiven": float("nan"), "scoreMaximum": 1},
     "scoreGiven"),
])
def test_refusals_say_what_is_wrong(body, why):
    refusal = parse_score(body, 1, {USER})
    assert isinstance(refusal, str)
    assert why in refusal
