"""Grades for the LMS gradebook: what features call to give a grade, and what staff see of it.

AGS 2.0 §3.4 (scores): a feature calls `record_score` with the course, the activity, the person
and the score; it finds or creates the `GradableActivity` and queues one `GradeDelivery`. A
newer score for the same (activity, person) supersedes an older one not yet delivered, so the
platform only ever receives scores in the order they were given. Recording never waits on the
platform: the worker (`lti_tool.services.grades.worker`) sends, and calls `line_item_url` here to
find or create the gradebook column (AGS 2.0 §3.2), or to use the one the launch named when
the platform grants only the score scope (Moodle's "grade sync only").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from lti_tool.db import transaction, utcnow
from lti_tool.i18n import KeptReason, _, keep
from lti_tool.lti.ags import AgsClient, AgsEndpoint, LineItem
from lti_tool.models import Course, Person, ResourceLink
from lti_tool.models.grades import DeliveryStatus, GradableActivity, GradeDelivery
from lti_tool.services.access import CourseGrant
from lti_tool.services.grades import audit
from lti_tool.services.grades.queue import newer_score, supersede_undelivered
from lti_tool.services.markup import plain_text
from lti_tool.services.upsert import upsert

# A gradebook shows the comment in a cell or a tooltip: a paragraph, not a whole thread.
MAX_COMMENT_CHARS = 1000
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


class GradebookUnavailable(KeptReason):
    """The platform offers no gradebook column Rapport may post this score to: `kept` says
    what staff can do about it (`lti_tool.i18n.keep`), `str()` the same in English."""


class InvalidScore(ValueError):  # noqa: N818 - reads as what the caller passed
    """The score cannot be sent as given (AGS 2.0 §3.4.6: scoreGiven ≥ 0, scoreMaximum > 0)."""


@dataclass(frozen=True)
class ActivitySpec:
    """What is graded, as the feature knows it; `key` is stable, e.g. "checkin:3"."""

    key: str
    label: str
    score_maximum: float
    resource_link_id: str | None = None  # the placement the grade belongs to, when there is one
    tag: str | None = None


def score_comment(text: str | None) -> str | None:
    """A message as the gradebook's comment (AGS 2.0 §3.4.5): plain text of at most
    `MAX_COMMENT_CHARS`, or None. Platforms differ in whether they show it as text or as HTML,
    so neither Markdown nor anything that looks like a tag is sent."""
    if not text:
        return None
    return _TAG.sub("", plain_text(text, MAX_COMMENT_CHARS)).strip() or None


def can_manage_grades(grant: CourseGrant) -> bool:
    """Staff of the course see every score's delivery and may send refused ones again."""
    return grant.is_staff


def _check_score(score_given: float | None, score_maximum: float) -> None:
    if not math.isfinite(score_maximum) or score_maximum <= 0:
        raise InvalidScore(
            _("the maximum must be a number above 0, not %(value)s", value=repr(score_maximum))
        )
    if score_given is not None and (not math.isfinite(score_given) or score_given < 0):
        raise InvalidScore(
            _("the score must be a number, 0 or more, not %(value)s", value=repr(score_given))
        )


def gradable_activity(session: Session, course: Course, spec: ActivitySpec) -> GradableActivity:
    """The course's activity with this key, created on first use, label and maximum kept fresh."""
    activity_id = upsert(
        session,
        GradableActivity,
        {"course_id": course.id, "key": spec.key},
        {
            "label": spec.label,
            "score_maximum": spec.score_maximum,
            "resource_link_id": spec.resource_link_id,
            "tag": spec.tag,
        },
    )
    activity = session.get(GradableActivity, activity_id, populate_existing=True)
    assert activity is not None
    return activity


