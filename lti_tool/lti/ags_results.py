"""Reading the AGS result service's answer (AGS 2.0 §3.3): whether it shows a score."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lti_tool.lti.ags_scores import ScorePost


def shows_score(body: object, score: ScorePost) -> bool:
    """Whether a result container shows this score for its person: the same share of the
    maximum, and the same comment when the platform says one."""
    if score.score_given is None:
        return False
    if isinstance(body, dict):  # some platforms wrap the container
        body = body.get("results", body.get("content", []))
    for result in body if isinstance(body, list) else []:
        if not isinstance(result, dict) or str(result.get("userId")) != score.user_id:
            continue
        given, maximum = result.get("resultScore"), result.get("resultMaximum") or 1
        if not isinstance(given, int | float) or not isinstance(maximum, int | float):
            continue
        same_share = abs(given / maximum - score.score_given / score.score_maximum) < 1e-6
        said = result.get("comment")
        if same_share and (said is None or said == (score.comment or "")):
            return True
    return False
