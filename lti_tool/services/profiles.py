"""How people appear beside what they write: name and picture from the LMS (LTI 1.3 Core §5.3.6
`name`, `picture`), and a staff member's own profile for the course (pronouns, role title, a
short bio, how and when to reach them).

`author_cards` builds every card a page needs in one query, whatever the number of authors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from lti_tool.i18n import _, lazy_gettext, ngettext, speaking
from lti_tool.models import Membership, Person, StaffProfile
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import AuditAction, AuditFacts, listed, record_by, register_action
from lti_tool.services.markup import safe_html
from lti_tool.services.refusals import Refused
from lti_tool.services.upsert import upsert

MAX_PRONOUNS = 40
MAX_ROLE_TITLE = 80
MAX_BIO = 2_000
MAX_CONTACT = 1_000

# Dark enough for white initials at WCAG AA (contrast ≥ 4.5:1 against #fff).
AVATAR_COLOURS = ("#0b5cad", "#1b6e3a", "#8a3b12", "#6b2c91", "#a4161a", "#00616b", "#5c4b00")
_ROLE_WORD = {CourseRole.STAFF: "Staff", CourseRole.STUDENT: "Student", CourseRole.GUEST: "Guest"}


@dataclass(frozen=True)
class AuthorCard:
    """What is shown beside a person's words."""

    person_id: int
    name: str
    picture: str | None
    is_staff: bool
    pronouns: str | None = None
    role_title: str | None = None
    bio: str | None = None
    contact: str | None = None
    # Their data was erased (services/privacy): shown as a former member, their words gone.
    erased: bool = False

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.replace("-", " ").split() if p[:1].isalnum()]
        letters = "".join(p[0] for p in parts[:1] + parts[1:][-1:])
        return (letters or "?").upper()

    @property
    def colour(self) -> str:
        digest = hashlib.sha256(str(self.person_id).encode()).digest()
        return AVATAR_COLOURS[digest[0] % len(AVATAR_COLOURS)]

    @property
    def bio_html(self) -> str:
        return str(safe_html(self.bio)) if self.bio else ""

    @property
    def contact_html(self) -> str:
        return str(safe_html(self.contact)) if self.contact else ""


def picture_url(url: str | None) -> str | None:
    """The LMS picture, when it can be shown safely inside an https page: https only."""
    if not url or len(url) > 2_000 or not url.startswith("https://"):
        return None
    if any(ch in url for ch in "\"'<> \t\r\n\\"):
        return None
    return url


def card_for(person: Person, role: CourseRole | None, profile: StaffProfile | None) -> AuthorCard:
    role = role or CourseRole.GUEST
    is_staff = role is CourseRole.STAFF
    return AuthorCard(
        person_id=person.id,
        name=person.name_as(_ROLE_WORD[role]),
        picture=picture_url(person.picture),
        is_staff=is_staff,
        pronouns=profile.pronouns if profile and is_staff else None,
        role_title=profile.role_title if profile and is_staff else None,
        bio=profile.bio if profile and is_staff else None,
        contact=profile.contact if profile and is_staff else None,
        erased=person.erased_at is not None,
    )


def author_cards(
    session: Session, course_id: int, person_ids: Iterable[int]
) -> dict[int, AuthorCard]:
    """A card for each person, by id, in one query."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.execute(_CARDS, {"course_id": course_id, "ids": ids}).all()
    return {
        person.id: card_for(person, CourseRole(role) if role else None, profile)
        for person, role, profile in rows
    }


def _cards() -> Select[Person, CourseRole, StaffProfile]:
    """`author_cards`' statement, built once with the course and the people as parameters."""
    course = bindparam("course_id", type_=Integer)
    return (
        select(Person, Membership.role, StaffProfile)
        .outerjoin(
            Membership, (Membership.person_id == Person.id) & (Membership.course_id == course)
        )
        .outerjoin(
            StaffProfile,
            (StaffProfile.person_id == Person.id) & (StaffProfile.course_id == course),
        )
        .where(Person.id.in_(bindparam("ids", expanding=True)))
    )


_CARDS = _cards()


