"""Finding a person by the identity their platform gives them: (issuer, `sub`), in every
registration of that issuer (LTI 1.3 Core §5.3.6: a `sub` is unique per issuer)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.models import Membership, Person, Registration


class UnknownPerson(LookupError):  # noqa: N818 - reads as what was looked for
    """Rapport holds nobody (not already erased) with this issuer and `sub`."""

    def __init__(self, issuer: str, sub: str) -> None:
        # i18n: not translated (only `rapport privacy …` shows it, to the operator)
        super().__init__(
            f"Rapport holds nobody with sub {sub!r} from the platform {issuer!r} "
            "(check the issuer with `rapport platform list`; an erased person is not listed)"
        )


def people_named(session: Session, issuer: str, sub: str) -> list[Person]:
    """The person's rows, one per registration of the issuer, oldest first; UnknownPerson
    when there is none."""
    people = list(
        session.scalars(
            select(Person)
            .join(Registration, Registration.id == Person.registration_id)
            .where(Registration.issuer == issuer, Person.sub == sub, Person.erased_at.is_(None))
            .order_by(Person.id)
        )
    )
    if not people:
        raise UnknownPerson(issuer, sub)
    return people


def course_ids_of(session: Session, person_ids: Iterable[int]) -> list[int]:
    """The courses where these people are (or were) members."""
    return sorted(
        set(
            session.scalars(
                select(Membership.course_id).where(Membership.person_id.in_(list(person_ids)))
            )
        )
    )


def identifiers(person: Person) -> list[str]:
    """What names the person in words others wrote about them (a title filled in with their
    name, say): their names and email address, longest first."""
    given_family = " ".join(p for p in (person.given_name, person.family_name) if p)
    words = {person.name, given_family, person.email, person.given_name, person.family_name}
    return sorted((w for w in words if w and len(w.strip()) > 1), key=len, reverse=True)


def without_names(text: str, names: Iterable[str], instead: str) -> str:
    """`text` with each whole-word mention of the names replaced by `instead`."""
    for name in names:
        pattern = re.compile(rf"(?<!\w){re.escape(name.strip())}(?!\w)", re.IGNORECASE)
        text = pattern.sub(instead, text)
    return text
