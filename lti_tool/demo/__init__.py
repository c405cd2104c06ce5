"""The built-in demo LMS: a real LTI 1.3 platform inside Rapport, on with `RAPPORT_DEMO=1`.

It has its own key and JWKS, an OIDC authorization endpoint (LTI 1.3 Core §5.1.1), an OAuth 2.0
token endpoint checking the tool's client assertion (Security Framework §4.1), NRPS 2.0, AGS 2.0
line items, scores and results, a gradebook page, and a deep-linking return URL (Deep Linking
2.0 §4.5). `/demo` lists a course whose people launch Rapport through the full OIDC flow.

It registers itself in Rapport as a platform, exactly as an LMS administrator would. Since
anyone can sign in as anyone, it refuses to start on what looks like a production URL.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask

from lti_tool.config import Settings

# Importing the view modules adds their routes to the blueprint, once per process.
from lti_tool.demo import (  # noqa: F401
    ags,
    deep_linking,
    gradebook,
    nrps,
    oauth,
    oidc,
    pages,
    registration,
)
from lti_tool.demo.blueprint import bp
from lti_tool.demo.faults import Fault
from lti_tool.demo.keys import load_platform_key
from lti_tool.demo.platform import EXTENSION, DemoPlatform, demo_platform
from lti_tool.demo.store import DemoStore

__all__ = ["DemoPlatform", "Fault", "demo_platform", "init_demo", "refuse_production"]

log = logging.getLogger(__name__)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def refuse_production(settings: Settings) -> None:
    """Stop a demo that anyone could sign into as anyone from starting on a production URL."""
    host = urlsplit(settings.public_url).hostname or ""
    if settings.is_https and host not in LOCAL_HOSTS and not settings.demo_force:
        raise RuntimeError(
            f"RAPPORT_DEMO=1 but PUBLIC_URL is {settings.public_url}, which looks like a "
            "production server. The demo LMS lets anyone sign in to Rapport as any of its "
            "people, so it will not start there. Unset RAPPORT_DEMO, or set "
            "RAPPORT_DEMO_FORCE=1 if this server really is only a demo."
        )


def init_demo(app: Flask) -> None:
    state = app.extensions["rapport"]
    settings: Settings = state.settings
    refuse_production(settings)
    folder = settings.instance_dir / "demo"
    platform = DemoPlatform(
        public_url=settings.demo_url or settings.public_url,
        tool_url=settings.public_url,
        key=load_platform_key(folder / "platform-key.pem"),
        store=DemoStore(folder / "demo.db"),
        tool_jwks=state.keyring.jwks,
    )
    app.extensions[EXTENSION] = platform
    app.register_blueprint(bp)  # it registers itself on its first request: none at start
    log.warning(
        "demo LMS on at %s/demo: anyone can sign in to Rapport as any demo person",
        settings.public_url,
    )
