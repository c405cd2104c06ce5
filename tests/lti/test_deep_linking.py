"""The LtiDeepLinkingResponse (DL 2.0 §4.5) and how the request's settings (§4.4.1) shape it.

Responses are verified with jwcrypto against the key ring's JWKS, not with the library that
signed them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jwcrypto.jwk import JWKSet
from jwcrypto.jwt import JWT

from lti_tool.lti import deep_linking as dl
from lti_tool.lti.keys import KeyRing
from lti_tool.services.refusals import Refused
from tests.keys import seed_tool_keys

CLAIMS = "https://purl.imsglobal.org/spec/lti/claim/"
SETTINGS: dict[str, Any] = {
    "deep_link_return_url": "https://lms.example.edu/return",
    "accept_types": ["ltiResourceLink"],
    "accept_presentation_document_targets": ["iframe", "window"],
    "accept_multiple": True,
    "data": "keep-me",
}
GRADED = dl.ResourceLinkItem(
    title="Essay feedback",
    url="https://rapport.example.edu/lti/launch",
    text="Feedback on your essay",
    custom={"rapport_placement": "tok-1"},
    line_item=dl.LineItem(12.5, "Essay feedback", "placement:1", "feedback"),
)
PLAIN = dl.ResourceLinkItem(title="Course home", url="https://rapport.example.edu/lti/launch")


def response(**changes: Any) -> dl.DeepLinkingResponse:
    claim = {**SETTINGS, **changes}
    claim = {k: v for k, v in claim.items() if v is not ...}
    return dl.DeepLinkingResponse(
        "client-1", "https://lms.example.edu", "dep-1", dl.DeepLinkingSettings.from_claim(claim)
    )


@pytest.fixture
def keyring(tmp_path: Path) -> KeyRing:
    seed_tool_keys(tmp_path / "keys")  # made once per run, as a first start would
    return KeyRing(tmp_path / "keys")


def decode(token: str, keyring: KeyRing) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = JWKSet.from_json(json.dumps(keyring.jwks()))
    checked = JWT(
        jwt=token,
        key=keys,
        algs=["RS256"],
        check_claims={"iss": "client-1", "aud": "https://lms.example.edu", "exp": None},
    )
    return json.loads(checked.header), json.loads(checked.claims)


def test_signed_response_has_every_claim_the_spec_requires(keyring):
    token = response().signed(keyring.current(), [GRADED], dl.ResponseMessages(msg="Added."))
    header, claims = decode(token, keyring)
    assert header == {"alg": "RS256", "kid": keyring.current().kid, "typ": "JWT"}
    assert claims[CLAIMS + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIMS + "version"] == "1.3.0"
    assert claims[CLAIMS + "deployment_id"] == "dep-1"
    assert claims[dl.CLAIM_DATA] == "keep-me"
    assert claims[dl.CLAIM_MSG] == "Added."
    assert dl.CLAIM_ERRORMSG not in claims
    assert 0 < claims["exp"] - claims["iat"] <= 600
    assert claims[dl.CLAIM_CONTENT_ITEMS] == [
        {
            "type": "ltiResourceLink",
            "title": "Essay feedback",
            "url": "https://rapport.example.edu/lti/launch",
            "text": "Feedback on your essay",
            "custom": {"rapport_placement": "tok-1"},
            "lineItem": {
                "scoreMaximum": 12.5,
                "label": "Essay feedback",
                "resourceId": "placement:1",
                "tag": "feedback",
            },
            "iframe": {"height": 800},
        }
    ]


def test_each_response_has_its_own_nonce():
    first, second = response().claims([PLAIN]), response().claims([PLAIN])
    assert first["nonce"] != second["nonce"]


def test_the_newest_key_signs_after_a_rotation(keyring):
    old = keyring.current().kid
    keyring.rotate()
    header, _ = decode(response().signed(keyring.current(), [PLAIN]), keyring)
    assert header["kid"] == keyring.current().kid != old


def test_signing_never_parses_a_pem(keyring, monkeypatch):
    """The key object signs; a PEM string would be parsed again on every response (~43 ms)."""
    key = keyring.current()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a PEM was parsed while signing")

    monkeypatch.setattr("jwt.algorithms.load_pem_private_key", refuse)
    monkeypatch.setattr("cryptography.hazmat.primitives.serialization.load_pem_private_key", refuse)
    decode(response().signed(key, [PLAIN]), keyring)


@pytest.mark.parametrize(
    ("data", "expected"),
    [("abc", "abc"), ({"a": [1, None]}, {"a": [1, None]}), ("", ""), (None, None)],
    ids=["string", "object", "empty", "null"],
)
def test_data_is_echoed_exactly(data, expected):
    assert response(data=data).claims([PLAIN])[dl.CLAIM_DATA] == expected


def test_no_data_claim_without_data_in_the_request():
    assert dl.CLAIM_DATA not in response(data=...).claims([PLAIN])


@pytest.mark.parametrize(
    ("accept_lineitem", "has_line_item"),
    [(True, True), (False, False), ("false", False), (..., True)],
    ids=["accepted", "refused", "refused-as-string", "not-said"],
)
def test_line_item_follows_accept_lineitem(accept_lineitem, has_line_item):
    [item] = response(accept_lineitem=accept_lineitem).claims([GRADED])[dl.CLAIM_CONTENT_ITEMS]
    assert ("lineItem" in item) is has_line_item


def test_one_item_only_when_accept_multiple_is_false():
    single = response(accept_multiple=False)
    assert len(single.claims([GRADED])[dl.CLAIM_CONTENT_ITEMS]) == 1
    with pytest.raises(Refused, match="one item"):
        single.claims([GRADED, PLAIN])
    assert len(response(accept_multiple=...).claims([PLAIN])[dl.CLAIM_CONTENT_ITEMS]) == 1
    with pytest.raises(Refused):
        response(accept_multiple=...).claims([GRADED, PLAIN])  # absent means false (§4.4.1)


def test_no_resource_links_when_the_platform_does_not_accept_them():
    refusing = response(accept_types=["link", "html"])
    with pytest.raises(Refused, match="resource links"):
        refusing.claims([PLAIN])
    empty = refusing.claims([], dl.ResponseMessages(errormsg="Nothing to add."))
    assert empty[dl.CLAIM_CONTENT_ITEMS] == []
    assert empty[dl.CLAIM_ERRORMSG] == "Nothing to add."


@pytest.mark.parametrize(
    ("targets", "presentation"),
    [
        (["iframe", "window"], {"iframe": {"height": 800}}),
        (["frame", "iframe", "window"], {"iframe": {"height": 800}}),
        (["window"], {"window": {"targetName": "rapport"}}),
        (["embed"], {}),
        ([], {}),
    ],
)
def test_presentation_only_with_a_target_the_platform_accepts(targets, presentation):
    response_ = response(accept_presentation_document_targets=targets)
    [item] = response_.claims([PLAIN])[dl.CLAIM_CONTENT_ITEMS]
    assert {k: v for k, v in item.items() if k in {"iframe", "window"}} == presentation


def test_canvas_settings_with_extra_keys_are_read():
    claim = {
        "deep_link_return_url": "https://canvas.example.edu/courses/1/deep_linking_response?data=x",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_media_types": "application/vnd.ims.lti.v1.ltilink",
        "auto_create": False,
        "accept_multiple": False,
        "validation_context": None,
        "errors": {"errors": {}},
    }
    settings = dl.DeepLinkingSettings.from_claim(claim)
    assert settings.accepts_resource_links and settings.accepts_line_items
    assert not settings.accept_multiple and not settings.auto_create and not settings.has_data
    assert settings.return_url.endswith("?data=x")
