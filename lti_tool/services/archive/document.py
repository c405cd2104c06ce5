"""The whole course as one JSON document (`course.json` in the download, `download.py`).

Everything the course holds, in sections: the course and its end, its settings, its people,
tutors, staff profiles, posts with their replies and reaction counts, feedback conversations
with their messages, check-ins, then each week a check-in opened with its answers
(`checkin_weeks`), the grades sent to the LMS,
snippets, placements in the LMS, and the activity log. People are named in each item and
listed once (`people`) by Rapport's id; moments are ISO 8601 in UTC.

Written as it is read: each section is one statement whose rows come a thousand at a time and
are written out one item per line, so memory holds one conversation or one week of answers at
most, however large the course. An anonymous check-in's answers name nobody and say nothing
of when they came (as its CSV export).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from itertools import groupby
from typing import Any, TextIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    Course,
    FeedbackMessage,
    FeedbackThread,
    GradableActivity,
    GradeDelivery,
    Membership,
    Occurrence,
    Placement,
    Post,
    PostView,
    Reaction,
    Registration,
    Reply,
    ResponseStatus,
    Snippet,
    StaffProfile,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.models.person import Person
from lti_tool.services.access import CourseGrant
from lti_tool.services.archive.rules import CourseEnd
from lti_tool.services.audit import GONE, activity_page
from lti_tool.services.checkins.export import iso_utc
from lti_tool.services.course_settings import CourseSettings, registered_settings

FORMAT = "rapport-course/1"
FETCH = 1_000
ROLE_WORDS = {CourseRole.STAFF: "Staff", CourseRole.STUDENT: "Student"}


class JsonWriter:
    """A JSON object written a member at a time, and an array's items one per line."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.members = 0

    def begin(self) -> None:
        self.out.write("{")

    def end(self) -> None:
        self.out.write("\n}\n")

    def member(self, key: str, value: Any) -> None:
        self._key(key)
        self.out.write(_dumps(value))

    def array(self, key: str, items: Iterable[Any]) -> None:
        self._key(key)
        self.out.write("[")
        empty = True
        for item in items:
            self.out.write("\n    " if empty else ",\n    ")
            self.out.write(_dumps(item))
            empty = False
        self.out.write("]" if empty else "\n  ]")

    def _key(self, key: str) -> None:
        self.out.write(",\n  " if self.members else "\n  ")
        self.out.write(_dumps(key) + ": ")
        self.members += 1


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return iso_utc(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _streamed(session: Session, query: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    yield from session.execute(query.execution_options(yield_per=FETCH))


def write_document(
    session: Session,
    grant: CourseGrant,
    settings: CourseSettings,
    end: CourseEnd | None,
    now: datetime,
    out: TextIO,
) -> list[tuple[int, str]]:
    """Write the course's document to `out`; the check-ins it holds, (id, title), for their
    CSVs. The caller has decided that `grant` may download the course."""
    course_id = grant.course_id
    writer = JsonWriter(out)
    writer.begin()
    writer.member("format", FORMAT)
    writer.member("exported_at", now)
    writer.member("course", _course(session, course_id, end))
    writer.array("settings", _settings(settings))
    names: dict[int, str] = {}
    writer.array("people", _people(session, course_id, names))

    def name(person_id: int | None) -> str | None:
        return None if person_id is None else names.get(person_id, GONE)

    writer.member("exported_by", name(grant.person_id))
    writer.array("tutors", _tutors(session, course_id, name))
    writer.array("staff_profiles", _profiles(session, course_id, name))
    writer.array("posts", _posts(session, course_id, name))
    writer.array("feedback_threads", _threads(session, course_id, name))
    checkins: list[tuple[int, str]] = []
    writer.array("checkins", _checkins(session, course_id, name, checkins))
    writer.array("checkin_weeks", _weeks(session, course_id, name))
    writer.array("grades", _grades(session, course_id, name))
    writer.array("snippets", _snippets(session, course_id, name))
    writer.array("placements", _placements(session, course_id))
    writer.array("activity_log", _activity_log(session, grant))
    writer.end()
    return checkins


Name = Callable[[int | None], str | None]


def _course(session: Session, course_id: int, end: CourseEnd | None) -> dict[str, Any]:
    course, issuer = session.execute(
        select(Course, Registration.issuer)
        .join(Registration, Registration.id == Course.registration_id)
        .where(Course.id == course_id)
    ).one()
    return {
        "title": course.display_title,
        "label": course.label,
        "context_id": course.context_id,
        "platform": issuer,
        "lms_url": course.lms_url,
        "ends_at": end.ends_at if end else None,
        "end_from": None if end is None else "settings" if end.from_settings else "lms",
        "students_write_until": end.writable_until if end else None,
        "deletion_due_at": course.deletion_due_at,
        "created_at": course.created_at,
    }


def _settings(settings: CourseSettings) -> Iterator[dict[str, Any]]:
    for spec in registered_settings():
        yield {
            "key": spec.key,
            "feature": spec.feature,
            "label": spec.label,
            "value": settings[spec.key],
            "shown_as": spec.describe(settings[spec.key]),
        }


def _people(session: Session, course_id: int, names: dict[int, str]) -> Iterator[dict[str, Any]]:
    query = (
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.course_id == course_id)
        .order_by(Membership.role, Person.name, Person.id)
    )
    for membership, person in _streamed(session, query):
        role = CourseRole(membership.role)
        names[person.id] = person.name_as(ROLE_WORDS.get(role, "Guest"))
        yield {
            "id": person.id,
            "name": names[person.id],
            "email": person.email,
            "role": role.value,
            "lms_roles": membership.lti_roles,
            "active": membership.active,
            "section": membership.section,
            "last_launch_at": membership.last_launch_at,
        }


def _tutors(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    query = (
        select(TutorAllocation)
        .where(TutorAllocation.course_id == course_id)
        .order_by(TutorAllocation.assigned_at, TutorAllocation.id)
    )
    for (row,) in _streamed(session, query):
        yield {
            "student_id": row.student_id,
            "student": name(row.student_id),
            "tutor_id": row.tutor_id,
            "tutor": name(row.tutor_id),
            "assigned_by": name(row.assigned_by_id),
            "assigned_at": row.assigned_at,
            "ended_at": row.ended_at,
        }


def _profiles(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    query = select(StaffProfile).where(StaffProfile.course_id == course_id)
    for (row,) in _streamed(session, query.order_by(StaffProfile.id)):
        yield {
            "person_id": row.person_id,
            "name": name(row.person_id),
            "pronouns": row.pronouns,
            "role_title": row.role_title,
            "bio": row.bio,
            "how_to_reach": row.contact,
        }


def _counts(session: Session, query: Select[int, str, int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for post_id, key, count in session.execute(query):
        counts.setdefault(post_id, {})[key] = int(count)
    return counts


def _posts(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    in_course = select(Post.id).where(Post.course_id == course_id)
    reactions = _counts(
        session,
        select(Reaction.post_id, Reaction.reaction, func.count())
        .where(Reaction.post_id.in_(in_course))
        .group_by(Reaction.post_id, Reaction.reaction),
    )
    seen = dict(
        session.execute(
            select(PostView.post_id, func.count())
            .where(PostView.post_id.in_(in_course))
            .group_by(PostView.post_id)
        ).all()
    )
    query = (
        select(Post, Reply)
        .outerjoin(Reply, Reply.post_id == Post.id)
        .where(Post.course_id == course_id)
        .order_by(Post.id, Reply.created_at, Reply.id)
    )
    for _, rows in groupby(_streamed(session, query), key=lambda row: row[0].id):
        together = list(rows)
        post: Post = together[0][0]
        yield {
            "id": post.id,
            "kind": post.kind.value,
            "title": post.title,
            "author_id": post.author_id,
            "author": name(post.author_id),
            "body": post.body,
            "draft": post.draft,
            "publish_at": post.publish_at,
            "pinned": post.pinned,
            "created_at": post.created_at,
            "edited_at": post.edited_at,
            "deleted_at": post.deleted_at,
            "reactions": reactions.get(post.id, {}),
            "seen_by": int(seen.get(post.id, 0)),
            "replies": [
                {
                    "author_id": reply.author_id,
                    "author": name(reply.author_id),
                    "body": reply.body,
                    "created_at": reply.created_at,
                    "hidden_at": reply.hidden_at,
                }
                for _, reply in together
                if reply is not None
            ],
        }


def _threads(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    # Columns, not objects: a large course has a hundred thousand messages.
    t, m = FeedbackThread, FeedbackMessage
    query = (
        select(t.id, t.student_id, t.title, t.started_by_id, t.created_at)
        .add_columns(Placement.title.label("activity"), CheckIn.title.label("checkin"))
        .add_columns(m.author_id, m.body, m.created_at.label("sent_at"), m.edited_at)
        .add_columns(m.automated, m.score_given, m.score_maximum)
        .outerjoin(m, m.thread_id == t.id)
        .outerjoin(Placement, Placement.id == t.placement_id)
        .outerjoin(CheckIn, CheckIn.id == t.checkin_id)
        .where(t.course_id == course_id)
        .order_by(t.id, m.created_at, m.id)
    )
    for _, rows in groupby(_streamed(session, query), key=lambda row: row.id):
        together = list(rows)
        thread = together[0]
        yield {
            "id": thread.id,
            "student_id": thread.student_id,
            "student": name(thread.student_id),
            "title": thread.title,
            "activity": thread.activity,
            "checkin": thread.checkin,
            "started_by": name(thread.started_by_id),
            "created_at": thread.created_at,
            "messages": [
                {
                    "author_id": row.author_id,
                    "author": name(row.author_id),
                    "body": row.body,
                    "created_at": row.sent_at,
                    "edited_at": row.edited_at,
                    "from_a_snippet": row.automated,
                    "grade": None
                    if row.score_given is None
                    else {"score": row.score_given, "out_of": row.score_maximum},
                }
                for row in together
                if row.author_id is not None
            ],
        }


def _checkins(
    session: Session, course_id: int, name: Name, listed: list[tuple[int, str]]
) -> Iterator[dict[str, Any]]:
    """Each check-in as staff made it; its weeks and their answers follow (`_weeks`)."""
    checkins = session.scalars(
        select(CheckIn).where(CheckIn.course_id == course_id).order_by(CheckIn.id)
    ).all()
    for checkin in checkins:
        listed.append((checkin.id, checkin.title))
        yield {
            "id": checkin.id,
            "title": checkin.title,
            "questions": checkin.questions,
            "schedule": checkin.schedule,
            "anonymous": checkin.anonymous,
            "graded": checkin.graded,
            "points": checkin.points,
            "created_by": name(checkin.created_by_id),
            "created_at": checkin.created_at,
            "archived_at": checkin.archived_at,
        }


def _weeks(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    """Each time a check-in opened, with its answers: one item a week, so that no more than a
    week's answers are held at once."""
    r = CheckInResponse
    query = (
        select(CheckIn.id.label("checkin_id"), CheckIn.anonymous, Occurrence.id, Occurrence.number)
        .add_columns(Occurrence.opens_at, Occurrence.closes_at)
        .add_columns(r.student_id, r.submitted_at, r.updated_at, r.answers, r.status)
        .add_columns(r.handled_by_id, r.handled_at)
        .join(Occurrence, Occurrence.checkin_id == CheckIn.id)
        .outerjoin(r, r.occurrence_id == Occurrence.id)
        .where(CheckIn.course_id == course_id)
        .order_by(CheckIn.id, Occurrence.number, r.submitted_at, r.id)
    )
    for _, rows in groupby(_streamed(session, query), key=lambda row: row.id):
        together = list(rows)
        week = together[0]
        answers = [_answer(row, week.anonymous, name) for row in together if row.student_id]
        if week.anonymous:  # in the order of the answers, not of who answered when
            answers.sort(key=_dumps)
        yield {
            "checkin_id": week.checkin_id,
            "number": week.number,
            "opens_at": week.opens_at,
            "closes_at": week.closes_at,
            "responses": answers,
        }


def _answer(row: Any, anonymous: bool, name: Name) -> dict[str, Any]:
    if anonymous:
        return {"answers": row.answers}
    return {
        "student_id": row.student_id,
        "student": name(row.student_id),
        "submitted_at": row.submitted_at,
        "updated_at": row.updated_at,
        "answers": row.answers,
        "status": ResponseStatus(row.status).value,
        "dealt_with_by": name(row.handled_by_id),
        "dealt_with_at": row.handled_at,
    }


def _grades(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    query = (
        select(GradableActivity, GradeDelivery)
        .outerjoin(GradeDelivery, GradeDelivery.activity_id == GradableActivity.id)
        .where(GradableActivity.course_id == course_id)
        .order_by(GradableActivity.id, GradeDelivery.id)
    )
    for _, rows in groupby(_streamed(session, query), key=lambda row: row[0].id):
        together = list(rows)
        activity: GradableActivity = together[0][0]
        yield {
            "activity": activity.label,
            "out_of": activity.score_maximum,
            "scores": [
                {
                    "student_id": delivery.person_id,
                    "student": name(delivery.person_id),
                    "score": delivery.score_given,
                    "out_of": delivery.score_maximum,
                    "comment": delivery.comment,
                    "scored_at": delivery.scored_at,
                    "status": delivery.status.value,
                    "sent_at": delivery.sent_at,
                }
                for _, delivery in together
                if delivery is not None
            ],
        }


def _snippets(session: Session, course_id: int, name: Name) -> Iterator[dict[str, Any]]:
    query = select(Snippet).where(Snippet.course_id == course_id).order_by(Snippet.id)
    for (row,) in _streamed(session, query):
        yield {
            "title": row.title,
            "body": row.body,
            "created_by": name(row.created_by_id),
            "updated_at": row.updated_at,
        }


def _placements(session: Session, course_id: int) -> Iterator[Mapping[str, Any]]:
    query = select(Placement).where(Placement.course_id == course_id).order_by(Placement.id)
    for (row,) in _streamed(session, query):
        yield {"kind": row.kind, "title": row.title, "graded": row.graded,
               "out_of": row.score_maximum, "created_at": row.created_at}  # fmt: skip


def _activity_log(session: Session, grant: CourseGrant) -> Iterator[dict[str, Any]]:
    """Newest first, as the Activity log page reads it, a page at a time."""
    page = 1
    while True:
        read = activity_page(session, grant, page)
        for line in read.lines:
            what = "".join(p if isinstance(p, str) else iso_utc(p) for p in line.what)
            yield {"when": line.when, "who": line.who, "action": line.action, "what": what}
        if not read.has_more:
            return
        page += 1
