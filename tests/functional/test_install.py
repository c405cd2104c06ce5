"""Installing Rapport: LTI Dynamic Registration against fake LMSs in Moodle's and Canvas's real
shapes over HTTP, and the Canvas developer key JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.cli import main as rapport_cli
from lti_tool.lti.registration import RegistrationError, read_platform_configuration
from lti_tool.lti.registration.configuration import issuer_matches_url
from lti_tool.models import Registration
from tests.conftest import state
from tests.install_platform import DROP, TOOL_CONFIGURATION, RegistrationPlatform, load
from tests.platform import TestPlatform
from tests.servers import free_port

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ALL_SCOPES = {
    AGS + "lineitem",
    AGS + "lineitem.readonly",
    AGS + "result.readonly",
    AGS + "score",
    NRPS,
}
CLOSE = "org.imsglobal.lti.close"


@pytest.fixture
def lms() -> Iterator[Any]:
    """Start a fake LMS: lms("moodle") or lms("canvas"), optionally with changes."""
    with ExitStack() as stack:

        def start(family: str, **options: Any) -> RegistrationPlatform:
            return stack.enter_context(RegistrationPlatform(family, **options).running())

        yield start


def _register(browser: requests.Session, url: str, params: dict[str, str]) -> requests.Response:
    return browser.get(url + "/lti/register", params=params)


def _registrations(app: Any) -> list[Registration]:
    with state(app).sessions() as session:
        rows = list(session.scalars(select(Registration)))
        for row in rows:
            _ = row.deployments  # loaded before the session closes
        return rows


# -- Moodle 4.5 ---------------------------------------------------------------------------------
def test_moodle_registration_saves_platform_and_deployment(live, lms, browser):
    app, url = live()
    moodle = lms("moodle")
    page = _register(browser, url, moodle.initiation_params())

    assert page.status_code == 200
    assert "Rapport is registered with Moodle" in page.text
    assert CLOSE in page.text and "window.opener || window.parent" in page.text
    [row] = _registrations(app)
    answer = moodle.registration_answer()
    assert row.issuer == moodle.base_url
    assert row.client_id == answer["client_id"] == "DJ5Q9sxAfxVyJV9"
    assert row.auth_login_url == moodle.base_url + "/mod/lti/auth.php"
    assert row.auth_token_url == moodle.base_url + "/mod/lti/token.php"
    assert row.key_set_url == moodle.base_url + "/mod/lti/certs.php"
    assert row.auth_audience is None
    assert row.product_family == "moodle"
    assert [d.deployment_id for d in row.deployments] == ["6"]
    assert "DEPLOYMENT_ID" not in page.text  # nothing left for the admin to add


def test_registration_request_has_the_shape_the_spec_requires(live, lms, browser):
    _, url = live()
    moodle = lms("moodle")
    _register(browser, url, moodle.initiation_params())

    [configuration_get] = [r for r in moodle.received if r.method == "GET"]
    assert configuration_get.headers["User-Agent"].startswith("Rapport")
    [post] = moodle.registrations()
    assert post.path == "/mod/lti/openid-registration.php"
    assert post.headers["Authorization"] == "Bearer REDACTED-REGISTRATION-TOKEN"
    assert post.headers["Content-Type"] == "application/json"
    body = post.body
    assert body["application_type"] == "web"
    assert body["response_types"] == ["id_token"]
    assert set(body["grant_types"]) == {"implicit", "client_credentials"}
    assert body["initiate_login_uri"] == url + "/lti/login"
    assert body["redirect_uris"] == [url + "/lti/launch"]
    assert body["client_name"] == "Rapport"
    assert body["jwks_uri"] == url + "/lti/jwks.json"
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert set(body["scope"].split()) == ALL_SCOPES
    tool = body[TOOL_CONFIGURATION]
    assert tool["domain"] == url.removeprefix("http://")
    assert tool["target_link_uri"] == url + "/lti/launch"
    assert {"iss", "sub", "name", "given_name", "family_name", "email", "picture"} <= set(
        tool["claims"]
    )
    messages = {m["type"]: m for m in tool["messages"]}
    assert set(messages) == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert messages["LtiDeepLinkingRequest"]["target_link_uri"] == url + "/lti/launch"
    assert messages["LtiDeepLinkingRequest"]["placements"] == ["ContentArea"]
    assert "canvas.instructure.com" not in json.dumps(body)  # no Canvas extensions for Moodle
    # the keys a real tool sent Moodle 4.5 are all there
    sent_before = load("moodle-4.5/dynamic_registration_request.json")["body"]
    assert set(sent_before) - {"logo_uri"} <= set(body)
    assert set(sent_before[TOOL_CONFIGURATION]) - {"custom_parameters"} <= set(tool)


def test_only_scopes_the_platform_offers_are_requested(live, lms, browser):
    _, url = live()
    moodle = lms("moodle", configuration_changes={"scopes_supported": [AGS + "score", "openid"]})
    _register(browser, url, moodle.initiation_params())
    [post] = moodle.registrations()
    assert post.body["scope"] == AGS + "score"


def _invite(app: Any) -> str:
    """A one-time registration link, as an administrator makes one; its token."""
    made = app.test_cli_runner().invoke(rapport_cli, ["platform", "invite"])
    assert made.exit_code == 0, made.output
    return made.output.rsplit("invite=", 1)[1].strip()


def test_an_anonymous_registration_waits_for_an_administrator(live, lms, browser):
    app, url = live()
    moodle = lms("moodle")
    answer = moodle.registration_answer()
    deployment = answer[TOOL_CONFIGURATION]["deployment_id"]
    signer = TestPlatform(issuer="", client_id=answer["client_id"], deployment_id=deployment)
    with signer.running():
        signer.issuer = moodle.base_url
        moodle.configuration_changes["jwks_uri"] = signer.jwks_url
        page = _register(browser, url, moodle.initiation_params())
        assert page.status_code == 200
        assert "Waiting for approval" in page.text
        assert f"rapport platform approve {moodle.base_url} {answer['client_id']}" in page.text
        [row] = _registrations(app)
        assert row.status == "pending"
        refused = signer.login(requests.Session(), url).response
        assert refused.status_code == 403
        assert "has not approved it yet" in refused.text
        approved = app.test_cli_runner().invoke(
            rapport_cli, ["platform", "approve", moodle.base_url, answer["client_id"]]
        )
        assert approved.exit_code == 0, approved.output
        launch = signer.full_launch(browser, url, sub="teacher-1")
    assert launch.status_code == 303
    assert browser.get(url + launch.headers["Location"]).status_code == 200


def test_an_anonymous_registration_never_changes_an_existing_one(live, lms, browser):
    """A school's issuer and client_id are in every login request: an anonymous registration
    naming them (with the attacker's endpoints) is refused and changes nothing."""
    app, url = live()
    moodle = lms("moodle")
    invited = _register(browser, url, {**moodle.initiation_params(), "invite": _invite(app)})
    assert "Rapport now trusts this LMS" in invited.text
    [before] = _registrations(app)
    assert before.status == "active"
    moodle.configuration_changes["jwks_uri"] = "https://attacker.example/jwks"
    moodle.configuration_changes["authorization_endpoint"] = "https://attacker.example/auth"
    again = _register(requests.Session(), url, moodle.initiation_params())
    _refused(again, 409, "already has a registration", "rapport platform invite")
    [after] = _registrations(app)
    assert (after.key_set_url, after.auth_login_url, after.status) == (
        before.key_set_url,
        before.auth_login_url,
        "active",
    )


def test_an_invite_registers_at_once_updates_once_and_is_spent(live, lms, browser):
    app, url = live()
    moodle = lms("moodle")
    token = _invite(app)
    first = _register(browser, url, {**moodle.initiation_params(), "invite": token})
    assert "Rapport now trusts this LMS" in first.text
    moodle.response_changes[TOOL_CONFIGURATION] = {
        **moodle.registration_answer()[TOOL_CONFIGURATION],
        "deployment_id": "7",
    }
    spent = _register(browser, url, {**moodle.initiation_params(), "invite": token})
    assert spent.status_code == 409  # the same link again is anonymous, and refused
    second = _register(browser, url, {**moodle.initiation_params(), "invite": _invite(app)})
    assert "already knew this LMS" in second.text
    [row] = _registrations(app)
    assert [d.deployment_id for d in row.deployments] == ["6", "7"]
    assert row.status == "active"


# -- Canvas -------------------------------------------------------------------------------------
def test_canvas_registration_uses_canvas_placements_and_waits_for_a_deployment(live, lms, browser):
    app, url = live()
    canvas = lms("canvas")
    page = _register(browser, url, canvas.initiation_params())

    assert page.status_code == 200, page.text
    assert "Rapport is registered with Canvas: Test University" in page.text
    [post] = canvas.registrations()
    assert post.path == "/api/lti/registrations"
    assert post.headers["Authorization"] == "Bearer REDACTED-REGISTRATION-TOKEN"
    tool = post.body[TOOL_CONFIGURATION]
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    # a copied course tells the courses it came from (issue 18): Canvas substitutes these
    assert tool["custom_parameters"]["context_id_history"] == "$Context.id.history"
    assert tool["custom_parameters"]["resource_link_history"] == "$ResourceLink.id.history"
    # Canvas fills the course's end into every launch (read back by lti/claims.py)
    assert tool["custom_parameters"]["course_end_at"] == "$Canvas.course.endAt"
    messages = {m["type"]: m for m in tool["messages"]}
    assert messages["LtiResourceLinkRequest"]["placements"] == ["course_navigation"]
    assert set(messages["LtiDeepLinkingRequest"]["placements"]) == {
        "link_selection",
        "assignment_selection",
    }
    assert set(post.body["scope"].split()) == ALL_SCOPES
    # the keys Canvas documents for a registration request are all there
    documented = load("canvas/dynamic_registration_request_example.json")["body"]
    assert set(documented) - {"logo_uri", "client_uri"} <= set(post.body)

    [row] = _registrations(app)
    assert row.client_id == "10000000000001"
    assert row.issuer == canvas.base_url
    assert row.auth_audience == "sso.canvaslms.com"  # the configuration's authorization_server
    assert row.product_family == "canvas"
    assert row.deployments == []
    assert "One more step" in page.text
    assert "rapport platform add --issuer" in page.text and "DEPLOYMENT_ID" in page.text


def test_hosted_canvas_issuer_is_trusted_only_with_instructure_endpoints():
    body = load("canvas/openid_configuration.json")["body"]
    url = "https://canvas.example.edu/api/lti/security/openid-configuration"
    config = read_platform_configuration(url, body)
    assert config.issuer == "https://canvas.instructure.com"
    assert not config.issuer_from_url

    for look_alike in (
        {**body, "jwks_uri": "https://evil.example/jwks"},
        # Instructure's host, but not its endpoints (any path used to be accepted).
        {**body, "jwks_uri": "https://sso.canvaslms.com/api/v1/files/7/download"},
        {**body, "authorization_endpoint": "https://sso.canvaslms.com/login?next=https://x"},
        {**body, "token_endpoint": "https://sso.canvaslms.com/login/oauth2/token?evil=1"},
    ):
        with pytest.raises(RegistrationError) as refused:
            read_platform_configuration(url, look_alike)
        assert refused.value.code == "issuer_mismatch"
    not_canvas = {
        **body,
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "moodle"
        },
    }
    with pytest.raises(RegistrationError):
        read_platform_configuration(url, not_canvas)


