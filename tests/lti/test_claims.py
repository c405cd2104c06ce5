"""Reading claims: optional ones missing or null, unknown keys ignored."""

from __future__ import annotations

import json

import pytest

from lti_tool.lti.claims import read_claims
from lti_tool.models.course import CourseRole
from tests.fixtures import FIXTURES


def test_moodle_teacher_claims():
    body = json.loads((FIXTURES / "moodle-4.5/id_token_teacher_launch.claims.json").read_text())
    claims = read_claims(body, body["aud"])
    assert claims.role is CourseRole.STAFF
    assert claims.context_id == "2"
    assert claims.product_family == "moodle"
    assert claims.nrps_url.endswith("/CourseSection/2/bindings/1/memberships")
    assert claims.ags_endpoint["lineitem"].endswith("lineitem?type_id=1")
    assert claims.locale == "en"
    assert claims.resource_link_id == "1"


def test_canvas_claims_with_validation_context_keys():
    body = json.loads((FIXTURES / "canvas/id_token_resource_link.claims.json").read_text())
    claims = read_claims(body, body["aud"])
    assert claims.role is CourseRole.STUDENT
    assert claims.picture and claims.picture.startswith("https://")
    assert claims.product_family == "canvas"
    assert claims.ags_endpoint is not None and "errors" not in claims.ags_endpoint
    assert claims.context_title == "Computer Science 101"


def test_minimal_claims():
    body = {
        "iss": "i",
        "sub": 42,
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "d",
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/roles": [],
        "https://purl.imsglobal.org/spec/lti/claim/context": None,
        "https://purl.imsglobal.org/spec/lti/claim/tool_platform": None,
    }
    claims = read_claims(body, "c")
    assert claims.sub == "42"
    assert claims.context_id == "deployment:d"
    assert claims.name is None and claims.nrps_url is None and claims.ags_endpoint is None


def _with_custom(custom: object, context_id: str = "new-term") -> dict[str, object]:
    return {
        "iss": "i",
        "sub": "s",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "d",
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/roles": [],
        "https://purl.imsglobal.org/spec/lti/claim/context": {"id": context_id},
        "https://purl.imsglobal.org/spec/lti/claim/custom": custom,
    }


def test_a_copied_courses_history_is_read_most_recent_first():
    """Canvas substitutes `$Context.id.history` into a comma-separated list of the courses
    the course was copied from, the most recent first (issue 18)."""
    claims = read_claims(_with_custom({"context_id_history": " last-term ,first-term"}), "c")
    assert claims.context_history == ("last-term", "first-term")


@pytest.mark.parametrize(
    "custom",
    [
        None,
        {},
        {"context_id_history": "$Context.id.history"},  # a platform that does not substitute
        {"context_id_history": ""},
        {"context_id_history": ["last-term"]},
        {"context_id_history": " , new-term,"},  # empty, and the course itself
    ],
)
def test_no_history_when_the_platform_tells_none(custom):
    assert read_claims(_with_custom(custom), "c").context_history == ()


def test_a_history_keeps_each_course_once_and_at_most_twenty():
    ids = ",".join(f"term-{n % 30}" for n in range(60)) + ",bad\x00id"
    history = read_claims(_with_custom({"context_id_history": ids}), "c").context_history
    assert history == tuple(f"term-{n}" for n in range(20))
