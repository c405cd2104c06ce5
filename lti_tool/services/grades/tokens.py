"""Service tokens for a grade worker that sends several scores at once (Security Framework §4.1).

`ServiceTokens` asks the platform for a token when its cache has none, and again when a call
answers 401. With sends running side by side, every one of them would do so at the same moment:
on a cold start, and when the platform expires its tokens mid-batch. Here one thread asks while
the others wait for its answer, and a 401 for a token someone already replaced uses the new one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import requests

from lti_tool.lti.keys import KeyRing
from lti_tool.lti.service_auth import PlatformEndpoint, ServiceTokens


class SharedTokens(ServiceTokens):
    def __init__(self, cache: Any, http: requests.Session, keyring: KeyRing) -> None:
        super().__init__(cache, http, keyring)
        self._asking = threading.Lock()
        self._held = threading.local()  # the token each thread last sent, per cache key

    def _key(self, platform: PlatformEndpoint, scopes: Iterable[str]) -> str:
        return self._cache_key(platform, tuple(sorted(set(scopes))))

    def _last_sent(self, key: str) -> str | None:
        held: dict[str, str] = getattr(self._held, "tokens", {})
        return held.get(key)

    def _remember(self, key: str, token: str) -> str:
        if not hasattr(self._held, "tokens"):
            self._held.tokens = {}
        self._held.tokens[key] = token
        return token

    def token(self, platform: PlatformEndpoint, scopes: Iterable[str], fresh: bool = False) -> str:
        scopes = tuple(scopes)
        key = self._key(platform, scopes)
        if not fresh and (cached := self.cache.get(key)):
            return self._remember(key, str(cached))
        with self._asking:
            cached = self.cache.get(key)
            # Fresh: wanted because this thread's token was refused; another one may have
            # replaced it meanwhile.
            if cached and (not fresh or str(cached) != self._last_sent(key)):
                return self._remember(key, str(cached))
            return self._remember(key, super().token(platform, scopes, fresh=True))

    def forget(self, platform: PlatformEndpoint, scopes: Iterable[str]) -> None:
        """Forget the token this thread was refused, not one another thread got since."""
        key = self._key(platform, scopes)
        with self._asking:
            cached = self.cache.get(key)
            if cached is None or str(cached) == self._last_sent(key):
                super().forget(platform, scopes)
