"""Reading claims: optional ones missing or null, unknown keys ignored."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lti_tool.lti.claims import (
    CLAIM_CUSTOM,
    COURSE_END_PARAM,
    CourseEndClaim,
    course_end_claim,
    read_claims,
)
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


# -- the course's end, from the custom parameter Canvas substitutes $Canvas.course.endAt into --
@pytest.mark.parametrize(
    ("value", "said"),
    [
        # Canvas's own forms (lib/lti/variable_expander.rb: its example, and its tests' UTC).
        ("2018-05-01 00:00:00 -0700", datetime(2018, 5, 1, 7, 0, tzinfo=UTC)),
        ("2019-04-21 17:01:36", datetime(2019, 4, 21, 17, 1, 36, tzinfo=UTC)),
        ("2019-04-21 17:01:36 UTC", datetime(2019, 4, 21, 17, 1, 36, tzinfo=UTC)),
        # ISO 8601, with and without an offset; a day alone ends when it does (UTC).
        ("2027-06-30T23:59:00Z", datetime(2027, 6, 30, 23, 59, tzinfo=UTC)),
        ("2027-06-30T23:59:00+02:00", datetime(2027, 6, 30, 21, 59, tzinfo=UTC)),
        (" 2027-06-30 ", datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC)),
        # The LMS says the course has no end.
        ("", None),
        (None, None),
    ],
)
def test_a_launch_says_when_its_course_ends(value, said):
    assert course_end_claim({COURSE_END_PARAM: value}) == CourseEndClaim(said)


@pytest.mark.parametrize(
    "custom",
    [
        {},  # Moodle, or a Canvas key installed before the parameter was asked for
        {COURSE_END_PARAM: "$Canvas.course.endAt"},  # not substituted
        {COURSE_END_PARAM: "next June"},
        {COURSE_END_PARAM: "2027-02-30"},
        {COURSE_END_PARAM: "2027-06-30 25:00:00"},
        {COURSE_END_PARAM: "1970-01-01T00:00:00Z"},  # an epoch, not a course's end
        {COURSE_END_PARAM: "2027-06-30" * 10},
        {COURSE_END_PARAM: 1782863999},
        {COURSE_END_PARAM: ["2027-06-30"]},
    ],
)
def test_a_launch_that_says_nothing_usable_of_the_end_leaves_it_unsaid(custom):
    assert course_end_claim(custom) is None


def test_the_end_comes_with_the_launch_claims():
    body = json.loads((FIXTURES / "canvas/id_token_resource_link.claims.json").read_text())
    assert read_claims(body, body["aud"]).course_end is None
    body[CLAIM_CUSTOM] = {**(body.get(CLAIM_CUSTOM) or {}), COURSE_END_PARAM: "2027-06-30"}
    claims = read_claims(body, body["aud"])
    assert claims.course_end == CourseEndClaim(datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC))
