"""A course in the test database for the activity log's tests: an instructor, a teaching
assistant and two students (by name), grants for each, and the entries recorded so far."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.db import transaction
from lti_tool.models import AuditEntry, Course, Membership, Person, Registration
from lti_tool.models.course import CourseRole
from lti_tool.services.access import CourseGrant
from lti_tool.services.audit import activity_page

T0 = datetime(2027, 1, 25, 9, 0, tzinfo=UTC)
INSTRUCTOR_ROLES = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
ASSISTANT_ROLES = ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"]
PEOPLE = {
    "Margaret Chen": (CourseRole.STAFF, True),  # instructor
    "Tomás Ruiz": (CourseRole.STAFF, False),  # teaching assistant
    "Amara Okafor": (CourseRole.STUDENT, None),
    "Ben Adler": (CourseRole.STUDENT, None),
}


@dataclass(frozen=True)
class Logged:
    """One entry as the tests compare it."""

    action: str
    actor: int | None
    subject: str | None
    about: int | None
    details: dict[str, Any]


@dataclass
class World:
    sessions: Any
    course_id: int
    registration_id: int
    ids: dict[str, int] = field(default_factory=dict)

    def grant(self, name: str) -> CourseGrant:
        role, leads = PEOPLE[name]
        return CourseGrant(self.course_id, self.ids[name], role, leads=leads)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def entries(self) -> list[Logged]:
        """Every entry of the course, oldest first."""
        with self.session() as session:
            rows = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.course_id == self.course_id)
                .order_by(AuditEntry.id)
            ).all()
            return [
                Logged(e.action, e.actor_id, e.subject, e.subject_person_id, dict(e.details))
                for e in rows
            ]

    def actions(self) -> list[str]:
        return [entry.action for entry in self.entries()]

    def sentences(self) -> list[str]:
        """The page's lines, newest first, as one plain sentence each (moments in ISO)."""
        with self.session() as session:
            page = activity_page(session, self.grant("Margaret Chen"))
        return [
            line.who + " " + "".join(p if isinstance(p, str) else p.isoformat() for p in line.what)
            for line in page.lines
        ]

    def add_course(self, context_id: str) -> int:
        with self.session() as session:
            course = Course(registration_id=self.registration_id, context_id=context_id)
            session.add(course)
            session.flush()
            return course.id


def build_world(sessions: Any, context_id: str = "course-1") -> World:
    with transaction(sessions) as session:
        registration = Registration(
            issuer="https://lms.example.edu",
            client_id=f"client-{context_id}",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
        )
        session.add(registration)
        session.flush()
        course = Course(registration_id=registration.id, context_id=context_id, title="Poetry")
        session.add(course)
        session.flush()
        world = World(sessions, course.id, registration.id)
        for name, (role, leads) in PEOPLE.items():
            person = Person(registration_id=registration.id, sub=name.lower(), name=name)
            session.add(person)
            session.flush()
            lti_roles = [] if leads is None else INSTRUCTOR_ROLES if leads else ASSISTANT_ROLES
            session.add(
                Membership(course_id=course.id, person_id=person.id, role=role, lti_roles=lti_roles)
            )
            world.ids[name] = person.id
    return world
