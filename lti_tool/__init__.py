"""Rapport: an LTI 1.3 tool that keeps teaching personal at scale.

`create_app()` is the WSGI entry point named in the stable contract (docs/product.md).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Flask, g
from redis import Redis
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from lti_tool import frame_session, observability
from lti_tool.config import PROJECT_ROOT, Settings, load_settings
from lti_tool.db import end_request, make_engine, make_session_factory
from lti_tool.extensions import Rapport, cache, csrf
from lti_tool.lti.keys import KeyRing
from lti_tool.lti.platform_keys import USER_AGENT, PlatformKeys
from lti_tool.outbound import outbound_session
from lti_tool.services.platforms.directory import PlatformDirectory, watch_platform_changes

__all__ = ["create_app"]


def _cache_config(settings: Settings) -> dict[str, Any]:
    if settings.extra.get("CACHE_TYPE"):
        return {"CACHE_TYPE": settings.extra["CACHE_TYPE"]}
    if settings.redis_url:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": "rapport:",
        }
    return {
        "CACHE_TYPE": "lti_tool.lti.storage.OneShotFileSystemCache",
        "CACHE_THRESHOLD": 100_000,
        "CACHE_DIR": str(settings.instance_dir / "cache"),
    }


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings()
    if overrides:
        settings = settings.with_overrides(overrides)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(settings.instance_dir),
    )
    cookies = Rapport.cookie_policy(settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        SESSION_COOKIE_NAME="rapport_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=cookies["secure"],
        SESSION_COOKIE_SAMESITE=cookies["samesite"],
        SESSION_COOKIE_PARTITIONED=cookies.get("partitioned", False),
        PREFERRED_URL_SCHEME="https" if settings.is_https else "http",
        # The CSRF token lives in the session, which already survives the iframe; the Referer
        # check would refuse forms in browsers that strip it inside frames.
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_KEY_PREFIX="rapport-limits",
        RATELIMIT_STRATEGY="moving-window",
        # No X-RateLimit-* headers: reading the window for them cost each login and launch a
        # round trip to Redis more. A 429 still says Retry-After (limits.install).
        RATELIMIT_HEADERS_ENABLED=False,
        **_cache_config(settings),
    )
    app.config.update({k: v for k, v in settings.extra.items() if k.isupper()})
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app,
        x_for=settings.proxy_hops,
        x_proto=settings.proxy_hops,
        x_host=settings.proxy_hops,
        x_port=settings.proxy_hops,
    )
    observability.install(app, settings)  # JSON log lines, request ids, request latency

    engine = make_engine(settings.database_url)
    keyring = KeyRing(settings.keys_dir)
    keyring.ensure()
    http = outbound_session(settings, USER_AGENT)
    cache.init_app(app)
    csrf.init_app(app)
    frame_session.install(app)  # the session from its cookie, or from a frame's `rs` token
    sessions = make_session_factory(engine)
    platforms = PlatformDirectory(app.extensions["cache"][cache])
    watch_platform_changes(sessions, platforms)  # every writer's commit reaches every process
    app.extensions["rapport"] = Rapport(
        settings=settings,
        engine=engine,
        sessions=sessions,
        keyring=keyring,
        http=http,
        platform_keys=PlatformKeys(
            cache, http, settings.jwks_cache_seconds, settings.jwks_refetch_interval_seconds
        ),
        platforms=platforms,
        redis=(
            Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
            if settings.redis_url
            else None
        ),
    )

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            # The database went away after the answer was made: SQLAlchemy has dropped the
            # connection, and the server rolls back whatever was not committed.
            with suppress(OperationalError, InterfaceError):
                end_request(session, failed=_exc is not None)

    from lti_tool import jobs, tasks

    jobs.install(app, settings)
    jobs.send_on_commit(app, app.extensions["rapport"].sessions)
    tasks.deliver_new_scores(app.extensions["rapport"].sessions)
    tasks.notify_when_mail_is_on(app.extensions["rapport"].sessions, settings)
    from lti_tool.views import register_views

    register_views(app)
    from lti_tool import limits

    limits.install(app)
    if settings.demo:
        from lti_tool.demo import init_demo

        init_demo(app)
    return app
