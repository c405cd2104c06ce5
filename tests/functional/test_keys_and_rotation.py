"""Key rotation on both sides, and the platform JWKS cache (Security Framework §6)."""

from __future__ import annotations

import jwt
import pytest

from lti_tool.cli import main as rapport_cli
from tests.conftest import state


def _cli(app, *args):
    return app.test_cli_runner().invoke(rapport_cli, list(args))


def test_first_start_creates_a_key_and_publishes_it(tool, browser):
    app, url = tool
    document = browser.get(url + "/lti/jwks.json").json()
    same = browser.get(url + "/.well-known/jwks.json").json()
    assert document == same
    assert [k["kid"] for k in document["keys"]] == [state(app).keyring.current().kid]
    key = document["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key and "p" not in key  # public parts only


def test_rotate_then_retire(tool, browser):
    app, url = tool
    ring = state(app).keyring
    old = ring.current()
    old_token = jwt.encode(
        {"sub": "x"}, old.private_key, algorithm="RS256", headers={"kid": old.kid}
    )

    result = _cli(app, "keys", "rotate")
    assert result.exit_code == 0, result.output
    new = ring.current()
    assert new.kid != old.kid
    published = {k["kid"]: k for k in browser.get(url + "/lti/jwks.json").json()["keys"]}
    assert set(published) == {old.kid, new.kid}
    # a token signed before the rotation still verifies against the published JWKS
    public = jwt.PyJWK(published[old.kid]).key
    assert jwt.decode(old_token, public, algorithms=["RS256"])["sub"] == "x"

    refused = _cli(app, "keys", "retire", new.kid)
    assert refused.exit_code != 0 and "signs now" in refused.output
    assert _cli(app, "keys", "retire", old.kid).exit_code == 0
    assert [k["kid"] for k in browser.get(url + "/lti/jwks.json").json()["keys"]] == [new.kid]


@pytest.mark.first_start
def test_private_keys_are_private_files(app):
    for path in state(app).keyring.directory.glob("*.pem"):
        assert path.stat().st_mode & 0o077 == 0


def test_platform_jwks_fetched_once_then_cached(tool, platform):
    import requests

    _, url = tool
    for n in range(5):
        assert platform.full_launch(requests.Session(), url, sub=f"p{n}").status_code == 303
    assert platform.jwks_hits == 1


def test_platform_key_rotation_triggers_one_fetch(tool, platform):
    import requests

    _, url = tool
    assert platform.full_launch(requests.Session(), url).status_code == 303
    assert platform.jwks_hits == 1
    platform.rotate("platform-key-2")
    for n in range(4):
        assert platform.full_launch(requests.Session(), url, sub=f"r{n}").status_code == 303
    assert platform.jwks_hits == 2


def test_unknown_kids_do_not_flood_the_platform(tool, platform, browser):
    import requests

    _, url = tool
    assert platform.full_launch(requests.Session(), url).status_code == 303
    for n in range(5):
        session = requests.Session()
        login = platform.login(session, url)
        token = platform.sign(platform.claims(login.nonce), kid=f"made-up-{n}")
        assert platform.launch(session, url, token, login.state).status_code == 401
    assert platform.jwks_hits == 2  # one refetch per interval, not one per bad token
