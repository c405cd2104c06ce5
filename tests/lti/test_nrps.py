"""The NRPS 2.0 client against Moodle- and Canvas-shaped platforms over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.wrappers import Request, Response

from lti_tool.i18n import shown
from lti_tool.lti.keys import KeyRing
from lti_tool.lti.nrps import (
    MemberStatus,
    NrpsClient,
    RosterMember,
    read_member,
    with_limit,
)
from lti_tool.lti.service_auth import PlatformEndpoint, ServiceClient, ServiceError, ServiceTokens
from lti_tool.models import Registration
from lti_tool.outbound import OutboundPolicy, OutboundSession
from tests.independent_nrps import FIXTURES, LIS, NrpsPlatform, member
from tests.keys import seed_tool_keys
from tests.servers import serve


class DictCache:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any, timeout: int = 0) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


@pytest.fixture
def keyring(tmp_path: Path) -> Iterator[tuple[KeyRing, str]]:
    """The tool's keys, published over HTTP as the platform's token endpoint needs them."""
    seed_tool_keys(tmp_path / "keys")  # made once per run, as a first start would
    ring = KeyRing(tmp_path / "keys")

    def jwks(environ: dict[str, Any], start_response: Any) -> Any:
        body = json.dumps(ring.jwks())
        return Response(body, content_type="application/json")(environ, start_response)

    with serve(jwks) as url:
        yield ring, url + "/jwks"


def _lms(shape: str, keyring: tuple[KeyRing, str]) -> Iterator[NrpsPlatform]:
    platform = NrpsPlatform(shape)
    platform.tool_jwks_url = keyring[1]
    with platform.running() as running:
        yield running


@pytest.fixture(params=["moodle", "canvas"])
def lms(request: pytest.FixtureRequest, keyring: tuple[KeyRing, str]) -> Iterator[NrpsPlatform]:
    yield from _lms(request.param, keyring)


@pytest.fixture
def moodle(keyring: tuple[KeyRing, str]) -> Iterator[NrpsPlatform]:
    yield from _lms("moodle", keyring)


@pytest.fixture
def canvas(keyring: tuple[KeyRing, str]) -> Iterator[NrpsPlatform]:
    yield from _lms("canvas", keyring)


def _client(keyring: tuple[KeyRing, str], page_size: int = 100) -> NrpsClient:
    tokens = ServiceTokens(DictCache(), requests.Session(), keyring[0])
    return NrpsClient(ServiceClient(tokens), page_size=page_size)


def _endpoint(lms: NrpsPlatform) -> PlatformEndpoint:
    return PlatformEndpoint(1, "https://lms.example.edu", lms.client_id, lms.token_url)


def test_a_thousand_members_arrive_in_ten_pages_with_one_token(lms, keyring):
    lms.members = [member(lms.shape, n) for n in range(1000)]
    pages = list(_client(keyring).pages(_endpoint(lms), lms.memberships_url))
    assert [len(p.members) for p in pages] == [100] * 10
    assert [p.has_next for p in pages] == [True] * 9 + [False]
    users = [m.user_id for p in pages for m in p.members]
    assert users == [f"user-{n:05d}" for n in range(1000)]
    learner = "Learner" if lms.shape == "moodle" else LIS + "Learner"
    assert all(m.roles == (learner,) for p in pages for m in p.members)
    assert len(lms.page_requests) == 10
    assert lms.token_requests == 1


def test_a_limit_is_asked_for_because_moodle_links_pages_only_then(moodle, keyring):
    moodle.members = [member("moodle", n) for n in range(5)]
    pages = list(_client(keyring, page_size=2).pages(_endpoint(moodle), moodle.memberships_url))
    assert [len(p.members) for p in pages] == [2, 2, 1]
    assert moodle.page_requests[0].endswith("?limit=2")
    assert moodle.page_requests[1].endswith("?limit=2&from=2")


def test_a_url_that_already_asks_for_a_limit_keeps_it():
    assert with_limit("https://lms/m?rlid=7", 100) == "https://lms/m?rlid=7&limit=100"
    assert with_limit("https://lms/m?limit=5", 100) == "https://lms/m?limit=5"


def test_members_are_read_from_the_captured_moodle_and_canvas_payloads():
    moodle = json.loads((FIXTURES / "moodle-4.5/nrps_response.json").read_text())["body"]
    canvas = json.loads((FIXTURES / "canvas/nrps_response_with_rlid.json").read_text())["body"]
    sam = read_member(moodle["members"][0])
    assert sam == RosterMember(
        "4",
        ("Learner",),
        MemberStatus.ACTIVE,
        "Sam Student",
        "Sam",
        "Student",
        "ltistudent@example.com",
    )
    terrence = read_member(canvas["members"][0])
    assert terrence is not None
    assert terrence.user_id == "7f6b7b9b-9bb3-4a0b-8f4e-2f5d1c3b6a10"
    assert terrence.roles == (LIS + "Learner",)
    assert terrence.picture == "https://canvas.example.edu/images/messages/avatar-51.png"


def test_withheld_names_stay_missing_and_odd_members_are_tolerated():
    private = read_member(member("canvas", 7, private=True, status=None))
    assert private is not None
    assert (private.name, private.email, private.picture) == (None, None, None)
    assert private.status is MemberStatus.ACTIVE  # NRPS 2.0 §2.3: no status means Active
    assert read_member({"user_id": 42, "roles": "Learner", "status": "inactive", "name": ""}) == (
        RosterMember("42", (), MemberStatus.INACTIVE)
    )
    assert read_member({"roles": ["Learner"]}) is None
    assert read_member(["not", "a", "member"]) is None
    assert read_member({"user_id": "9", "status": "Deleted"}).status is MemberStatus.DELETED


def test_an_expired_token_is_renewed_once_not_per_page(moodle, keyring):
    moodle.members = [member("moodle", n) for n in range(300)]
    client = _client(keyring)
    endpoint = _endpoint(moodle)
    pages = client.pages(endpoint, moodle.memberships_url)
    next(pages)
    moodle.expire_tokens()  # the platform forgets every token it issued
    assert sum(len(p.members) for p in pages) == 200
    assert moodle.token_requests == 2
    assert len(list(client.pages(endpoint, moodle.memberships_url))) == 3
    assert moodle.token_requests == 2  # the cached token serves the next sync too


def test_a_refusal_carries_the_platforms_words(canvas, keyring):
    canvas.members = [member("canvas", n) for n in range(250)]
    canvas.faults = [503]
    with pytest.raises(ServiceError) as refused:
        list(_client(keyring).pages(_endpoint(canvas), canvas.memberships_url))
    assert refused.value.status == 503
    assert "503" in str(refused.value)


def test_a_refused_request_is_kept_inside_the_service_error(keyring):
    """The outbound refusal nests in the service's message, each part kept to be shown in the
    reader's language (the roster card, the grades page); str() reads English for the log."""
    private = OutboundPolicy(
        resolve=lambda host, port, proto=0: [(2, 1, proto, "", ("10.0.0.1", port))]
    )
    tokens = ServiceTokens(DictCache(), OutboundSession(private, "Rapport tests"), keyring[0])
    endpoint = PlatformEndpoint(1, "https://lms.example.edu", "c", "https://lms.example.edu/token")
    with pytest.raises(ServiceError) as refused:
        list(NrpsClient(ServiceClient(tokens)).pages(endpoint, "https://lms.example.edu/m"))
    expected = (
        "token request to https://lms.example.edu/token failed: "
        "lms.example.edu is on a private or reserved address"
    )
    assert str(refused.value) == expected == shown(refused.value.kept)
    kept = json.loads(refused.value.kept)
    assert kept["said"] == "token request to %(url)s failed: %(reason)s"
    assert (
        json.loads(kept["values"]["reason"])["said"]
        == "%(host)s is on a private or reserved address"
    )


