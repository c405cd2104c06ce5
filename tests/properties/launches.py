"""The test platform launching into a running Rapport in-process, through Flask's test client.

The real OIDC login and launch, each example in a browser of its own; only the platform's JWKS
is fetched over HTTP (once: Rapport caches it), which is why the app runs beside a live
`TestPlatform`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Flask
from werkzeug.test import TestResponse

from tests.conftest import RunningTool, running_tool
from tests.platform import DROP, PlatformKey, TestPlatform, auth_request
from tests.properties.strategies import FORM, form_body


@dataclass
class InProcessLms:
    tool: RunningTool

    @property
    def app(self) -> Flask:
        return self.tool.app

    @property
    def platform(self) -> TestPlatform:
        return self.tool.platform

    def login(self, browser: Any, changes: dict[str, Any] | None = None) -> TestResponse:
        """The platform's login request, its parameters changed by `changes` (DROP removes
        one), sent as a browser sends a form (lone surrogates as invalid UTF-8)."""
        params = {**self.platform.login_params(self.tool.url), **(changes or {})}
        pairs = [(k, v) for k, v in params.items() if v is not DROP]
        return browser.post("/lti/login", data=form_body(pairs), headers=FORM)

    def launch(
        self, changes: dict[str, Any], header: dict[str, Any] | None = None
    ) -> tuple[TestResponse, Any]:
        """Log in, then launch with the test platform's claims changed by `changes` and, when
        `header` is given, the id_token's header changed by it (DROP removes an entry); the
        launch's answer and the browser that got it."""
        browser = self.app.test_client()
        login = self.login(browser)
        assert login.status_code == 302, login.text[:300]
        auth = auth_request(login.headers["Location"])
        body = self.platform.claims(auth["nonce"], **changes)
        if header is None:
            token = self.platform.sign(body)
        else:
            key = self.platform.keys[-1]
            fields = {"alg": "RS256", "kid": key.kid, "typ": "JWT", **header}
            token = signed_as_given({k: v for k, v in fields.items() if v is not DROP}, body, key)
        launched = browser.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
        return launched, browser


def signed_as_given(header: dict[str, Any], body: dict[str, Any], key: PlatformKey) -> str:
    """A JWS with exactly this header, signed RS256 with the platform's key whatever the header
    says (PyJWT would sign with the header's `alg`)."""

    def part(value: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    signing_input = part(header) + b"." + part(body)
    signature = key.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


@contextmanager
def in_process_lms(tmp: Path, templates: Path) -> Iterator[InProcessLms]:
    with running_tool(tmp, templates) as tool:
        yield InProcessLms(tool)
