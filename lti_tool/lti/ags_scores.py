"""Scores as AGS 2.0 §3.4 (the score publish service) sends them, and what a platform's refusal
of one means.

The score's JSON (§3.4.6) with Canvas's `https://canvas.instructure.com/lti/submission`
extension (a re-grade says `new_submission: false` so Canvas does not open a new submission);
Moodle's terse refusals put into words (a refused score answers `[]` with the reason only in the
HTTP status line, "Incorrect score received…"); the 409 a platform answers when it holds a score
as new or newer (Moodle compares whole seconds); and the note for staff when a score above the
maximum was sent (Moodle accepts it and clamps it). `lti/ags.py` posts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lti_tool.i18n import keep
from lti_tool.lti.service_auth import ServiceError

CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"
# What Moodle's status line says of a score it refuses, matched as it says it.
MOODLE_INCORRECT = "incorrect score received"  # i18n: not translated


def ags_timestamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and the UTC offset, as AGS 2.0 §3.4.6 asks."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class ScorePost:
    """One score (AGS 2.0 §3.4.6). `new_submission` is for Canvas only (None elsewhere)."""

    user_id: str
    timestamp: datetime
    score_given: float | None
    score_maximum: float
    comment: str | None = None
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    new_submission: bool | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "userId": self.user_id,
            "timestamp": ags_timestamp(self.timestamp),
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
        }
        if self.score_given is not None:
            body["scoreGiven"] = self.score_given
            body["scoreMaximum"] = self.score_maximum
        if self.comment:
            body["comment"] = self.comment
        if self.new_submission is not None:
            body[CANVAS_SUBMISSION] = {"new_submission": self.new_submission}
        return body


class ScoreConflict(ServiceError):  # noqa: N818 - reads as the answer it reports
    """409: the platform already holds a score for this person with this timestamp or a later
    one (AGS 2.0 §3.4.6; Moodle compares whole seconds)."""


def explain_refusal(status: int, words: str) -> str:
    """The platform's words, with what they mean when they are terse (Moodle's status line):
    kept (`lti_tool.i18n.keep`) to be shown in each reader's language."""
    if MOODLE_INCORRECT in words.lower():
        return keep(
            "The platform refused the score as incorrect (%(words)s): it needs a scoreGiven "
            "of 0 or more sent together with a scoreMaximum above 0.",
            words=words[:200],
        )
    if status == 403:
        return keep("The platform does not let Rapport post this score (%(words)s).", words=words)
    if status == 404:
        return keep("The platform no longer has this gradebook column (%(words)s).", words=words)
    return words


def over_maximum_note(score: ScorePost, platform_family: str | None) -> str | None:
    """A note for staff when a score above the maximum was sent (Moodle clamps it), kept to be
    shown in each reader's language."""
    if score.score_given is None or score.score_given <= score.score_maximum:
        return None
    given, maximum = f"{score.score_given:g}", f"{score.score_maximum:g}"
    if platform_family == "moodle":
        return keep(
            "Sent %(given)s out of %(maximum)s; Moodle records at most %(maximum)s.",
            given=given,
            maximum=maximum,
        )
    return keep(
        "Sent %(given)s out of %(maximum)s, above the maximum; the LMS may cap it.",
        given=given,
        maximum=maximum,
    )