def test_next_links_that_loop_are_refused(keyring):
    def looping(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/token":
            body = json.dumps({"access_token": "t", "expires_in": 3600})
            return Response(body, content_type="application/json")(environ, start_response)
        link = f'<{request.host_url}m?limit=100>; rel="next"'
        body = json.dumps({"members": [{"user_id": "1", "roles": ["Learner"]}]})
        return Response(body, headers={"Link": link})(environ, start_response)

    with serve(looping) as url:
        endpoint = PlatformEndpoint(1, "https://lms", "c", url + "/token")
        with pytest.raises(ServiceError, match="never end"):
            list(_client(keyring).pages(endpoint, url + "/m"))


def test_a_body_that_is_not_a_membership_container_is_refused(keyring):
    def html(environ: dict[str, Any], start_response: Any) -> Any:
        if Request(environ).path == "/token":
            body = json.dumps({"access_token": "t", "expires_in": 3600})
            return Response(body, content_type="application/json")(environ, start_response)
        return Response("<html>login</html>", content_type="text/html")(environ, start_response)

    with serve(html) as url:
        endpoint = PlatformEndpoint(1, "https://lms", "c", url + "/token")
        with pytest.raises(ServiceError, match="not JSON"):
            list(_client(keyring).pages(endpoint, url + "/m"))


def test_service_urls_must_lie_on_the_platform_s_own_sites():
    registration = Registration(
        id=1,
        issuer="https://canvas.instructure.com",
        client_id="10000000000001",
        auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
        auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
        key_set_url="https://sso.canvaslms.com/api/lti/security/jwks",
        frame_origins=["https://canvas.example.edu"],  # learned from a launch's return URL
    )
    canvas = PlatformEndpoint.of(registration)
    assert canvas.serves("https://canvas.example.edu/api/lti/courses/1/names_and_roles")
    assert canvas.serves("https://sso.canvaslms.com/anything")
    for elsewhere in (
        "https://canvas.example.edu.evil.example/api",
        "http://canvas.example.edu/api",  # another scheme is another site
        "https://canvas.example.edu:8443/api",
        "http://169.254.169.254/latest/meta-data/",
        "javascript:alert(1)",
        "",
    ):
        assert not canvas.serves(elsewhere), elsewhere
