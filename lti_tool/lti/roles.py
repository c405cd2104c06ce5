"""LIS role vocabularies → a person's role in one course (LTI 1.3 Core §5.3.7, Appendix A.2).

Only context (membership) roles decide: institution and system roles say nothing about this
course. Short names ("Instructor"), full URIs, and sub-roles
(`membership/Instructor#TeachingAssistant`) are all understood; unknown roles are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from lti_tool.models.course import CourseRole

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
_STAFF = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"}
_STUDENT = {"Learner"}


def context_role_names(roles: Iterable[object]) -> set[str]:
    """The context role names (principal and sub-role) named by a roles claim."""
    names: set[str] = set()
    for role in roles:
        if not isinstance(role, str) or not role:
            continue
        if role.startswith(_MEMBERSHIP):
            rest = role[len(_MEMBERSHIP) :]  # "#Instructor" or "/Instructor#TeachingAssistant"
            principal, _, sub = rest.lstrip("/#").partition("#")
            names.update(n for n in (principal, sub) if n)
        elif "/" not in role and "#" not in role and ":" not in role:
            names.add(role)  # a short name, deprecated but sent by some platforms (and NRPS)
    return names


def course_role(roles: Iterable[object]) -> CourseRole:
    names = context_role_names(roles)
    if names & _STAFF:
        return CourseRole.STAFF
    if names & _STUDENT:
        return CourseRole.STUDENT
    return CourseRole.GUEST


_LEADS = {"Instructor", "Administrator"}
_ASSISTS = {"TeachingAssistant"}


def leads_course(roles: Iterable[object]) -> bool:
    """Whether the person runs the course (Instructor or course Administrator) rather than
    assists in it: a TeachingAssistant anywhere in the claim, also as a sub-role of Instructor
    (`membership/Instructor#TeachingAssistant`), makes them an assistant."""
    names = context_role_names(roles)
    return bool(names & _LEADS) and not names & _ASSISTS