def record_score(
    session: Session,
    course: Course,
    activity: ActivitySpec,
    person: Person,
    score_given: float | None,
    score_maximum: float | None = None,
    comment: str | None = None,
    *,
    activity_progress: str = "Completed",
    grading_progress: str = "FullyGraded",
    now: datetime | None = None,
) -> GradeDelivery:
    """Queue a score for the LMS gradebook; the caller commits with its unit of work.

    `comment` is the grader's words as they wrote them (Markdown): it is sent as plain text."""
    maximum = activity.score_maximum if score_maximum is None else score_maximum
    _check_score(score_given, maximum)
    _check_score(None, activity.score_maximum)
    if person.registration_id != course.registration_id:
        raise InvalidScore(_("this person belongs to another platform than the course"))
    row = gradable_activity(session, course, activity)
    supersede_undelivered(session, row.id, person.id)
    moment = now or utcnow()
    delivery = GradeDelivery(
        activity_id=row.id,
        person_id=person.id,
        score_given=score_given,
        score_maximum=maximum,
        comment=score_comment(comment),
        activity_progress=activity_progress,
        grading_progress=grading_progress,
        scored_at=moment,
        status=DeliveryStatus.WAITING,
        attempts=0,
        next_attempt_at=moment,
        created_at=moment,
    )
    session.add(delivery)
    session.flush()
    return delivery


# -- the gradebook column (AGS 2.0 §3.2) ------------------------------------------------------
def line_item_url(
    sessions: sessionmaker[Session],
    session: Session,
    ags: AgsClient,
    endpoint: AgsEndpoint,
    activity: GradableActivity,
) -> str:
    """The line item this activity's scores go to: remembered, found, created, or the launch's.

    Finding and creating run in their own unit of work, the activity row locked, so that two
    workers never create two columns for one activity, and the column is remembered even when
    the score itself fails.
    """
    if activity.lineitem_url:
        return activity.lineitem_url
    if not (endpoint.can_find_line_items or endpoint.can_create_line_items):
        return _launch_line_item(session, endpoint, activity)
    with transaction(sessions) as own:
        row = own.get_one(GradableActivity, activity.id, with_for_update={"key_share": True})
        if not row.lineitem_url:
            row.lineitem_url = _find_or_create(ags, endpoint, row)
        return row.lineitem_url


def _launch_line_item(session: Session, endpoint: AgsEndpoint, activity: GradableActivity) -> str:
    """Score-only access (Moodle's "grade sync only"): the column the link's launch named.

    Never the course's latest `lineitem` claim for an activity without a link: that column
    belongs to another activity, and its scores would overwrite each other.
    """
    url = None
    if activity.resource_link_id:
        url = session.scalar(
            select(ResourceLink.lineitem_url).where(
                ResourceLink.course_id == activity.course_id,
                ResourceLink.resource_link_id == activity.resource_link_id,
            )
        )
    if not url:
        raise GradebookUnavailable(
            keep(
                "The LMS lets Rapport post scores only to the gradebook column of the link it "
                "was launched from, and this activity has none. Make the LMS link graded (and "
                "launch it once), or let Rapport manage gradebook columns, then retry."
            )
        )
    return url


def _find_or_create(ags: AgsClient, endpoint: AgsEndpoint, activity: GradableActivity) -> str:
    if endpoint.can_find_line_items:
        if activity.resource_link_id:
            items = ags.find_line_items(endpoint, resource_link_id=activity.resource_link_id)
        else:
            items = ags.find_line_items(endpoint, resource_id=activity.key)
        match = pick_line_item(items, activity)
        if match is not None:
            return match.url
    if endpoint.can_create_line_items:
        wanted = LineItem(
            url="",
            label=activity.label,
            score_maximum=activity.score_maximum,
            resource_link_id=activity.resource_link_id,
            resource_id=activity.key,
            tag=activity.tag,
        )
        return ags.create_line_item(endpoint, wanted).url
    if endpoint.lineitem_url:
        return endpoint.lineitem_url
    raise GradebookUnavailable(
        keep(
            "The LMS has no gradebook column for this activity and does not let Rapport create "
            "one. Add a graded column for it in the LMS, or allow Rapport to manage columns."
        )
    )


