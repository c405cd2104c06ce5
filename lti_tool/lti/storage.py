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

# How many writes a process makes between two countings of the cache folder's files.
RECOUNT_EVERY = 500


class OneShotFileSystemCache(FileSystemCache):
    """Flask-Caching's file cache, for one machine without Redis, made fit for launch state.

    `delete` reports whether *this* call removed a live key: cachelib answers True for a
    missing file; `os.remove` itself succeeds for one caller only, which is what using up a
    nonce across worker processes needs. (Redis's DEL already says so.)

    cachelib keeps the number of files in a file of its own, read and rewritten on every write
    and delete (three more file operations each); here each process counts in memory and
    lists the folder again every RECOUNT_EVERY writes, which is all pruning needs.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._counted = 0
        self._writes = 0
        super().__init__(*args, **kwargs)

    @property
    def _file_count(self) -> int:
        return self._counted

    def _update_count(self, delta: int | None = None, value: int | None = None) -> None:
        self._counted = value if value is not None else max(0, self._counted + (delta or 0))

    def set(self, key: str, value: Any, timeout: Any = None, mgmt_element: bool = False) -> bool:
        self._writes += 1
        if self._writes % RECOUNT_EVERY == 0 and self._threshold:
            self._counted = sum(1 for _ in self._list_dir())
        return bool(super().set(key, value, timeout, mgmt_element))

    def delete(self, key: str, mgmt_element: bool = False) -> bool:
        if self.get(key) is None:
            return False  # missing or expired: not this caller's to use up
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
        """Delete a live key; True only for the one caller that removed it, in any worker.

        One command: Redis's DEL counts what it removed and an expired key is already gone;
        OneShotFileSystemCache checks both. (Tests' in-memory SimpleCache would use up an
        expired nonce, but the login parameters set with it have expired too, and the launch
        is refused on those first.)"""
        return bool(self._get_cache().delete(self._prepare_key(key)))


# How long a login may take between Rapport's redirect to the platform and the launch coming
# back: its state, its nonce and the login's parameters are kept this long and no longer.
LOGIN_TTL_SECONDS = 600


def login_key(state: str) -> str:
    """Where a login's parameters and nonce are kept until its launch uses them up."""
    return "login-params-" + state


class OneTimeNonceSessionService(FlaskSessionService):
    """A login's nonce is kept with the login's parameters, under its state, in one write:
    pylti1p3 saves the nonce under a key of its own, then the parameters passed to the launch
    (`pass_params_to_launch`, its hook for them) under the state; here the nonce waits for the
    parameters and goes with them. The pair is then bound as the spec wants (a launch must
    bring back the nonce issued with its state), and a launch uses it up by deleting it."""

    data_storage: SharedLaunchStorage

    def __init__(self, request: Any) -> None:
        super().__init__(request)
        self._nonce: str | None = None

    def save_nonce(self, nonce: str) -> None:
        self._nonce = nonce  # written by save_state_params, which the login always reaches

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        # pylti1p3 keeps state parameters as long as launch data (a day): an anonymous login
        # would leave a key behind for a day. They are only needed until the launch arrives.
        assert self._nonce is not None, "pylti1p3 saves the nonce before the state's parameters"
        self.data_storage.set_value(
            login_key(state), {**params, "nonce": self._nonce}, exp=LOGIN_TTL_SECONDS
        )

    def login_params(self, state: str) -> dict[str, Any] | None:
        """The parameters and nonce of the login that issued `state`, until used up."""
        found: dict[str, Any] | None = self.data_storage.get_value(login_key(state))
        return found

    def use_up_login(self, state: str) -> bool:
        """True for the one launch, in any worker, that deleted this login's parameters."""
        return self.data_storage.pop_value(login_key(state))


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
