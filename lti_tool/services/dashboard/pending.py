"""The students a transaction's writes concern, as they are noticed (`tracking`), and who
they turn out to be at commit: the keys written (threads, check-in answers, introductions,
memberships, people) become (course, student) pairs in a query per kind of key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    FeedbackMessage,
    FeedbackThread,
    Membership,
    Occurrence,
    Person,
    Post,
    PostKind,
    Reply,
    StudentSummary,
    TutorAllocation,
)
from lti_tool.models.course import CourseRole
from lti_tool.services.dashboard.summary import name_key, refresh


@dataclass
class Pending:
    pairs: set[tuple[int, int]] = field(default_factory=set)  # (course, student)
    threads: set[int] = field(default_factory=set)
    answers: set[tuple[int, int]] = field(default_factory=set)  # (occurrence, student)
    posts: set[int] = field(default_factory=set)
    members: set[tuple[int, int]] = field(default_factory=set)  # (course, person): name, row
    people: set[int] = field(default_factory=set)  # their name, in every course
    subs: set[tuple[int, str]] = field(default_factory=set)  # (registration, sub): people too
    writers: set[tuple[int, int]] = field(default_factory=set)  # (course, person) who wrote
    # (course, person) memberships upserted with a role, whose role before is not known
    upserted: set[tuple[int, int]] = field(default_factory=set)
    checkins: set[int] = field(default_factory=set)  # made anonymous, moved
    occurrences: set[int] = field(default_factory=set)  # opening at another time
    courses: set[int] = field(default_factory=set)  # every member's name, and their rows
    updated: dict[str, set[int]] = field(default_factory=dict)  # table → ids, filed at commit

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def written_to(session: Session, course_ids: set[int] | None, ids: list[int]) -> set[Any]:
    """(course, student) of the students these people wrote to, replied to or tutor: whose
    summary changes when they stop or start being staff, or are erased."""
    threads = (
        select(FeedbackThread.course_id, FeedbackThread.student_id)
        .join(FeedbackMessage, FeedbackMessage.thread_id == FeedbackThread.id)
        .where(FeedbackMessage.author_id.in_(ids))
    )
    posts = (
        select(Post.course_id, Post.author_id)
        .join(Reply, Reply.post_id == Post.id)
        .where(Reply.author_id.in_(ids), Post.kind == PostKind.STUDENT_INTRODUCTION)
    )
    tutees = select(TutorAllocation.course_id, TutorAllocation.student_id).where(
        TutorAllocation.tutor_id.in_(ids)
    )
    if course_ids is not None:
        threads = threads.where(FeedbackThread.course_id.in_(course_ids))
        posts = posts.where(Post.course_id.in_(course_ids))
        tutees = tutees.where(TutorAllocation.course_id.in_(course_ids))
    return {(int(c), int(s)) for c, s in session.execute(threads.union(posts, tutees))}


def checkin_students(session: Session, p: Pending, checkins: Any, occurrences: Any) -> None:
    """Students with answers to these check-ins or occurrences, or threads about them."""
    answered = (
        select(CheckIn.course_id, CheckInResponse.student_id)
        .join(Occurrence, Occurrence.id == CheckInResponse.occurrence_id)
        .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
        .where(CheckIn.id.in_(checkins) | Occurrence.id.in_(occurrences))
    )
    threads = select(FeedbackThread.course_id, FeedbackThread.student_id).where(
        FeedbackThread.checkin_id.in_(checkins)
    )
    p.pairs.update((int(c), int(s)) for c, s in session.execute(answered.union(threads)))


def resolve(session: Session, p: Pending) -> dict[int, set[int]]:
    """The students to recompute, by course: a query per kind of key written."""
    pairs = set(p.pairs)
    if p.threads:
        pairs.update(
            session.execute(
                select(FeedbackThread.course_id, FeedbackThread.student_id).where(
                    FeedbackThread.id.in_(p.threads)
                )
            ).all()
        )
    if p.answers:
        courses = dict(
            session.execute(
                select(Occurrence.id, CheckIn.course_id)
                .join(CheckIn, CheckIn.id == Occurrence.checkin_id)
                .where(Occurrence.id.in_({occurrence for occurrence, _ in p.answers}))
            ).all()
        )
        pairs.update((courses[o], s) for o, s in p.answers if o in courses)
    if p.posts:
        pairs.update(
            session.execute(
                select(Post.course_id, Post.author_id).where(
                    Post.id.in_(p.posts), Post.kind == PostKind.STUDENT_INTRODUCTION
                )
            ).all()
        )
    if p.checkins or p.occurrences:
        found = Pending()
        checkin_students(session, found, p.checkins, p.occurrences)
        pairs |= found.pairs
    p.writers |= _role_changed(session, p.upserted)
    if p.writers:
        by_course: dict[int, set[int]] = defaultdict(set)
        for course, person in p.writers:
            by_course[course].add(person)
        people = sorted({person for _, person in p.writers})
        pairs.update(
            (c, s) for c, s in written_to(session, set(by_course), people) if c in by_course
        )
        pairs |= p.writers  # their own summary: made, or gone now they are staff
    pairs |= _stale_members(session, p)
    students: dict[int, set[int]] = defaultdict(set)
    for course, student in pairs:
        students[course].add(student)
    return students


def _stale_members(session: Session, p: Pending) -> set[tuple[int, int]]:
    """Students whose summary is missing, or carries a name they no longer have, or says
    their membership is active when it is not (or the other way round): one query."""
    if not (p.members or p.people or p.subs or p.courses):
        return set()
    chosen: list[Any] = []
    if p.members:
        courses = {course for course, _ in p.members}
        people = {person for _, person in p.members}
        chosen.append(Membership.course_id.in_(courses) & Membership.person_id.in_(people))
    if p.people:
        chosen.append(Membership.person_id.in_(p.people))
    if p.courses:
        members = select(Membership.person_id).where(Membership.course_id.in_(p.courses))
        chosen.append(Membership.person_id.in_(members))
    for registration, subs in _by_registration(p.subs).items():
        chosen.append((Person.registration_id == registration) & Person.sub.in_(subs))
    condition = chosen[0]
    for more in chosen[1:]:
        condition = condition | more
    rows = session.execute(
        select(
            Membership.course_id,
            Person,
            StudentSummary.name_key,
            StudentSummary.active != Membership.active,
        )
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(
            StudentSummary,
            (StudentSummary.course_id == Membership.course_id)
            & (StudentSummary.student_id == Membership.person_id),
        )
        .where(Membership.role == CourseRole.STUDENT, condition)
    ).all()
    return {
        (course, person.id)
        for course, person, key, moved in rows
        if key is None or moved or key != name_key(person)[:255]
    }


def _by_registration(subs: set[tuple[int, str]]) -> dict[int, set[str]]:
    grouped: dict[int, set[str]] = defaultdict(set)
    for registration, sub in subs:
        grouped[registration].add(sub)
    return grouped


def _role_changed(session: Session, upserted: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The upserted memberships whose role changed, read from the summaries (a student has
    one, a member of staff none; neither is refreshed yet): what their person wrote now counts
    differently, or stops counting, as contact from the course team."""
    if not upserted:
        return set()
    rows = session.execute(
        select(
            Membership.course_id, Membership.person_id, Membership.role, StudentSummary.course_id
        )
        .outerjoin(
            StudentSummary,
            (StudentSummary.course_id == Membership.course_id)
            & (StudentSummary.student_id == Membership.person_id),
        )
        .where(
            Membership.course_id.in_({course for course, _ in upserted}),
            Membership.person_id.in_({person for _, person in upserted}),
        )
    ).all()
    return {
        (course, person)
        for course, person, role, summarised in rows
        if (course, person) in upserted and (role is CourseRole.STAFF) == (summarised is not None)
    }


def summarise_members(
    session: Session,
    members: Iterable[tuple[int, int]],
    people: Iterable[int],
    subs: Iterable[tuple[int, str]],
    upserted: Iterable[tuple[int, int]],
) -> None:
    """What `tracking.defer_members` left for after the commit: the summaries of these people
    and memberships."""
    p = Pending(members=set(members), people=set(people), subs=set(subs), upserted=set(upserted))
    for course_id, students in sorted(resolve(session, p).items()):
        refresh(session, course_id, students)