def pick_line_item(items: list[LineItem], activity: GradableActivity) -> LineItem | None:
    """Ours by resourceId first; else the link's own column, one no other activity claimed."""
    for item in items:
        if item.resource_id == activity.key:
            return item
    if not activity.resource_link_id:
        return None
    unclaimed = [
        i for i in items if i.resource_link_id == activity.resource_link_id and not i.resource_id
    ]
    tagged = [i for i in unclaimed if activity.tag and i.tag == activity.tag]
    return next(iter(tagged or unclaimed), None)


def forget_line_item(session: Session, activity_id: int, url: str) -> None:
    """The platform says the column is gone (404): find or create it again next time."""
    session.execute(
        update(GradableActivity)
        .where(GradableActivity.id == activity_id, GradableActivity.lineitem_url == url)
        .values(lineitem_url=None),
        execution_options={"synchronize_session": False},
    )


# -- what staff see ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ActivitySummary:
    activity: GradableActivity
    counts: dict[DeliveryStatus, int]

    def count(self, status: str) -> int:
        return self.counts.get(DeliveryStatus(status), 0)


@dataclass(frozen=True)
class ActivityDeliveries:
    activity: GradableActivity
    deliveries: list[GradeDelivery]


def course_activities(session: Session, course_id: int) -> list[ActivitySummary]:
    activities = session.scalars(
        select(GradableActivity)
        .where(GradableActivity.course_id == course_id)
        .order_by(GradableActivity.label, GradableActivity.id)
    ).all()
    rows = session.execute(
        select(GradeDelivery.activity_id, GradeDelivery.status, func.count())
        .join(GradableActivity, GradableActivity.id == GradeDelivery.activity_id)
        .where(GradableActivity.course_id == course_id)
        .group_by(GradeDelivery.activity_id, GradeDelivery.status)
    ).all()
    counts: dict[int, dict[DeliveryStatus, int]] = {}
    for activity_id, status, n in rows:
        counts.setdefault(activity_id, {})[DeliveryStatus(status)] = int(n)
    return [ActivitySummary(a, counts.get(a.id, {})) for a in activities]


def activity_deliveries(
    session: Session, course_id: int, activity_id: int
) -> ActivityDeliveries | None:
    """Every score of one activity, newest first, with who it is for."""
    activity = session.get(GradableActivity, activity_id)
    if activity is None or activity.course_id != course_id:
        return None
    deliveries = session.scalars(
        select(GradeDelivery)
        .where(GradeDelivery.activity_id == activity_id)
        .options(selectinload(GradeDelivery.person))
        .order_by(GradeDelivery.id.desc())
    ).all()
    return ActivityDeliveries(activity, list(deliveries))


def retry_failed(
    session: Session,
    course_id: int,
    activity_id: int,
    delivery_id: int | None = None,
    now: datetime | None = None,
    actor_id: int | None = None,
) -> int:
    """Queue refused scores of this activity again (one, or all); returns how many, and logs
    them in the course's activity log as sent again by `actor_id`.

    Only each person's latest score: an older one sent now would replace a newer grade."""
    activity = session.get(GradableActivity, activity_id)
    if activity is None or activity.course_id != course_id:
        return 0
    query = update(GradeDelivery).where(
        GradeDelivery.activity_id == activity_id,
        GradeDelivery.status == DeliveryStatus.FAILED,
        ~newer_score(GradeDelivery),  # a newer score for the person already replaced it
        # An erased person's score cannot name them to the LMS any more (services/privacy).
        GradeDelivery.person_id.not_in(select(Person.id).where(Person.erased_at.is_not(None))),
    )
    if delivery_id is not None:
        query = query.where(GradeDelivery.id == delivery_id)
    moment = now or utcnow()
    result = session.execute(
        query.values(status=DeliveryStatus.WAITING, attempts=0, next_attempt_at=moment),
        execution_options={"synchronize_session": False},
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        person_id = None
        if delivery_id is not None:
            person_id = session.scalar(
                select(GradeDelivery.person_id).where(GradeDelivery.id == delivery_id)
            )
        audit.scores_resent(session, activity, actor_id, count, person_id, moment)
    return count
