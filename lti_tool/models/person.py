"""A person as the platform identifies them: (registration, `sub`) — LTI 1.3 Core §5.3.6."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, literal_column
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base, utcnow
from lti_tool.i18n import _


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("registration_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    picture: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(String(35))
    # Set when their data was erased (services/privacy): the row stays, holding nothing about
    # them, so that what others wrote to them keeps its shape; shown as a former member.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        return self.name_as("Person")

    @property
    def short_code(self) -> str:
        """Four stable characters that tell people apart when the platform withholds names."""
        return short_code(self)

    def name_as(self, role_word: str) -> str:
        """The name to show; a stable, readable fallback ("Student 4f2a") when it is withheld
        (Moodle privacy settings, Canvas privacy levels)."""
        return name_as(self, role_word)


class NameParts(Protocol):
    """What a person's shown name is made of: a Person, or a row of a list that read only
    these columns of them (long lists read columns, not objects)."""

    registration_id: int
    sub: str
    name: str | None
    given_name: str | None
    family_name: str | None
    email: str | None
    erased_at: datetime | None


NAME_PARTS = ("registration_id", "sub", "name", "given_name", "family_name", "email", "erased_at")
# What an erased person's words are replaced with where they are stored (services/privacy);
# pages name them in the reader's language (`name_as`).
FORMER_STUDENT = "Former student"
FORMER_MEMBER = "Former member"


def short_code(who: NameParts) -> str:
    return hashlib.sha256(f"{who.registration_id}:{who.sub}".encode()).hexdigest()[:4]


def name_as(who: NameParts, role_word: str) -> str:
    """Their name; else, in the reader's language, a stand-in made of `role_word` (an English
    key: "Student", "Staff", "Tutor", "Guest", "Person") and their short code."""
    if who.erased_at is not None:
        return _("Former student") if role_word == "Student" else _("Former member")
    if who.name:
        return who.name
    joined = " ".join(part for part in (who.given_name, who.family_name) if part)
    if joined:
        return joined
    if who.email:
        return who.email
    code = short_code(who)
    stand_in = _STAND_INS.get(role_word)
    return stand_in(code) if stand_in else f"{role_word} {code}"


_STAND_INS: dict[str, Callable[[str], str]] = {
    "Student": lambda code: _("Student %(code)s", code=code),
    "Staff": lambda code: _("Staff %(code)s", code=code),
    "Tutor": lambda code: _("Tutor %(code)s", code=code),
    "Guest": lambda code: _("Guest %(code)s", code=code),
    "Person": lambda code: _("Person %(code)s", code=code),
}


# Lists of people run by name as `services.roster.people.sort_name` writes it (without regard to
# case, nameless last); indexed on that very expression, a page of a big course's names is read
# in order instead of sorting the course.
Index(
    "ix_person_sort_name",
    func.lower(
        func.coalesce(
            Person.name, Person.family_name, Person.given_name, Person.email, literal_column("'~'")
        )
    ),
    Person.id,
)
