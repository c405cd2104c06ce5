"""Launch state shared by every worker: OIDC state, nonces and the platforms' cached JWKS.

Backed by Flask-Caching (Redis when REDIS_URL is set, files under instance/ otherwise), so a
login handled by one worker and its launch handled by another agree. Nonces are *consumed*:
pylti1p3 2.0.0 only checks that a nonce exists, which would accept a replayed id_token.
"""

from __future__ import annotations

import os
from typing import Any

from flask_caching.backends.filesystemcache import FileSystemCache
from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskCookieService, FlaskSessionService


class OneShotFileSystemCache(FileSystemCache):
    """Flask-Caching's file cache whose `delete` reports whether *this* call removed the key.

    cachelib answers True for a missing file; `os.remove` itself succeeds for one caller only,
    which is what using up a nonce across worker processes needs. (Redis's DEL already says so.)
    """

    def delete(self, key: str, mgmt_element: bool = False) -> bool:
        try:
            os.remove(self._get_filename(key))
        except OSError:
            return False
        if not mgmt_element:
            self._update_count(delta=-1)
        return True


class SharedLaunchStorage(FlaskCacheDataStorage):
    """pylti1p3's cache storage without its per-browser session-id cookie.

    Keys are random (state and nonce are 128-bit or more), so they need no browser prefix; and a
    browser that blocks third-party cookies would lose that cookie and every launch with it.
    """

    def get_session_cookie_name(self) -> str | None:
        return None

    def pop_value(self, key: str) -> bool:
        """Delete a live key; True only for the one caller that removed it, in any worker."""
        key = self._prepare_key(key)
        cache = self._get_cache()
        return cache.get(key) is not None and bool(cache.delete(key))

    def put(self, key: str, value: Any, exp: int) -> None:
        self.set_value(key, value, exp)

    def get(self, key: str) -> Any:
        return self.get_value(key)


# How long a login may take between Rapport's redirect to the platform and the launch coming
# back: its state, its nonce and the login's parameters are kept this long and no longer.
LOGIN_TTL_SECONDS = 600


class OneTimeNonceSessionService(FlaskSessionService):
    data_storage: SharedLaunchStorage

    def save_nonce(self, nonce: str) -> None:
        # pylti1p3 keeps a nonce as long as launch data (a day): an anonymous login would
        # leave a key behind for a day. A nonce is only needed until the launch arrives.
        self.data_storage.set_value(self._get_key("nonce", nonce), True, exp=LOGIN_TTL_SECONDS)

    def consume_nonce(self, nonce: str) -> bool:
        return self.data_storage.pop_value(self._get_key("nonce", nonce))


class IframeCookieService(FlaskCookieService):
    """Cookies that survive an LMS iframe: `SameSite=None; Secure; Partitioned` over https.

    Stock pylti1p3 marks them Secure only on https requests (wrong behind a proxy) and never
    Partitioned, so browsers that block third-party cookies drop them.
    """

    def __init__(self, request: Any, cookie_options: dict[str, Any]) -> None:
        super().__init__(request)
        self._options = cookie_options

    def update_response(self, response: Any) -> None:
        for key, data in self._cookie_data_to_set.items():
            response.set_cookie(
                key=key,
                value=data["value"],
                max_age=data["exp"],
                path="/",
                httponly=True,
                **self._options,
            )