# -- what an administrator sees when it fails ---------------------------------------------------
def _refused(page: requests.Response, status: int, *words: str) -> None:
    assert page.status_code == status, page.text
    assert "Rapport could not be registered" in page.text
    for word in words:
        assert word in page.text


def test_platform_refusing_the_token_is_explained(live, lms, browser):
    app, url = live()
    moodle = lms("moodle")
    page = _register(browser, url, moodle.initiation_params(token="stale-token"))
    _refused(page, 424, "refused to register Rapport", "HTTP 401", "what it said is in Rapport")
    assert "invalid or has expired" not in page.text  # the LMS's words stay in the log
    assert CLOSE in page.text  # the LMS window can still be closed
    assert _registrations(app) == []


def test_canvas_error_list_goes_to_the_log_not_the_page(live, lms, browser, caplog):
    _, url = live()
    canvas = lms("canvas")
    with caplog.at_level("WARNING"):
        page = _register(browser, url, canvas.initiation_params(token="stale-token"))
    _refused(page, 424, "HTTP 401", "what it said is in Rapport")
    assert "The registration token is invalid or has expired" not in page.text
    assert "The registration token is invalid or has expired" in caplog.text


def test_issuer_that_does_not_match_the_url_is_refused(live, lms, browser):
    app, url = live()
    moodle = lms("moodle", configuration_changes={"issuer": "https://lms.example.edu"})
    page = _register(browser, url, moodle.initiation_params())
    _refused(page, 422, "names the issuer https://lms.example.edu")
    assert moodle.registrations() == []
    assert _registrations(app) == []


