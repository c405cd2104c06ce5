"""Reading claims: optional ones missing or null, unknown keys ignored."""

from __future__ import annotations

import json

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
