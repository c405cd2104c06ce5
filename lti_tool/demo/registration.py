"""The demo LMS registers itself in Rapport as a platform, as an LMS administrator would
(LTI 1.3 Core §3.1.3: issuer, client_id, deployment_id, endpoints and key set URL).

On the demo's first request, not at start (an app starts without touching its database);
while Rapport's tables do not exist yet, on the first demo request after `rapport db upgrade`.
"""

from __future__ import annotations

import logging

from flask import abort, request
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import transaction
from lti_tool.demo.blueprint import bp
from lti_tool.demo.platform import PLATFORM_NAME, DemoPlatform, demo
from lti_tool.extensions import rapport
from lti_tool.services.platforms.service import PlatformSpec, save_platform

log = logging.getLogger(__name__)
PAGES = frozenset({"demo.index", "demo.launch", "demo.start"})


def register_platform(sessions: sessionmaker[Session], platform: DemoPlatform) -> bool:
    """Register the demo LMS (idempotent); False while Rapport's database has no tables."""
    spec = PlatformSpec(
        issuer=platform.issuer,
        client_id=platform.client_id,
        auth_login_url=platform.auth_url,
        auth_token_url=platform.token_url,
        key_set_url=platform.jwks_url,
        deployment_ids=[platform.deployment_id],
        name=PLATFORM_NAME,
    )
    try:
        with transaction(sessions) as session:
            save_platform(session, spec)
    except (OperationalError, ProgrammingError) as exc:
        log.warning(
            "demo LMS not registered yet: Rapport's database has no tables (%s). "
            "Run `rapport db upgrade`; the demo registers itself on its next request.",
            exc.orig,
        )
        return False
    log.info("demo LMS registered: issuer %s, client %s", platform.issuer, platform.client_id)
    return True


@bp.before_request
def register_lazily() -> None:
    platform = demo()
    if platform.registered:
        return
    platform.registered = register_platform(rapport().sessions, platform)
    if not platform.registered and request.endpoint in PAGES:
        abort(
            503,
            description="Rapport's database has no tables yet, so the demo LMS cannot "
            "register itself. Run `rapport db upgrade`, then reload.",
        )
