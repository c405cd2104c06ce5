"""The events an operator follows, each told once: one log line and one count.

A launch that reached Rapport or was refused (with the refusal's stable code from
`lti_tool.lti.errors`), a score delivered to a gradebook or refused, a roster sync, a person's
data erased. The lines
carry ids Rapport made (course, activity, delivery) and the platform's issuer and client — never
a token, a `sub`, a name or an email address. No Flask here: services call these outside a
request too.
"""

from __future__ import annotations

import logging
from typing import Any

from lti_tool.observability import metrics
from lti_tool.observability.logs import event

launches = logging.getLogger("rapport.launches")
grades = logging.getLogger("rapport.grades")
rosters = logging.getLogger("rapport.rosters")
privacy = logging.getLogger("rapport.privacy")
retention = logging.getLogger("rapport.retention")


def launch_reached(outcome: str, **facts: Any) -> None:
    """A launch that let someone in: `outcome` is "course" or "deep_linking"; `facts` are the
    issuer, client, deployment, course id and role (no person)."""
    metrics.LAUNCHES.labels(outcome, "").inc()
    message = "launch reached its course" if outcome == "course" else "launch opened deep linking"
    event(launches, logging.INFO, message, "launch", outcome=outcome, **facts)


def launch_refused(reason: str, step: str, status: int, detail: str) -> None:
    """A login or launch refused with `reason` (a LaunchError code) at `step`; `detail` is the
    refusal's message for the administrator, which names platforms, not people."""
    metrics.LAUNCHES.labels("refused", reason).inc()
    message = f"{step} refused ({reason}): {detail}"
    fields = {"outcome": "refused", "reason": reason, "step": step, "status": status}
    event(launches, logging.WARNING, message, "launch", **fields)


def launch_step(reason: str, step: str) -> None:
    """Not an outcome: the launch goes on after a round trip (the platform storage check)."""
    event(launches, logging.INFO, f"{step} continues ({reason})", "launch_step", reason=reason)


def score_settled(
    delivery_id: int, activity_id: int, outcome: str, http_status: int | None, attempts: int
) -> None:
    """What one attempt made of a queued score: sent, retry, refused (given up) or superseded.
    `http_status` is the platform's answer (None when no call was made, 0 when none came)."""
    metrics.GRADE_DELIVERIES.labels(outcome).inc()
    level = logging.WARNING if outcome == "refused" else logging.INFO
    message = f"grade delivery {delivery_id}: {outcome} (HTTP {http_status})"
    fields = {"delivery_id": delivery_id, "activity_id": activity_id, "outcome": outcome}
    fields |= {"http_status": http_status, "attempts": attempts}
    event(grades, level, message, "grade_delivery", **fields)


def roster_synced(course_id: int, members: int, error: str | None) -> None:
    """A roster sync that ended: with `members` read, or with the platform's `error`."""
    outcome = "failed" if error else "synced"
    metrics.ROSTER_SYNCS.labels(outcome).inc()
    level = logging.WARNING if error else logging.INFO
    message = f"roster sync of course {course_id}: {error or f'{members} members'}"
    fields = {"course_id": course_id, "outcome": outcome, "members": members}
    event(rosters, level, message, "roster_sync", **fields)


def person_erased(erasure_id: int, requested_by: str) -> None:
    """A person's data erased (services/privacy): which erasure and who asked, never whom or
    what."""
    message = f"a person's data was erased (erasure {erasure_id}), asked by {requested_by}"
    fields = {"erasure_id": erasure_id, "requested_by": requested_by}
    event(privacy, logging.WARNING, message, "person_erased", **fields)


def course_retention(course_id: int, outcome: str, detail: str) -> None:
    """Retention acting on a course: `outcome` "warned" (its staff were told the day it will be
    deleted) or "deleted"."""
    message = f"course {course_id}: {detail} (retention)"
    event(retention, logging.INFO, message, "retention", course_id=course_id, outcome=outcome)
