"""Erasing a person (issue 18): in every course, in one transaction, everything Rapport holds
about them, keeping the shape of what others wrote with them.

After `erase_person` no column holds their name, email, picture, `sub` or words: their row
stays (its id keeps threads, replies and the activity log in shape, each showing "Former
member" or "Former student"), with `sub` replaced by a random token and `erased_at` set;
`erasures` keeps a keyed hash of their identity and who asked, when — not what was erased.
Their memberships stay, inactive: a session they still hold opens nothing
(`services/entry.py`). What happens to their words is `words`'s to say. Facts with no words
and no name (a thread's times, a score, who answered whom when) stay, now about nobody.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import transaction
from lti_tool.i18n import keep
from lti_tool.models import (
    CheckIn,
    CheckInResponse,
    GradeDelivery,
    Membership,
    Notification,
    NotificationPreference,
    Occurrence,
    Person,
    PersonErasure,
    PostView,
    Reaction,
    StaffProfile,
    StudentFlag,
    ThreadRead,
    TutorAllocation,
)
from lti_tool.models.grades import DeliveryStatus
from lti_tool.observability.events import person_erased
from lti_tool.services.checkins import urgency
from lti_tool.services.privacy import words
from lti_tool.services.privacy.erasures import record_erasure
from lti_tool.services.privacy.people import course_ids_of, identifiers, people_named
from lti_tool.services.tutors.service import end_allocations

# A score on its way to the LMS for them can no longer name them to it. Stored as `keep` makes
# it, as the grade worker's words are: shown on the grades page in each reader's language.
NOT_SENT = keep("Not sent: this person's data was erased.")


@dataclass(frozen=True)
class Erased:
    """What an erasure reports to whoever ran it (and keeps nowhere)."""

    erasure: PersonErasure
    people: int  # their rows: one per registration of the issuer
    courses: int


def erasure_scope(session: Session, issuer: str, sub: str) -> tuple[int, int]:
    """How many rows of theirs (one per registration) and courses an erasure would touch,
    for the operator to confirm; UnknownPerson when there is nobody to erase."""
    ids = [person.id for person in people_named(session, issuer, sub)]
    courses = session.scalar(
        select(func.count(Membership.course_id.distinct())).where(Membership.person_id.in_(ids))
    )
    return len(ids), int(courses or 0)


def erase_committed(
    sessions: sessionmaker[Session],
    key: str,
    issuer: str,
    sub: str,
    requested_by: str,
    now: datetime,
) -> Erased:
    """`erase_person` in a transaction of its own, logged once it has committed."""
    with transaction(sessions) as session:
        erased = erase_person(session, key, issuer, sub, requested_by, now)
    person_erased(erased.erasure.id, erased.erasure.requested_by)
    return erased


def erase_person(
    session: Session, key: str, issuer: str, sub: str, requested_by: str, now: datetime
) -> Erased:
    """Erase the person in the caller's transaction (the caller commits); UnknownPerson when
    Rapport holds nobody with this issuer and `sub`."""
    people = people_named(session, issuer, sub)
    courses: set[int] = set()
    for person in people:
        courses.update(_erase_one(session, person, now))
    erasure = record_erasure(session, key, issuer, sub, requested_by, now)
    return Erased(erasure, len(people), len(courses))


def _erase_one(session: Session, person: Person, now: datetime) -> list[int]:
    course_ids = course_ids_of(session, [person.id])
    names = identifiers(person)
    words.erase_conversations(session, person.id, names)
    posts = words.erase_posts(session, person.id)
    words.erase_from_activity_log(session, course_ids, person.id, posts, names)
    words.erase_from_links(session, course_ids, [person.sub, *names])
    words.erase_from_materials(session, person.id, names)
    _erase_checkin_answers(session, person.id)
    _erase_their_rows(session, person.id)
    _end_tutoring(session, person.id, now)
    _stop_grades(session, person.id)
    session.execute(
        update(Membership)
        .where(Membership.person_id == person.id)
        .values(active=False, section=None)
    )
    _forget_identity(person, now)
    session.flush()
    return course_ids


def _erase_checkin_answers(session: Session, person_id: int) -> None:
    """Their answers go; the weeks' triage tallies are counted again without them."""
    answered = session.execute(
        select(CheckIn.course_id, CheckIn.id)
        .join(Occurrence, Occurrence.checkin_id == CheckIn.id)
        .join(CheckInResponse, CheckInResponse.occurrence_id == Occurrence.id)
        .where(CheckInResponse.student_id == person_id)
        .distinct()
    ).all()
    session.execute(
        delete(CheckInResponse)
        .where(CheckInResponse.student_id == person_id)
        .execution_options(synchronize_session=False)
    )
    for course_id, checkin_id in sorted(answered):
        urgency.refresh(session, course_id, checkin_id)


def _erase_their_rows(session: Session, person_id: int) -> None:
    """Rows that are only about them: profile, settings, mail, what they read or reacted to,
    flags on them; and a flag's note they wrote about someone else."""
    for model, column in (
        (StaffProfile, StaffProfile.person_id),
        (NotificationPreference, NotificationPreference.person_id),
        (Notification, Notification.recipient_id),
        (ThreadRead, ThreadRead.person_id),
        (PostView, PostView.person_id),
        (Reaction, Reaction.person_id),
        (StudentFlag, StudentFlag.student_id),
    ):
        session.execute(
            delete(model).where(column == person_id).execution_options(synchronize_session=False)
        )
    session.execute(
        update(StudentFlag).where(StudentFlag.flagged_by_id == person_id).values(note=None)
    )


def _end_tutoring(session: Session, person_id: int, now: datetime) -> None:
    """Their current tutor, or their tutees' tutor (them), no longer: the history stays."""
    current = session.scalars(
        select(TutorAllocation.id).where(
            or_(TutorAllocation.student_id == person_id, TutorAllocation.tutor_id == person_id),
            TutorAllocation.ended_at.is_(None),
        )
    )
    end_allocations(session, list(current), now)


def _stop_grades(session: Session, person_id: int) -> None:
    """Their scores keep their numbers and lose their comments; one not yet sent is not sent
    (the LMS would need their `sub`), and the platform's words about them go."""
    session.execute(
        update(GradeDelivery)
        .where(GradeDelivery.person_id == person_id)
        .values(comment=None, last_error=None)
    )
    session.execute(
        update(GradeDelivery)
        .where(
            GradeDelivery.person_id == person_id,
            GradeDelivery.status.in_([DeliveryStatus.WAITING, DeliveryStatus.FAILED]),
        )
        .values(status=DeliveryStatus.FAILED, last_error=NOT_SENT)
    )


def _forget_identity(person: Person, now: datetime) -> None:
    person.sub = f"erased:{secrets.token_hex(16)}"
    person.name = person.given_name = person.family_name = None
    person.email = person.picture = person.locale = None
    person.erased_at = now