def test_configuration_that_is_not_json_is_refused(live, lms, browser):
    _, url = live()
    moodle = lms("moodle", configuration_text="<html><body>Log in to Moodle</body></html>")
    page = _register(browser, url, moodle.initiation_params())
    _refused(page, 422, "is not JSON")
    assert "Log in to Moodle" not in page.text  # a remote body is never shown
    assert moodle.registrations() == []


def test_unreachable_configuration_is_refused(live, browser):
    _, url = live()
    nowhere = f"http://127.0.0.1:{free_port()}/mod/lti/openid-configuration.php"
    page = _register(browser, url, {"openid_configuration": nowhere, "registration_token": "t"})
    _refused(page, 424, "could not reach", nowhere)


def test_configuration_answered_with_an_error_is_refused(live, lms, browser):
    _, url = live()
    moodle = lms("moodle")
    params = {"openid_configuration": moodle.base_url + "/mod/lti/missing.php"}
    _refused(_register(browser, url, params), 424, "HTTP 404")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"jwks_uri": DROP}, "has no jwks_uri"),
        ({"registration_endpoint": DROP}, "has no registration_endpoint"),
        (
            {"https://purl.imsglobal.org/spec/lti-platform-configuration": DROP},
            "has no https://purl.imsglobal.org/spec/lti-platform-configuration",
        ),
        ({"id_token_signing_alg_values_supported": ["HS256"]}, "RS256"),
        ({"token_endpoint": "http://lms.example.edu/token"}, "not an https address"),
    ],
    ids=["no jwks", "no registration endpoint", "no lti configuration", "no RS256", "http"],
)
def test_unusable_configuration_is_refused(live, lms, browser, changes, words):
    _, url = live()
    moodle = lms("moodle", configuration_changes=changes)
    _refused(_register(browser, url, moodle.initiation_params()), 422, words)
    assert moodle.registrations() == []