def can_edit_profile(grant: CourseGrant) -> bool:
    """Staff present themselves to the course; students' names come from the LMS only."""
    return grant.is_staff


@dataclass(frozen=True)
class ProfileForm:
    pronouns: str = ""
    role_title: str = ""
    bio: str = ""
    contact: str = ""


def _too_long(key: str, limit: int, length: int) -> str:
    """What to fix in a field of the profile that is longer than `limit`."""
    if key == "pronouns":
        return ngettext(
            "Pronouns can be at most %(num)d character (%(length)d now).",
            "Pronouns can be at most %(num)d characters (%(length)d now).",
            limit,
            length=length,
        )
    if key == "role_title":
        return ngettext(
            "Role title can be at most %(num)d character (%(length)d now).",
            "Role title can be at most %(num)d characters (%(length)d now).",
            limit,
            length=length,
        )
    if key == "bio":
        return ngettext(
            "About you can be at most %(num)d character (%(length)d now).",
            "About you can be at most %(num)d characters (%(length)d now).",
            limit,
            length=length,
        )
    return ngettext(
        "How to reach you can be at most %(num)d character (%(length)d now).",
        "How to reach you can be at most %(num)d characters (%(length)d now).",
        limit,
        length=length,
    )


def _clean(value: str, limit: int, errors: dict[str, str], key: str) -> str | None:
    text = value.strip()
    if len(text) > limit:
        errors[key] = _too_long(key, limit, len(text))
    return text or None


def profile_for(session: Session, course_id: int, person_id: int) -> StaffProfile | None:
    return session.scalar(
        select(StaffProfile).where(
            StaffProfile.course_id == course_id, StaffProfile.person_id == person_id
        )
    )


# What students read beside a staff member's name, as the activity log names each part. An
# entry stores them in English, and the log says them in its reader's language.
PROFILE_PARTS = {
    "pronouns": lazy_gettext("pronouns"),
    "role_title": lazy_gettext("role title"),
    "bio": lazy_gettext("about them"),
    "contact": lazy_gettext("how to reach them"),
}


def _in_english(part: object) -> str:
    with speaking("en"):
        return str(part)


def _part_said(stored: str) -> str:
    """A part as an entry stored it (English), in the reader's language."""
    for part in PROFILE_PARTS.values():
        if _in_english(part) == stored:
            return str(part)
    return stored


def _profile_updated(facts: AuditFacts) -> str:
    changed = facts.details.get("changed")
    parts = [_part_said(str(part)) for part in changed] if isinstance(changed, list) else []
    if parts:
        return _("updated their staff profile (%(parts)s)", parts=listed(parts))
    return _("updated their staff profile")


PROFILE_UPDATED = register_action(AuditAction("profile.updated", _profile_updated))


def save_profile(
    session: Session, grant: CourseGrant, form: ProfileForm, now: datetime | None = None
) -> StaffProfile:
    """Store the staff member's profile for this course; Refused(400) says what to fix. What
    changed goes in the course's activity log: students read it beside the person's name."""
    errors: dict[str, str] = {}
    values = {
        "pronouns": _clean(" ".join(form.pronouns.split()), MAX_PRONOUNS, errors, "pronouns"),
        "role_title": _clean(
            " ".join(form.role_title.split()), MAX_ROLE_TITLE, errors, "role_title"
        ),
        "bio": _clean(form.bio, MAX_BIO, errors, "bio"),
        "contact": _clean(form.contact, MAX_CONTACT, errors, "contact"),
    }
    if errors:
        raise Refused(400, "; ".join(errors.values()), errors)
    keys = {"course_id": grant.course_id, "person_id": grant.person_id}
    profile_id = upsert(session, StaffProfile, keys, {}, update=False)  # two tabs saving at once
    profile = session.get_one(StaffProfile, profile_id)
    changed = [
        _in_english(PROFILE_PARTS[name])
        for name, value in values.items()
        if getattr(profile, name) != value
    ]
    for name, value in values.items():
        setattr(profile, name, value)
    session.flush()
    if changed:
        record_by(session, grant, PROFILE_UPDATED, details={"changed": changed}, now=now)
    return profile
