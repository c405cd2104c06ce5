"""OIDC third-party login and the LTI 1.3 launch (LTI 1.3 Core §5, Security Framework §5.1).

Built on pylti1p3's Flask adapters. The launch validation is pylti1p3's chain with every step of
Security Framework §5.1.3 made strict, including those pylti1p3 2.0.0 skips: the signature only
with RS256 and a cached platform key, `aud`/`azp` as the spec requires, `iat` not too old, the
nonce used up exactly once, and a refusal reason an LMS administrator can act on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Response, render_template
from pylti1p3.contrib.flask import FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import LtiException, OIDCException

from lti_tool.config import Settings
from lti_tool.i18n import lazy_gettext
from lti_tool.lti import claims as c
from lti_tool.lti import platform_storage
from lti_tool.lti.errors import (
    LaunchError,
    pending_registration,
    unknown_deployment,
    unknown_registration,
)
from lti_tool.lti.platform_keys import PlatformKeys
from lti_tool.lti.storage import (
    IframeCookieService,
    OneTimeNonceSessionService,
    SharedLaunchStorage,
)
from lti_tool.lti.tool_conf import DatabaseToolConf
from lti_tool.lti.validation import StrictMessageLaunch
from lti_tool.models.platform import ACTIVE
from lti_tool.services.platforms.directory import KnownPlatform

log = logging.getLogger(__name__)

LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "lti_deployment_id",
    "client_id",
    "lti_storage_target",
)
# What a new top-level window needs to start the login again; it keeps its cookies, so it
# needs no platform storage.
NEW_WINDOW_PARAMS = tuple(p for p in LOGIN_PARAMS if p != "lti_storage_target")


@dataclass(frozen=True)
class LaunchResult:
    claims: c.LaunchClaims
    registration: KnownPlatform
    deployment_pk: int
    # Set when platform storage proved the state because the browser dropped the state
    # cookie: Rapport's session cookie will not stick in this frame either.
    cookies_refused_with: dict[str, Any] | None = None


@dataclass
class LtiGate:
    """What the login and launch need from the app, passed in explicitly."""

    settings: Settings
    tool_conf: DatabaseToolConf
    storage: SharedLaunchStorage
    platform_keys: PlatformKeys
    cookie_options: dict[str, Any]

    @property
    def launch_url(self) -> str:
        return self.settings.public_url + "/lti/launch"

    def _services(self, request: FlaskRequest) -> dict[str, Any]:
        session_service = OneTimeNonceSessionService(request)
        return {
            "session_service": session_service,
            "cookie_service": IframeCookieService(request, self.cookie_options),
            "launch_data_storage": self.storage,
        }

    # -- OIDC third-party initiated login (Core §5.1.1) ------------------------------------
    def login(self, params: dict[str, str]) -> Response:
        iss = params.get("iss")
        if not iss:
            raise LaunchError(
                "missing_iss",
                lazy_gettext("The login request names no issuer (`iss`)."),
                lazy_gettext("Start the launch from the LMS, not by opening this URL directly."),
            )
        if not params.get("login_hint"):
            raise LaunchError(
                "missing_login_hint",
                lazy_gettext("The login request has no `login_hint`."),
                lazy_gettext("Start the launch from the LMS."),
            )
        self._check_target_link_uri(params.get("target_link_uri"))
        row = self._registration_for_login(iss, params.get("client_id"))
        deployment_id = params.get("lti_deployment_id")
        if deployment_id and row.deployments and row.deployment_pk(deployment_id) is None:
            raise unknown_deployment(deployment_id, row)

        kept: dict[str, object] = {k: params[k] for k in LOGIN_PARAMS if params.get(k)}
        storage_target = params.get("lti_storage_target")
        secret = origin = ""
        if storage_target:
            secret = platform_storage.new_secret()
            origin = platform_storage.origin_of(row.auth_login_url)
            kept.update(storage_secret=secret, storage_origin=origin)
        request = FlaskRequest()
        oidc = FlaskOIDCLogin(request, self.tool_conf, **self._services(request))
        # Kept under the login's state with its nonce (OneTimeNonceSessionService), one write.
        oidc.pass_params_to_launch(kept)
        try:
            redirect = oidc.get_redirect_object(self.launch_url)
        except (OIDCException, LtiException) as exc:
            raise LaunchError("login_refused", str(exc), status=400) from exc
        auth_url = redirect.get_redirect_url()
        state = parse_qs(urlsplit(auth_url).query)["state"][0]
        response: Response = redirect.do_redirect()  # carries the state cookie
        if storage_target:
            # Store the login's secret with the platform first, then go on to its auth page.
            config = platform_storage.login_page_config(
                storage_target, origin, state, secret, auth_url
            )
            response.status_code = 200
            del response.headers["Location"]
            response.set_data(render_template("lti/storage_login.html", storage=config))
            response.mimetype = "text/html"
        return response

    def _check_target_link_uri(self, target: str | None) -> None:
        if not target:
            raise LaunchError(
                "missing_target_link_uri",
                lazy_gettext("The login request has no `target_link_uri`."),
                lazy_gettext("Check the tool's launch URL in the LMS configuration."),
            )
        parts = c.split_url(target)
        if parts is None or parts.netloc != self.settings.public_host:
            raise LaunchError(
                "foreign_target_link_uri",
                lazy_gettext(
                    "The login asks to launch %(target)s, which is not this Rapport "
                    "(%(public_url)s).",
                    target=target,
                    public_url=self.settings.public_url,
                ),
                lazy_gettext(
                    "Set the tool's target link URI in the LMS to %(launch_url)s, or set "
                    "PUBLIC_URL to the address the LMS uses.",
                    launch_url=self.launch_url,
                ),
            )

    def _registration_for_login(self, iss: str, client_id: str | None) -> KnownPlatform:
        row = self.tool_conf.registration_row(iss, client_id)
        if row is None:
            raise unknown_registration(iss, client_id)
        if row.status != ACTIVE:
            raise pending_registration(row)
        return row

    # -- Launch (Core §5.1.2, Security Framework §5.1.3) -------------------------------------
    def launch(self) -> LaunchResult:
        request = FlaskRequest()
        message = StrictMessageLaunch(request, self.tool_conf, gate=self, **self._services(request))
        message.validate()
        assert message.registration_row is not None and message.deployment_pk is not None
        return LaunchResult(
            claims=c.read_claims(message.body, message.registration_row.client_id),
            registration=message.registration_row,
            deployment_pk=message.deployment_pk,
            cookies_refused_with=message.cookies_refused_with,
        )
