"""A test LTI 1.3 platform that really signs id_tokens and serves its JWKS over HTTP.

It is written from the specs with PyJWT and cryptography only — never with Rapport's own code —
so that a refusal test proves Rapport checks what the spec requires, not what Rapport emits.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.wrappers import Request, Response

from tests.keys import platform_key
from tests.servers import serve

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@dataclass
class PlatformKey:
    kid: str
    key: rsa.RSAPrivateKey = field(
        default_factory=platform_key
    )

    def jwk(self) -> dict[str, Any]:
        return {
            **json.loads(RSAAlgorithm.to_jwk(self.key.public_key())),
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        }


@dataclass
class LoginRedirect:
    """What Rapport's /lti/login answered: the OIDC auth request it sent the browser to."""

    response: requests.Response
    params: dict[str, str]

    @property
    def state(self) -> str:
        return self.params["state"]

    @property
    def nonce(self) -> str:
        return self.params["nonce"]


class TestPlatform:
    __test__ = False

    def __init__(
        self,
        issuer: str = "https://lms.example.edu",
        client_id: str = "client-1",
        deployment_id: str = "dep-1",
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.keys = [PlatformKey("platform-key-1")]
        self.jwks_hits = 0
        self.base_url = ""

    # -- JWKS over HTTP ---------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/jwks":
            self.jwks_hits += 1
            body = json.dumps({"keys": [k.jwk() for k in self.keys]})
            return Response(body, content_type="application/json")(environ, start_response)
        return Response("not found", status=404)(environ, start_response)

    @contextmanager
    def running(self) -> Iterator[TestPlatform]:
        with serve(self._wsgi) as url:
            self.base_url = url
            yield self

    @property
    def jwks_url(self) -> str:
        return self.base_url + "/jwks"

    def registration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.issuer + "/auth",
            "auth_token_url": self.issuer + "/token",
            "key_set_url": self.jwks_url,
            "deployment_ids": [self.deployment_id],
        }

    def rotate(self, kid: str) -> None:
        self.keys.append(PlatformKey(kid))

    # -- the OIDC flow ----------------------------------------------------------------------
    def login_params(self, tool_url: str, **extra: str) -> dict[str, str]:
        """The third-party initiated login's parameters (Core §5.1.1)."""
        return {
            "iss": self.issuer,
            "login_hint": "user-hint",
            "target_link_uri": tool_url + "/lti/launch",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
            **extra,
        }

    def login(self, http: requests.Session, tool_url: str, **extra: str) -> LoginRedirect:
        params = self.login_params(tool_url, **extra)
        response = http.post(tool_url + "/lti/login", data=params, allow_redirects=False)
        return LoginRedirect(response, auth_request(response.headers.get("Location", "")))

    def claims(self, nonce: str, /, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "user-" + uuid.uuid4().hex[:8],
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Ada Lovelace",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.edu",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": "",
            LTI + "roles": [LEARNER],
            LTI + "resource_link": {"id": "link-1", "title": "Rapport"},
            LTI + "context": {
                "id": "course-1",
                "title": "Introduction to Poetry",
                "label": "POE101",
            },
        }
        for name, value in overrides.items():
            if value is DROP:
                body.pop(name, None)
            else:
                body[name] = value
        return body

    def sign(
        self,
        body: dict[str, Any],
        kid: str | None = "",
        key: PlatformKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        signer = key or self.keys[-1]
        header: dict[str, Any] = {"kid": signer.kid if kid == "" else kid, **(headers or {})}
        if kid is None:
            header.pop("kid")
        # Signed as JWS over the body's JSON, not with `jwt.encode`, which refuses some wrong
        # claims (a non-string `iss`) that a broken platform could still sign.
        payload = json.dumps(body, separators=(",", ":")).encode()
        return jwt.api_jws.encode(payload, signer.key, algorithm="RS256", headers=header)

    def launch(
        self, http: requests.Session, tool_url: str, id_token: str, state: str, **kwargs: Any
    ) -> requests.Response:
        return http.post(
            tool_url + "/lti/launch",
            data={"id_token": id_token, "state": state},
            allow_redirects=False,
            **kwargs,
        )

    def full_launch(
        self, http: requests.Session, tool_url: str, **overrides: Any
    ) -> requests.Response:
        login = self.login(http, tool_url)
        token = self.sign(self.claims(login.nonce, **overrides))
        return self.launch(http, tool_url, token, login.state)


def auth_request(location: str) -> dict[str, str]:
    """The parameters of the OIDC auth request a login redirected to (state, nonce, …)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()
