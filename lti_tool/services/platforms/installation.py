"""Installing Rapport through LTI Dynamic Registration 1.0 (after the "Tool Registration Response").

The platform's OpenID configuration and its answer become a registration (issuer, client_id)
with its deployment, through the same `save_platform` as the CLI and the LTI_CONFIG import, so
registering the same client again leaves the same rows. Callable outside a request: every value
comes in as an argument.
"""

from __future__ import annotations

import logging
import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.db import transaction, utcnow
from lti_tool.i18n import lazy_gettext
from lti_tool.lti.registration import (
    ClientRegistration,
    PlatformConfiguration,
    RegistrationError,
    ToolUrls,
    fetch_platform_configuration,
    register_tool,
    registration_request,
)
from lti_tool.lti.registration.configuration import is_loopback
from lti_tool.models import Registration
from lti_tool.models.platform import ACTIVE, PENDING
from lti_tool.services.platforms.service import PlatformSpec, save_platform, use_invite

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Installation:
    """What the administrator is told once the platform registered Rapport."""

    platform_name: str
    product_family: str
    issuer: str
    client_id: str
    # The deployment the platform created now (None: it named none, as Canvas does).
    deployment_id: str | None
    deployment_ids: tuple[str, ...]
    created: bool
    spec: PlatformSpec
    pending: bool = False  # waits for `rapport platform approve`

    def approve_command(self) -> str:
        return " ".join(
            # i18n: not translated (a command to type)
            ["rapport platform approve", shlex.quote(self.issuer), shlex.quote(self.client_id)]
        )

    def add_deployment_command(self, deployment_id: str = "DEPLOYMENT_ID") -> str:
        """The CLI line that adds a deployment the platform did not name (Canvas)."""
        spec = self.spec
        options = [
            ("--issuer", spec.issuer),
            ("--client-id", spec.client_id),
            ("--login-url", spec.auth_login_url),
            ("--token-url", spec.auth_token_url),
            ("--token-audience", spec.auth_audience),
            ("--key-set-url", spec.key_set_url),
            ("--name", spec.name),
        ]
        words = [f"{flag} {shlex.quote(value)}" for flag, value in options if value]
        # i18n: not translated (a command to type)
        return " ".join(["rapport platform add", *words, "--deployment-id", deployment_id])


def platform_spec(platform: PlatformConfiguration, client: ClientRegistration) -> PlatformSpec:
    # A deployment is taken from the answer only when the issuer was proven by its URL: a
    # hosted-Canvas look-alike must not add deployments to a real Canvas registration.
    trusted_deployment = client.deployment_id if platform.issuer_from_url else None
    return PlatformSpec(
        issuer=platform.issuer,
        client_id=client.client_id,
        auth_login_url=platform.authorization_endpoint,
        auth_token_url=platform.token_endpoint,
        auth_audience=platform.authorization_server,
        key_set_url=platform.jwks_uri,
        deployment_ids=[trusted_deployment] if trusted_deployment else [],
        name=platform.name,
    )


def save_installation(
    session: Session,
    platform: PlatformConfiguration,
    client: ClientRegistration,
    invited: bool,
) -> Installation:
    """Save what the platform answered. With an administrator's invite the registration is
    active at once (and may update an existing one); without, a new registration waits for
    approval, and an existing one is never touched: anyone can reach /lti/register, and a
    school's client_id is in every login request."""
    spec = platform_spec(platform, client)
    existing = session.scalar(
        select(Registration.id).where(
            Registration.issuer == spec.issuer, Registration.client_id == spec.client_id
        )
    )
    if existing is not None and not invited:
        raise RegistrationError(
            "already_registered",
            lazy_gettext(
                "Rapport already has a registration for this LMS (issuer %(issuer)s, client "
                "%(client_id)s), and only an administrator of Rapport may change it.",
                issuer=spec.issuer,
                client_id=spec.client_id,
            ),
            lazy_gettext(
                "Ask Rapport's administrators for a one-time registration link "
                "(rapport platform invite) and register with that link."
            ),
            status=409,
        )
    row = save_platform(session, spec)
    row.product_family = platform.product_family
    if existing is None:
        row.status = ACTIVE if invited else PENDING
    session.flush()
    return Installation(
        platform_name=row.name or platform.name,
        product_family=platform.product_family,
        issuer=row.issuer,
        client_id=row.client_id,
        deployment_id=spec.deployment_ids[0] if spec.deployment_ids else None,
        deployment_ids=tuple(d.deployment_id for d in row.deployments),
        created=existing is None,
        spec=spec,
        pending=row.status == PENDING,
    )


def install_dynamically(
    http: requests.Session,
    sessions: sessionmaker[Session],
    public_url: str,
    openid_configuration: str,
    registration_token: str | None,
    invite: str | None = None,
) -> Installation:
    """The whole registration: read the platform, register with it, save what it answered.

    Raises `RegistrationError` (a 4xx for the administrator) when any step fails.
    """
    # Plain http only between a development Rapport and a development LMS on one machine.
    loopback_http = is_loopback(urlsplit(public_url).hostname)
    platform = fetch_platform_configuration(
        http, openid_configuration, registration_token, loopback_http=loopback_http
    )
    body = registration_request(ToolUrls(public_url), platform)
    client = register_tool(http, platform, registration_token, body)
    try:
        installation = _save(sessions, platform, client, invite)
    except IntegrityError:
        # Two registrations of one new client raced; the second now finds the first's row.
        installation = _save(sessions, platform, client, invite)
    log.info(
        "dynamic registration: %s (%s %s) issuer %s client %s deployment %s%s",
        installation.platform_name,
        platform.product_family,
        platform.version or "",
        installation.issuer,
        installation.client_id,
        installation.deployment_id or "(none yet)",
        (" — pending approval" if installation.pending else "")
        + ("" if installation.created else " — registration updated"),
    )
    return installation


def _save(
    sessions: sessionmaker[Session],
    platform: PlatformConfiguration,
    client: ClientRegistration,
    invite: str | None,
) -> Installation:
    with transaction(sessions) as session:
        # The invite is spent in the same transaction: a registration that fails leaves it.
        invited = invite is not None and use_invite(session, invite, utcnow())
        return save_installation(session, platform, client, invited)
