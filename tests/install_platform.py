"""A fake LMS for LTI Dynamic Registration, over real HTTP, in the shapes of tests/fixtures/lms.

It serves Moodle 4.5.6's captured OpenID configuration and registration answer, or the ones
Canvas documents, with every platform address rewritten to this server (so issuer, endpoints
and the configuration URL agree), checks the registration token and records what the tool sent.
It is written from the fixtures only, never with Rapport's code.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from tests.fixtures import FIXTURES
from tests.servers import serve

TOKEN = "REDACTED-REGISTRATION-TOKEN"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


@dataclass(frozen=True)
class Family:
    folder: str
    configuration: str
    response: str
    # Addresses in the fixtures that stand for the platform; all become this server.
    platform_origins: tuple[str, ...]


FAMILIES = {
    "moodle": Family(
        "moodle-4.5",
        "openid_configuration.json",
        "dynamic_registration_response.json",
        ("http://127.0.0.1:8080",),
    ),
    "canvas": Family(
        "canvas",
        "openid_configuration.json",
        "dynamic_registration_response_example.json",
        (
            "https://canvas.example.edu",
            "https://sso.canvaslms.com",
            "https://canvas.instructure.com",
        ),
    ),
}


def load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return data


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()


@dataclass
class RegistrationPlatform:
    """Set `configuration_changes` / `response_changes` (DROP removes a key) before the tool
    calls; `configuration_text` serves that text instead of JSON."""

    family_name: str
    token: str = TOKEN
    configuration_changes: dict[str, Any] = field(default_factory=dict)
    response_changes: dict[str, Any] = field(default_factory=dict)
    configuration_text: str | None = None
    received: list[Received] = field(default_factory=list)
    base_url: str = ""

    @property
    def family(self) -> Family:
        return FAMILIES[self.family_name]

    @contextmanager
    def running(self) -> Iterator[RegistrationPlatform]:
        with serve(self._wsgi) as url:
            self.base_url = url
            yield self

    # -- the documents, rewritten to this server --------------------------------------------
    def _rewrite(self, data: Any) -> Any:
        """Platform addresses in values become this server; keys (claim names) stay."""
        if isinstance(data, dict):
            return {k: self._rewrite(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self._rewrite(v) for v in data]
        if isinstance(data, str):
            for origin in self.family.platform_origins:
                if data == origin or data.startswith(origin + "/"):
                    return self.base_url + data.removeprefix(origin)
        return data

    def configuration(self) -> dict[str, Any]:
        body = self._rewrite(load(f"{self.family.folder}/{self.family.configuration}")["body"])
        return _changed(body, self.configuration_changes)

    def registration_answer(self) -> dict[str, Any]:
        body = self._rewrite(load(f"{self.family.folder}/{self.family.response}")["body"])
        return _changed(body, self.response_changes)

    @property
    def configuration_path(self) -> str:
        original = load(f"{self.family.folder}/{self.family.configuration}")["_request"]["_url"]
        return urlsplit(original).path

    @property
    def registration_path(self) -> str:
        return urlsplit(self.configuration()["registration_endpoint"]).path

    @property
    def openid_configuration_url(self) -> str:
        url = self.base_url + self.configuration_path
        # Canvas puts the token in the configuration URL too (fixture's _request._url).
        return url + f"?registration_token={self.token}" if self.family_name == "canvas" else url

    def initiation_params(self, token: str | None = None) -> dict[str, str]:
        """What the LMS appends to the tool's registration URL (Moodle's 302 in the fixture)."""
        return {
            "openid_configuration": self.openid_configuration_url,
            "registration_token": self.token if token is None else token,
        }

    # -- HTTP --------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data(as_text=True)
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body
        self.received.append(Received(request.method, request.path, dict(request.headers), parsed))
        return self._answer(request)(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.method == "GET" and request.path == self.configuration_path:
            if self.configuration_text is not None:
                return Response(self.configuration_text, content_type="text/html")
            return _json(self.configuration())
        if request.method == "POST" and request.path == self.registration_path:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return self._refusal()
            return _json(self.registration_answer())
        return Response("not found", status=404)

    def _refusal(self) -> Response:
        message = "The registration token is invalid or has expired"
        if self.family_name == "canvas":
            return _json({"errors": [{"message": message}]}, status=401)
        return Response(message, status=401, content_type="text/plain")

    def registrations(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST"]


def _changed(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for name, value in changes.items():
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")
