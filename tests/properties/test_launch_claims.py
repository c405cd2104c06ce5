"""Property: whatever claims a registered platform signs into an id_token, the launch never
answers 5xx (issue 13). A launch the spec allows lands in a course; one it forbids is a 4xx page
that says why.

Claims are drawn around a valid launch (LTI 1.3 Core §5, Deep Linking 2.0 §4.4, AGS and NRPS
claims), signed with the test platform's real key and posted through the real OIDC login and
launch. Three families: launches that stay valid however odd their optional claims are; a valid
launch broken in exactly one required way; and claims of any JSON type at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.platform import DROP, INSTRUCTOR, LEARNER, LTI
from tests.properties.launches import InProcessLms, in_process_lms
from tests.properties.strategies import hostile_text, huge_integers, json_values, odd_urls

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
STAFF_ROLES = [
    INSTRUCTOR,
    MEMBERSHIP + "#Administrator",
    MEMBERSHIP + "#ContentDeveloper",
    MEMBERSHIP + "#TeachingAssistant",
    MEMBERSHIP + "/Instructor#TeachingAssistant",
    "Instructor",  # short names: deprecated, still sent
    "TeachingAssistant",
]
STUDENT_ROLES = [LEARNER, MEMBERSHIP + "/Learner#Learner", "Learner"]
# Roles that make nobody staff: other vocabularies, LTI 1.1 URNs, garbage, wrong types.
OTHER_ROLES = st.one_of(
    st.sampled_from(
        [
            MEMBERSHIP + "#Mentor",
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
            "http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin",
            "urn:lti:role:ims/lis/Instructor",
            MEMBERSHIP + "#",
            MEMBERSHIP + "/#",
            "#Instructor#",
            "",
        ]
    ),
    hostile_text.filter(lambda r: r.strip("/#") not in {"Instructor", "Administrator"}),
    json_values().filter(lambda r: not isinstance(r, str)),
)


def canvas(claim: dict[str, Any]) -> dict[str, Any]:
    """Canvas puts these two keys inside every claim object."""
    return {**claim, "validation_context": None, "errors": {"errors": {}}}


def maybe_canvas(claim: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(claim, claim.map(canvas))


wrong_type = json_values()
optional_text = st.one_of(hostile_text, wrong_type)
claim_text = st.one_of(optional_text, st.just(DROP))  # DROP: a claim the platform left out
return_urls = st.sampled_from(
    [
        "https://lms.example.edu/deep_links",
        "http://lms.example.edu:8080/courses/1/deep_linking_response?modal=true",
        "https://[2001:db8::1]/return",
        "HTTPS://LMS.EXAMPLE.EDU/",
    ]
)
optional_claims = st.fixed_dictionaries(
    {},
    optional={
        "name": claim_text,
        "given_name": claim_text,
        "family_name": claim_text,
        "email": claim_text,
        "picture": st.one_of(odd_urls, wrong_type),
        "locale": optional_text,
        LTI + "context": st.one_of(
            st.just(DROP),
            wrong_type,
            maybe_canvas(
                st.fixed_dictionaries(
                    {"id": json_values()},
                    optional={"title": optional_text, "label": optional_text, "type": wrong_type},
                )
            ),
        ),
        LTI + "custom": st.one_of(wrong_type, st.dictionaries(hostile_text, json_values())),
        LTI + "launch_presentation": st.one_of(
            wrong_type,
            maybe_canvas(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "return_url": st.one_of(odd_urls, wrong_type),
                        "locale": optional_text,
                        "document_target": optional_text,
                        "width": wrong_type,
                    },
                )
            ),
        ),
        LTI + "lis": st.one_of(
            wrong_type,
            st.fixed_dictionaries(
                {},
                optional={
                    "course_section_sourcedid": optional_text,
                    "person_sourcedid": wrong_type,
                },
            ),
        ),
        LTI + "tool_platform": st.one_of(
            wrong_type,
            maybe_canvas(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "product_family_code": optional_text,
                        "name": optional_text,
                        "guid": optional_text,
                    },
                )
            ),
        ),
        NRPS: st.one_of(
            wrong_type,
            maybe_canvas(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "context_memberships_url": st.one_of(odd_urls, wrong_type),
                        "service_versions": wrong_type,
                    },
                )
            ),
        ),
        AGS: st.one_of(
            wrong_type,
            maybe_canvas(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "scope": st.one_of(st.lists(hostile_text, max_size=3), wrong_type),
                        "lineitems": st.one_of(odd_urls, wrong_type),
                        "lineitem": st.one_of(odd_urls, wrong_type),
                    },
                )
            ),
        ),
        LTI + "target_link_uri": st.one_of(odd_urls, wrong_type),
        "https://www.instructure.com/placement": wrong_type,
        "azp": st.just("client-1"),
    },
)
# JWT requires `sub` to be a string (RFC 7519 §4.1.2); LTI, one a database can store.
valid_subs = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=255
).filter(str.strip)


@st.composite
def valid_launches(draw: st.DrawFn) -> tuple[dict[str, Any], bool, bool]:
    """Claims the spec allows, however odd: (changes, is deep linking, is staff)."""
    staff = draw(st.lists(st.sampled_from(STAFF_ROLES), max_size=2))
    students = draw(st.lists(st.sampled_from(STUDENT_ROLES), max_size=2))
    others = draw(st.lists(OTHER_ROLES, max_size=3))
    roles = draw(st.permutations(staff + students + others))
    changes = {
        **draw(optional_claims),
        "sub": draw(valid_subs),
        LTI + "roles": roles,
    }
    deep_linking = draw(st.booleans())
    if deep_linking:
        changes[LTI + "message_type"] = "LtiDeepLinkingRequest"
        changes[LTI + "resource_link"] = draw(st.one_of(st.just(DROP), wrong_type))
        changes[DL] = draw(
            maybe_canvas(
                st.fixed_dictionaries(
                    {"deep_link_return_url": return_urls},
                    optional={
                        "accept_types": st.one_of(
                            st.lists(st.sampled_from(["ltiResourceLink", "link", "file"])),
                            wrong_type,
                        ),
                        "accept_presentation_document_targets": wrong_type,
                        "accept_multiple": wrong_type,
                        "accept_lineitem": wrong_type,
                        "auto_create": wrong_type,
                        "title": optional_text,
                        "text": optional_text,
                        "data": wrong_type,
                    },
                )
            )
        )
    else:
        link = {"id": draw(json_values().filter(bool)), "title": draw(optional_text)}
        changes[LTI + "resource_link"] = draw(maybe_canvas(st.just(link)))
    return changes, deep_linking, bool(staff)


# One required thing broken in a valid launch; each must be refused, whatever else it holds.
def missing_or(claim: str, wrong: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({claim: st.one_of(st.just(DROP), wrong)})


def other_than(*allowed: Any) -> st.SearchStrategy[Any]:
    return wrong_type.filter(lambda v: v not in allowed)


def not_a(kind: type) -> st.SearchStrategy[Any]:
    return wrong_type.filter(lambda v: not isinstance(v, kind))


not_http = st.one_of(
    st.sampled_from(["javascript:alert(1)", "data:,x", "ftp://lms.example.edu/", "/x"]), wrong_type
).filter(lambda v: v and not str(v).startswith(("http:", "https:")))
BROKEN: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "message type": missing_or(
        LTI + "message_type",
        st.one_of(
            other_than("LtiResourceLinkRequest", "LtiDeepLinkingRequest"),
            st.sampled_from(
                ["LtiSubmissionReviewRequest", "ltiresourcelinkrequest", "LtiDeepLinkingRequest "]
            ),
        ),
    ),
    "version": missing_or(LTI + "version", other_than("1.3.0")),
    "deployment": missing_or(LTI + "deployment_id", other_than("dep-1")),
    "user": missing_or(
        "sub",
        st.one_of(
            st.sampled_from([None, True, "", "   ", "\x00", "a\udfff", "x" * 256, 1.5, [], {}]),
            huge_integers,  # RFC 7519: a string
        ),
    ),
    "roles": missing_or(LTI + "roles", not_a(list)),
    "resource link": st.fixed_dictionaries(
        {
            LTI + "message_type": st.just("LtiResourceLinkRequest"),
            LTI + "resource_link": st.one_of(
                st.just(DROP),
                not_a(dict),
                st.fixed_dictionaries({"id": st.sampled_from([None, "", 0, [], {}, False])}),
                st.fixed_dictionaries({"title": hostile_text}),
            ),
        }
    ),
    "deep-linking settings": st.fixed_dictionaries(
        {
            LTI + "message_type": st.just("LtiDeepLinkingRequest"),
            DL: st.one_of(
                st.just(DROP),
                not_a(dict),
                st.fixed_dictionaries({"deep_link_return_url": not_http}),
            ),
        }
    ),
    "issuer": missing_or("iss", other_than("https://lms.example.edu")),
    "audience": missing_or(
        "aud", st.one_of(other_than("client-1", ["client-1"]), st.just(["client-1", "another"]))
    ),
    "expiry": missing_or("exp", st.sampled_from([0, 1, -(2**63), "soon", None, [], 1.5])),
    # Before 2001 (too old for a launch) or past 2286 (from the future).
    "issued at": missing_or("iat", huge_integers.filter(lambda v: not 10**9 <= v <= 10**10)),
    "nonce": missing_or("nonce", st.one_of(not_a(str), hostile_text)),
}


@st.composite
def broken_launches(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    changes, _, _ = draw(valid_launches())
    what = draw(st.sampled_from(sorted(BROKEN)))
    return what, {**changes, **draw(BROKEN[what])}


# Every claim Rapport reads, and a few it does not, with any JSON value at all (or none).
READ_CLAIMS = [
    "iss", "aud", "azp", "sub", "exp", "iat", "nbf", "nonce", "name", "given_name",
    "family_name", "email", "picture", "locale",
    *(LTI + name for name in (
        "message_type", "version", "deployment_id", "roles", "context", "resource_link",
        "tool_platform", "launch_presentation", "custom", "lis", "target_link_uri",
        "role_scope_mentor",
    )),
    AGS, NRPS, DL,
]  # fmt: skip
wild_claims = st.dictionaries(
    st.one_of(st.sampled_from(READ_CLAIMS), st.text(max_size=10)),
    st.one_of(st.just(DROP), json_values()),
    max_size=6,
)


@pytest.fixture(scope="module")
def lms(tmp_path_factory: pytest.TempPathFactory, db_templates: Path) -> Iterator[InProcessLms]:
    with in_process_lms(tmp_path_factory.mktemp("rapport"), db_templates) as running:
        yield running


COURSE = re.compile(r"^(?:https?://[^/]+)?/courses/\d+/")


# Found by this property on PostgreSQL: a NUL or a lone surrogate in the AGS endpoint claim or in
# a role reached a JSONB column, which refuses both (a 500).
@example(launch=({AGS: {"lineitem": "https://lms.example.edu/\x00"}}, False, False))
@example(launch=({AGS: {"lineitems": "https://lms.example.edu/\ud800"}}, False, False))
@example(launch=({LTI + "roles": [LEARNER, "\x00", "x\udfff"]}, False, False))
# Brackets around no IPv6 address: urlsplit raises ValueError (a 500 until claims.split_url).
@example(launch=({LTI + "launch_presentation": {"return_url": "http://["}}, False, False))
@given(launch=valid_launches())
def test_a_launch_the_spec_allows_lands_in_a_course(lms: InProcessLms, launch: Any) -> None:
    changes, deep_linking, staff = launch
    response, browser = lms.launch(changes)
    assert response.status_code < 500
    if deep_linking and not staff:
        assert response.status_code == 403, response.text[:500]
        assert "Only staff can add Rapport" in response.text
        return
    assert response.status_code == 303, response.text[:500]
    location = response.headers["Location"]
    assert COURSE.match(location), location
    if deep_linking:
        assert "/deep-linking/" in location
    landing = browser.get(location)
    assert landing.status_code == 200, landing.text[:500]


@example(launch=("deep-linking settings", {
    LTI + "message_type": "LtiDeepLinkingRequest", DL: {"deep_link_return_url": "https://[::1"}
}))  # fmt: skip
@given(launch=broken_launches())
def test_a_launch_the_spec_forbids_is_refused_with_a_reason(
    lms: InProcessLms, launch: tuple[str, dict[str, Any]]
) -> None:
    what, changes = launch
    response, _ = lms.launch(changes)
    assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:500])
    assert "Rapport could not open this launch" in response.text, (what, response.text[:500])
    assert "Reason code:" in response.text


@given(changes=wild_claims)
def test_no_claims_at_all_answer_5xx(lms: InProcessLms, changes: dict[str, Any]) -> None:
    response, browser = lms.launch(changes)
    assert response.status_code < 500, response.text[:500]
    if response.status_code == 303:
        assert browser.get(response.headers["Location"]).status_code < 500


# The OIDC login (Core §5.1.1): every parameter left out or given anything.
LOGIN_PARAMS = [
    "iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id",
    "lti_storage_target", "lti1p3_new_window",
]  # fmt: skip
login_changes = st.dictionaries(
    st.one_of(st.sampled_from(LOGIN_PARAMS), hostile_text),
    st.one_of(st.just(DROP), odd_urls, hostile_text),
    max_size=4,
)


@example(changes={"target_link_uri": "http://["})  # a 500 until claims.split_url
@given(changes=login_changes)
def test_no_login_answers_5xx(lms: InProcessLms, changes: dict[str, Any]) -> None:
    response = lms.login(lms.app.test_client(), changes)
    assert response.status_code < 500, response.text[:500]
    if response.status_code == 302:  # on to the platform's own sign-in, and nowhere else
        assert response.headers["Location"].startswith(lms.platform.issuer + "/auth?")


# The id_token's JOSE header: what selects the key and the algorithm.
header_changes = st.dictionaries(
    st.sampled_from(["alg", "kid", "typ", "crit", "b64", "jku", "x5u", "jwk", "cty", "zip"]),
    st.one_of(
        st.just(DROP),
        st.sampled_from(["none", "HS256", "RS512", "rs256", "RS256 ", "platform-key-2"]),
        odd_urls,
        wrong_type,
    ),
    max_size=3,
)


@given(header=header_changes)
def test_no_id_token_header_answers_5xx(lms: InProcessLms, header: dict[str, Any]) -> None:
    response, _ = lms.launch({}, header)
    assert response.status_code < 500, response.text[:500]
    base = {"alg": "RS256", "kid": lms.platform.keys[-1].kid}
    if any(k in base and v != base[k] for k, v in header.items()):
        assert 400 <= response.status_code < 500, response.text[:500]
        assert "Rapport could not open this launch" in response.text
    elif not header.keys() & {"crit", "b64", "zip"}:
        assert response.status_code == 303, response.text[:500]
