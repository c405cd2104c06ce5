"""LIS roles → role in the course, as docs/product.md's table says."""

from __future__ import annotations

import pytest

from lti_tool.lti.roles import course_role, leads_course
from lti_tool.models.course import CourseRole

M = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INST = "http://purl.imsglobal.org/vocab/lis/v2/institution/person"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([f"{M}#Instructor"], CourseRole.STAFF),
        ([f"{M}/Instructor#TeachingAssistant"], CourseRole.STAFF),
        ([f"{M}#TeachingAssistant"], CourseRole.STAFF),
        ([f"{M}#ContentDeveloper"], CourseRole.STAFF),
        ([f"{M}#Administrator"], CourseRole.STAFF),
        (["Instructor"], CourseRole.STAFF),
        (["TeachingAssistant"], CourseRole.STAFF),
        ([f"{M}#Learner"], CourseRole.STUDENT),
        (["Learner"], CourseRole.STUDENT),
        ([f"{M}/Learner#Learner"], CourseRole.STUDENT),
        ([f"{M}#Learner", f"{M}#Instructor"], CourseRole.STAFF),
        ([f"{M}#Mentor"], CourseRole.GUEST),
        ([f"{M}/Mentor#Advisor"], CourseRole.GUEST),
        ([f"{INST}#Instructor"], CourseRole.GUEST),  # institution roles say nothing of this course
        ([f"{INST}#Administrator", f"{INST}#Student"], CourseRole.GUEST),
        (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], CourseRole.GUEST),
        (["http://example.org/custom#Wizard"], CourseRole.GUEST),
        ([], CourseRole.GUEST),
        ([None, 3, ""], CourseRole.GUEST),
    ],
)
def test_course_role(roles, expected):
    assert course_role(roles) is expected


@pytest.mark.parametrize(
    ("roles", "leads"),
    [
        ([M + "#Instructor"], True),
        (["Instructor"], True),
        ([M + "#Administrator"], True),
        ([M + "/Instructor#TeachingAssistant"], False),
        ([M + "#TeachingAssistant"], False),
        ([M + "#Instructor", M + "/Instructor#TeachingAssistant"], False),
        ([M + "#ContentDeveloper"], False),
        ([M + "#Learner"], False),
        ([], False),
    ],
)
def test_who_runs_the_course_and_who_assists(roles, leads):
    assert leads_course(roles) is leads
