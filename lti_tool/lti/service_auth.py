"""Access tokens for LTI Advantage services: the OAuth 2.0 client-credentials grant with a JWT
client assertion (Security Framework §4.1, RFC 7523), and authorised service requests.

Tokens are cached per (registration, scopes) until shortly before they expire — in Redis when
set, so every worker shares them — and requested again once when a service answers 401. The
client assertion is signed with the key object loaded once by the key ring: never with a PEM
string, which would re-validate the RSA key on every signature.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import jwt
import requests

from lti_tool.i18n import KeptReason, keep
from lti_tool.lti.claims import web_origin, web_origins
from lti_tool.lti.keys import KeyRing
from lti_tool.lti.platform_keys import USER_AGENT
from lti_tool.models import Registration

log = logging.getLogger(__name__)
# OAuth 2.0 and LTI error codes: protocol values, not free text (RFC 6749 §5.2).
ERROR_CODE = re.compile(r"[a-z][a-z0-9_.]{0,63}")

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXPIRY_MARGIN_SECONDS = 60
DEFAULT_TIMEOUT = 15.0


class ServiceError(KeptReason):
    """A service call failed; `status` is the HTTP status (0 when no answer came).

    `message` is why, as `keep` stores it (or the platform's words as they are): `kept` is what
    a grade or a roster stores for staff to read in their own language, `str()` of the error
    that reason in English, for logs."""

    def __init__(self, message: str, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def reason(exc: BaseException) -> str:
    """Why a request failed, to keep inside another message: its kept form when it has one
    (a refusal of `lti_tool.outbound`, a `ServiceError`), else its words as they are."""
    kept = getattr(exc, "kept", None)
    return kept if isinstance(kept, str) else str(exc)


@dataclass(frozen=True)
class PlatformEndpoint:
    """What a service call needs to know about a registration, outside any request."""

    registration_id: int
    issuer: str
    client_id: str
    token_url: str
    token_audience: str | None = None
    # The platform's sites (`Registration.site_urls`, Canvas serving NRPS and AGS from the
    # school's domain); when not given, those of the issuer and the token endpoint.
    sites: frozenset[str] = frozenset()

    @classmethod
    def of(cls, registration: Registration) -> PlatformEndpoint:
        return cls(
            registration_id=registration.id,
            issuer=registration.issuer,
            client_id=registration.client_id,
            token_url=registration.auth_token_url,
            token_audience=registration.auth_audience,
            sites=web_origins(registration.site_urls),
        )

    def serves(self, url: str) -> bool:
        """Whether a service URL lies on one of the platform's own sites: a roster or a
        gradebook anywhere else gets neither a request nor the platform's access token."""
        sites = self.sites or web_origins((self.issuer, self.token_url))
        return web_origin(url) in sites


def platform_words(response: requests.Response) -> str:
    """Why the platform refused, in words safe to show a person: the HTTP status line (Moodle
    puts its reason there) and a protocol error code (`invalid_client`). Whatever else the body
    said goes to the log only: a remote body is never shown on a page."""
    text = response.text.strip()
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    code = data.get("error") if isinstance(data, dict) else None
    if text and text not in {"[]", "{}"}:
        log.info("platform answered HTTP %s: %r", response.status_code, text[:500])
    words = f"{response.status_code} {response.reason or ''}".strip()
    if isinstance(code, str) and ERROR_CODE.fullmatch(code):
        words += f": {code}"
    return words


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class ServiceTokens:
    def __init__(
        self, cache: Any, http: requests.Session, keyring: KeyRing, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.cache = cache
        self.http = http
        self.keyring = keyring
        self.timeout = timeout

    def _cache_key(self, platform: PlatformEndpoint, scopes: tuple[str, ...]) -> str:
        raw = "\n".join([platform.issuer, platform.client_id, platform.token_url, *scopes])
        return "service-token:" + hashlib.sha256(raw.encode()).hexdigest()

    def token(self, platform: PlatformEndpoint, scopes: Iterable[str], fresh: bool = False) -> str:
        wanted = tuple(sorted(set(scopes)))
        key = self._cache_key(platform, wanted)
        if not fresh:
            cached = self.cache.get(key)
            if cached:
                return str(cached)
        token, lifetime = self._request_token(platform, wanted)
        self.cache.set(key, token, timeout=max(1, lifetime - EXPIRY_MARGIN_SECONDS))
        return token

    def forget(self, platform: PlatformEndpoint, scopes: Iterable[str]) -> None:
        self.cache.delete(self._cache_key(platform, tuple(sorted(set(scopes)))))

    def client_assertion(self, platform: PlatformEndpoint) -> str:
        key = self.keyring.current()
        now = int(time.time())
        claims = {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.token_audience or platform.token_url,
            "iat": now,
            "exp": now + 300,
            "jti": "rapport-" + uuid.uuid4().hex,
        }
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def _request_token(
        self, platform: PlatformEndpoint, scopes: tuple[str, ...]
    ) -> tuple[str, int]:
        data = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.client_assertion(platform),
            "scope": " ".join(scopes),
        }
        try:
            response = self.http.post(
                platform.token_url,
                data=data,
                timeout=self.timeout,
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            )
        except requests.RequestException as exc:
            failed = keep(
                "token request to %(url)s failed: %(reason)s",
                url=platform.token_url,
                reason=reason(exc),
            )
            raise ServiceError(failed) from exc
        log.info("requested access token from %s (%s)", platform.token_url, response.status_code)
        if response.status_code != 200:
            raise ServiceError(
                keep(
                    "the platform refused an access token: %(words)s",
                    words=platform_words(response),
                ),
                response.status_code,
                retry_after_seconds(response),
            )
        try:
            # Moodle's token.php answers JSON labelled text/html: read the body, not the label.
            body = json.loads(response.text)
            token = str(body["access_token"])
        except (ValueError, KeyError, TypeError) as exc:
            log.info("token endpoint answered without a token: %r", response.text[:500])
            raise ServiceError(
                keep("the token endpoint answered no access token"), response.status_code
            ) from exc
        expires_in = body.get("expires_in")
        lifetime = (
            int(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 3600
        )
        return token, lifetime


class ServiceClient:
    """Authorised requests to a platform's services, with one token refresh on 401."""

    def __init__(self, tokens: ServiceTokens, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.tokens = tokens
        self.timeout = timeout

    def request(
        self,
        platform: PlatformEndpoint,
        scopes: Iterable[str],
        method: str,
        url: str,
        *,
        accept: str,
        body: Any = None,
        content_type: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        if not platform.serves(url):
            raise ServiceError(
                keep(
                    "%(url)s is not on the platform's own sites, so Rapport does not call it",
                    url=url,
                ),
                0,
            )
        scopes = tuple(scopes)
        response = self._send(
            platform, scopes, method, url, accept, body, content_type, params, fresh=False
        )
        if response.status_code == 401:
            self.tokens.forget(platform, scopes)
            response = self._send(
                platform, scopes, method, url, accept, body, content_type, params, fresh=True
            )
        return response

    def _send(
        self,
        platform: PlatformEndpoint,
        scopes: tuple[str, ...],
        method: str,
        url: str,
        accept: str,
        body: Any,
        content_type: str | None,
        params: dict[str, Any] | None,
        *,
        fresh: bool,
    ) -> requests.Response:
        token = self.tokens.token(platform, scopes, fresh=fresh)
        headers = {"Authorization": f"Bearer {token}", "Accept": accept, "User-Agent": USER_AGENT}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
            data = json.dumps(body)
        try:
            return self.tokens.http.request(
                method, url, headers=headers, data=data, params=params, timeout=self.timeout
            )
        except requests.RequestException as exc:
            failed = keep(
                "%(method)s %(url)s failed: %(reason)s", method=method, url=url, reason=reason(exc)
            )
            raise ServiceError(failed) from exc
