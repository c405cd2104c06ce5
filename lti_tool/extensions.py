"""Flask extensions and the per-app state every view reaches through `rapport()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from flask import current_app
from flask_caching import Cache
from flask_wtf import CSRFProtect
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.config import Settings
from lti_tool.db import utcnow
from lti_tool.lti.keys import KeyRing
from lti_tool.lti.platform_keys import PlatformKeys
from lti_tool.services.launches import RecentLaunches
from lti_tool.services.platforms.directory import PlatformDirectory, PlatformSnapshot

cache = Cache()
csrf = CSRFProtect()


@dataclass
class Rapport:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: KeyRing
    http: requests.Session
    platform_keys: PlatformKeys
    # Registrations and deployments as logins and launches read them, kept per process.
    platforms: PlatformDirectory
    # Members whose launch this process recorded lately (`services/launches.py`).
    recent_launches: RecentLaunches = field(default_factory=RecentLaunches)
    # The Redis that holds launch state, caches and rate limits (REDIS_URL), for health checks.
    redis: Redis | None = None
    # What time it is for the app's rules (scheduled posts, rate limits); tests replace it.
    clock: Callable[[], datetime] = field(default=utcnow)

    @property
    def cookie_options(self) -> dict[str, Any]:
        return self.cookie_policy(self.settings)

    @staticmethod
    def cookie_policy(settings: Settings) -> dict[str, Any]:
        """Cookie attributes for the LMS iframe: cross-site over https, lax on plain http.

        Browsers refuse `SameSite=None` without `Secure`, and `Secure` over plain http except on
        localhost; so a plain-http install (the demo) uses Lax cookies and same-site launches.
        """
        if settings.is_https:
            return {"secure": True, "samesite": "None", "partitioned": True}
        return {"secure": False, "samesite": "Lax"}


def rapport() -> Rapport:
    state: Rapport = current_app.extensions["rapport"]
    return state


def db() -> Session:
    """The database session of this request, closed when the request ends."""
    from flask import g

    if "db" not in g:
        g.db = rapport().sessions()
    session: Session = g.db
    return session


def platforms_now() -> PlatformSnapshot:
    """The registrations as this request found them: the platform stamp is read once per
    request (`services/platforms/directory.py`)."""
    from flask import g

    if "platforms" not in g:
        g.platforms = rapport().platforms.current()
    snapshot: PlatformSnapshot = g.platforms
    return snapshot


def forget_platforms_now() -> None:
    """After this request committed a registration change: read the stamp anew."""
    from flask import g

    g.pop("platforms", None)
