"""Platform public keys, fetched from each platform's JWKS URL and cached (Security Framework §6.3).

A launch never fetches the JWKS while the cache holds the token's `kid`. A `kid` the cache lacks
means the platform rotated its key: the JWKS is fetched again, at most once per interval per
URL, so a flood of tokens with made-up key ids cannot turn into a flood of fetches.

Each process also keeps the keys it verified with, by (JWKS URL, `kid`), for KEPT_SECONDS: a key
id names one key for good (RFC 7517 §4.5), so a launch signed with a key seen lately costs no
cache command and no key parsing; a key the platform withdrew is refused once the shared copy
of its JWKS no longer lists it and this short while has passed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

import requests
from jwt import PyJWK, PyJWKError

from lti_tool.i18n import lazy_gettext
from lti_tool.lti.errors import LaunchError

log = logging.getLogger(__name__)
# i18n: not translated (the User-Agent Rapport sends)
USER_AGENT = "Rapport-LTI-Tool/0.1 (+https://github.com/rapport)"
KEPT_SECONDS = 300.0
KEPT_MOST = 256


class PlatformKeys:
    def __init__(
        self,
        cache: Any,
        http: requests.Session,
        cache_seconds: int,
        refetch_interval_seconds: int,
        timeout: float = 10.0,
    ) -> None:
        self.cache = cache
        self.http = http
        self.cache_seconds = cache_seconds
        self.refetch_interval = refetch_interval_seconds
        self.timeout = timeout
        self._kept: dict[tuple[str, str], tuple[float, PyJWK]] = {}
        self._lock = threading.Lock()

    def key_for(self, kid: str, key_set_url: str | None, key_set: dict[str, Any] | None) -> PyJWK:
        if not isinstance(kid, str):  # a header may carry any JSON; a JWK's kid is a string
            raise _unknown_kid(str(kid), key_set_url)
        if key_set:
            found = _find(key_set, kid)
            if found is None:
                raise _unknown_kid(kid, None)
            return found
        if not key_set_url:
            raise LaunchError(
                "no_platform_keys",
                lazy_gettext("This platform is registered without a JWKS URL or key set."),
                lazy_gettext(
                    "Add the platform's JWKS URL with `rapport platform add --key-set-url …`."
                ),
                status=401,
            )
        now = time.monotonic()
        kept = self._kept.get((key_set_url, kid))
        if kept is not None and now - kept[0] < KEPT_SECONDS:
            return kept[1]
        found = self._shared(kid, key_set_url)
        with self._lock:
            if len(self._kept) >= KEPT_MOST:
                self._kept.clear()
            self._kept[(key_set_url, kid)] = (now, found)
        return found

    def _shared(self, kid: str, key_set_url: str) -> PyJWK:
        """The key from the JWKS in the cache every process shares, fetched when it lacks it."""
        name = "jwks:" + hashlib.sha256(key_set_url.encode()).hexdigest()
        cached = self.cache.get(name)
        if cached and (found := _find(cached, kid)) is not None:
            return found
        if cached and not self._may_refetch(name):
            raise _unknown_kid(kid, key_set_url)
        fresh = self._fetch(key_set_url)
        self.cache.set(name, fresh, timeout=self.cache_seconds)
        self.cache.set(name + ":fetched", time.time(), timeout=self.cache_seconds)
        found = _find(fresh, kid)
        if found is None:
            raise _unknown_kid(kid, key_set_url)
        return found

    def _may_refetch(self, name: str) -> bool:
        # `add` succeeds for one caller per interval, in every worker.
        return bool(self.cache.add(name + ":refetch", 1, timeout=self.refetch_interval))

    def _fetch(self, url: str) -> dict[str, Any]:
        log.info("fetching platform JWKS %s", url)
        try:
            response = self.http.get(
                url,
                timeout=self.timeout,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            )
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise LaunchError(
                "platform_jwks_unavailable",
                lazy_gettext(
                    "Rapport could not read the platform's public keys from %(url)s (%(reason)s).",
                    url=url,
                    reason=str(exc),
                ),
                lazy_gettext(
                    "Check that the platform's JWKS URL is right and reachable from Rapport's "
                    "server."
                ),
                status=424,
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise LaunchError(
                "platform_jwks_invalid",
                lazy_gettext("The document at %(url)s is not a JSON Web Key Set.", url=url),
                lazy_gettext("Point the registration at the platform's JWKS URL."),
                status=424,
            )
        return data


def _find(key_set: dict[str, Any], kid: str) -> PyJWK | None:
    for entry in key_set.get("keys") or []:
        if not isinstance(entry, dict) or entry.get("kid") != kid:
            continue
        if entry.get("kty") != "RSA" or entry.get("alg", "RS256") != "RS256":
            continue
        try:
            return PyJWK(entry, algorithm="RS256")
        except PyJWKError:
            return None
    return None


def _unknown_kid(kid: str, key_set_url: str | None) -> LaunchError:
    """`key_set_url` None: the key set stored with the registration."""
    if key_set_url:
        message = lazy_gettext(
            "The launch was signed with key %(kid)s, which is not in %(url)s.",
            kid=repr(kid),
            url=key_set_url,
        )
    else:
        message = lazy_gettext(
            "The launch was signed with key %(kid)s, which is not in the key set stored for "
            "this platform.",
            kid=repr(kid),
        )
    return LaunchError(
        "unknown_kid",
        message,
        lazy_gettext(
            "If the platform rotated its keys, check its JWKS URL; otherwise the token was not "
            "signed by this platform."
        ),
        status=401,
    )