def test_answer_without_client_id_is_refused(live, lms, browser):
    app, url = live()
    moodle = lms("moodle", response_changes={"client_id": DROP})
    _refused(_register(browser, url, moodle.initiation_params()), 424, "without the client id")
    assert _registrations(app) == []


def test_plain_http_is_refused_for_a_public_lms(live, browser):
    _, url = live()
    params = {"openid_configuration": "http://lms.example.edu/mod/lti/openid-configuration.php"}
    _refused(_register(browser, url, params), 422, "not an https address")


def test_a_configuration_url_no_parser_reads_is_refused(live, browser):
    """Brackets around no IPv6 address: urlsplit's ValueError was a 500."""
    _, url = live()
    params = {"openid_configuration": "https://[lms.example.edu/openid-configuration"}
    _refused(_register(browser, url, params), 422, "not an https address")


def test_loopback_http_lms_is_refused_when_rapport_itself_is_public():
    body = load("moodle-4.5/openid_configuration.json")["body"]
    url = "http://127.0.0.1:8080/mod/lti/openid-configuration.php"
    assert read_platform_configuration(url, body, loopback_http=True).issuer == body["issuer"]
    with pytest.raises(RegistrationError) as refused:
        read_platform_configuration(url, body)
    assert refused.value.code == "insecure_url"


