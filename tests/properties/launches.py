"""The test platform launching into a running Rapport in-process, through Flask's test client.

The real OIDC login and launch, each example in a browser of its own; only the platform's JWKS
is fetched over HTTP (once: Rapport caches it), which is why the app runs beside a live
`TestPlatform`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from tests.conftest import RunningTool, running_tool
from tests.platform import TestPlatform, auth_request


@dataclass
class InProcessLms:
    tool: RunningTool

    @property
    def app(self) -> Flask:
        return self.tool.app

    @property
    def platform(self) -> TestPlatform:
        return self.tool.platform

    def launch(self, changes: dict[str, Any]) -> tuple[TestResponse, Any]:
        """Log in, then launch with the test platform's claims changed by `changes` (DROP
        removes one); the launch's answer and the browser that got it."""
        browser = self.app.test_client()
        login = browser.post("/lti/login", data=self.platform.login_params(self.tool.url))
        assert login.status_code == 302, login.text[:300]
        auth = auth_request(login.headers["Location"])
        token = self.platform.sign(self.platform.claims(auth["nonce"], **changes))
        launched = browser.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
        return launched, browser


@contextmanager
def in_process_lms(tmp: Path, templates: Path) -> Iterator[InProcessLms]:
    with running_tool(tmp, templates) as tool:
        yield InProcessLms(tool)
