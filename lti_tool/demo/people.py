"""The demo course and its people: the roster the demo LMS launches and serves over NRPS.

Roles are full LIS URIs (LTI 1.3 Core §5.3.7, Appendix A.2). Each person adds an institution
role, which says nothing about this course, so a tool that reads it as a course role is caught.
One student withholds every name claim, as a privacy-restricted LMS account does (Core §5.3.6).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTRUCTOR = MEMBERSHIP + "#Instructor"
TEACHING_ASSISTANT = MEMBERSHIP + "/Instructor#TeachingAssistant"
LEARNER = MEMBERSHIP + "#Learner"
INSTITUTION_FACULTY = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty"
INSTITUTION_STUDENT = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

# Subs stay the same whatever port or host the demo runs on.
_SUB_NAMESPACE = uuid.UUID("5b0f7b2e-3c4d-4f44-9a55-6a1d3e2f0c11")


@dataclass(frozen=True)
class DemoPerson:
    person_id: str  # what the demo LMS sends as login_hint
    role_label: str  # "Instructor", "Teaching assistant", "Student"
    context_roles: tuple[str, ...]
    institution_roles: tuple[str, ...] = ()
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None

    @property
    def sub(self) -> str:
        return str(uuid.uuid5(_SUB_NAMESPACE, self.person_id))

    @property
    def name(self) -> str | None:
        joined = " ".join(p for p in (self.given_name, self.family_name) if p)
        return joined or None

    @property
    def label(self) -> str:
        """How the demo pages name this person, also when the LMS withholds the name."""
        return self.name or "Student with a private profile"

    @property
    def is_staff(self) -> bool:
        return self.role_label != "Student"

    @property
    def launch_roles(self) -> list[str]:
        return [*self.context_roles, *self.institution_roles]


@dataclass(frozen=True)
class DemoLink:
    """A resource link placed in the demo course."""

    link_id: str
    title: str
    text: str = ""


@dataclass(frozen=True)
class DemoCourse:
    context_id: str
    label: str
    title: str
    people: tuple[DemoPerson, ...]
    history: tuple[str, ...] = ()  # the courses it was copied from, most recent first

    @cached_property
    def subs(self) -> frozenset[str]:
        """Every person's sub (a UUID worked out from the person's id, so worked out once)."""
        return frozenset(p.sub for p in self.people)

    def person(self, person_id: str) -> DemoPerson | None:
        return next((p for p in self.people if p.person_id == person_id), None)

    def person_by_sub(self, sub: str) -> DemoPerson | None:
        return next((p for p in self.people if p.sub == sub), None)

    @property
    def staff(self) -> list[DemoPerson]:
        return [p for p in self.people if p.is_staff]

    @property
    def students(self) -> list[DemoPerson]:
        return [p for p in self.people if not p.is_staff]


def _student(person_id: str, given: str | None, family: str | None) -> DemoPerson:
    mailbox = person_id.removeprefix("student-").replace("-", ".")
    email = f"{mailbox}@students.example.edu" if given else None
    return DemoPerson(
        person_id, "Student", (LEARNER,), (INSTITUTION_STUDENT,), given, family, email
    )


RAPPORT_LINK = DemoLink(
    "demo-link-rapport", "Rapport", "Meet your teaching team, check in, and get feedback."
)

COURSE = DemoCourse(
    context_id="demo-course-101",
    label="PSY101",
    title="Foundations of Psychology",
    people=(
        DemoPerson(
            "instructor-margaret-chen",
            "Instructor",
            (INSTRUCTOR,),
            (INSTITUTION_FACULTY,),
            "Margaret",
            "Chen",
            "m.chen@example.edu",
        ),
        DemoPerson(
            "ta-tomas-rivera",
            "Teaching assistant",
            (TEACHING_ASSISTANT,),
            (INSTITUTION_STUDENT,),
            "Tomás",
            "Rivera",
            "t.rivera@example.edu",
        ),
        _student("student-amara-okafor", "Amara", "Okafor"),
        _student("student-liam-obrien", "Liam", "O'Brien"),
        _student("student-priya-raman", "Priya", "Raman"),
        _student("student-jonas-weber", "Jonas", "Weber"),
        _student("student-sofia-rossi", "Sofia", "Rossi"),
        _student("student-kenji-watanabe", "Kenji", "Watanabe"),
        _student("student-fatima-al-sayed", "Fatima", "Al-Sayed"),
        _student("student-noah-williams", "Noah", "Williams"),
        _student("student-zoe-dubois", "Zoë", "Dubois"),
        _student("student-mateus-silva", "Mateus", "Silva"),
        _student("student-private", None, None),
    ),
)