def test_head_request_does_not_use_up_the_token(live, lms):
    app, url = live()
    moodle = lms("moodle")
    head = requests.head(url + "/lti/register", params=moodle.initiation_params(), timeout=10)
    assert head.status_code == 200
    assert moodle.received == []
    assert _registrations(app) == []


def test_opening_the_registration_url_directly_explains_what_it_is_for(live, browser):
    _, url = live()
    page = browser.get(url + "/lti/register")
    _refused(page, 400, "This address is for your LMS", url + "/lti/register")
    assert CLOSE not in page.text


@pytest.mark.parametrize(
    ("issuer", "url", "matches"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/mod/lti/openid-configuration.php", True),
        ("https://lms.edu/moodle", "https://lms.edu/moodle/mod/lti/openid-configuration.php", True),
        ("https://lms.edu/", "https://lms.edu/.well-known/openid-configuration", True),
        ("https://LMS.edu", "https://lms.edu/x", True),
        ("https://lms.edu", "https://lms.edu.evil.example/x", False),
        ("https://lms.edu/moodle", "https://lms.edu/moodle-evil/x", False),
        ("https://lms.edu", "http://lms.edu/x", False),
        ("https://lms.edu:8443", "https://lms.edu/x", False),
    ],
)
def test_issuer_must_be_a_prefix_of_the_configuration_url(issuer, url, matches):
    assert issuer_matches_url(issuer, url) is matches


# -- Canvas developer key JSON ------------------------------------------------------------------
def test_canvas_json_has_the_developer_key_shape(live, browser):
    _, url = live()
    response = browser.get(url + "/lti/canvas.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    document = response.json()
    example = load("canvas/developer_key_config_example.json")
    # every key of Canvas's example except the optional regional and custom ones
    assert set(example) - {"oidc_initiation_urls", "custom_fields"} <= set(document)
    assert document["title"] == "Rapport"
    assert document["oidc_initiation_url"] == url + "/lti/login"
    assert document["target_link_uri"] == url + "/lti/launch"
    assert document["public_jwk_url"] == url + "/lti/jwks.json"
    assert set(document["scopes"]) == ALL_SCOPES
    [extension] = document["extensions"]
    assert set(example["extensions"][0]) <= set(extension)
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["privacy_level"] == "public"
    assert document["custom_fields"]["context_id_history"] == "$Context.id.history"
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert set(placements) == {"course_navigation", "link_selection", "assignment_selection"}
    assert placements["course_navigation"]["message_type"] == "LtiResourceLinkRequest"
    assert placements["course_navigation"]["text"] == "Rapport"
    for name in ("link_selection", "assignment_selection"):
        assert placements[name]["message_type"] == "LtiDeepLinkingRequest"
        assert placements[name]["target_link_uri"] == url + "/lti/launch"
    for placement in placements.values():
        assert set(placement) >= {"text", "placement", "message_type", "target_link_uri"}
    assert document["custom_fields"]["course_end_at"] == "$Canvas.course.endAt"


def test_canvas_json_is_cacheable(live, browser):
    _, url = live()
    first = browser.get(url + "/lti/canvas.json")
    assert "public" in first.headers["Cache-Control"]
    assert "max-age=" in first.headers["Cache-Control"]
    again = browser.get(url + "/lti/canvas.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
