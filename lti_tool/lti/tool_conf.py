"""pylti1p3's view of our registrations (a `ToolConfAbstract`), served from the process's
platform directory (`services/platforms/directory.py`): no statement once a registration was
read under the current platform stamp.

The tool's own keys come from the key ring, never from the platform rows, so rotating keys
needs no database change.
"""

from __future__ import annotations

from typing import Any, cast

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.registration import TKeySet
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.lti.keys import KeyRing
from lti_tool.models import Deployment
from lti_tool.services.platforms.directory import (
    KnownPlatform,
    PlatformDirectory,
    PlatformSnapshot,
)
from lti_tool.services.upsert import upsert


class DatabaseToolConf(ToolConfAbstract[Any]):
    def __init__(
        self,
        session: Session,
        keyring: KeyRing,
        platforms: PlatformDirectory,
        snapshot: PlatformSnapshot,  # the directory as this request found it
    ) -> None:
        super().__init__()
        self.session = session
        self.keyring = keyring
        self.platforms = platforms
        self.snapshot = snapshot
        self.issuers_relation_types = {}

    # Every issuer may have several client ids; lookups go through find_registration_by_params.
    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def registration_row(self, iss: str, client_id: str | None) -> KnownPlatform | None:
        """The registration for (issuer, client_id); without a client id, the issuer's only one."""
        return self.platforms.find(self.session, self.snapshot, iss, client_id)

    @staticmethod
    def deployment_pk(registration: KnownPlatform, deployment_id: str) -> int | None:
        return registration.deployment_pk(deployment_id)

    def adopt_first_deployment(self, row: KnownPlatform, deployment_id: str) -> int | None:
        """Record the deployment of a registration that has none yet. Of two first launches
        racing with different deployments, the one recorded first wins; the other gets None."""
        upsert(
            self.session,
            Deployment,
            {"registration_id": row.id, "deployment_id": deployment_id},
            {},
            update=False,
        )
        self.session.commit()  # every process's directory learns of it (the platform stamp)
        first = self.session.execute(
            select(Deployment.id, Deployment.deployment_id)
            .where(Deployment.registration_id == row.id)
            .order_by(Deployment.id)
            .limit(1)
        ).first()
        return first.id if first is not None and first.deployment_id == deployment_id else None

    def to_pylti(self, row: KnownPlatform) -> LtiRegistration:
        key = self.keyring.current()
        reg = LtiRegistration()
        reg.set_issuer(row.issuer)
        reg.set_client_id(row.client_id)
        reg.set_auth_login_url(row.auth_login_url)
        reg.set_auth_token_url(row.auth_token_url)
        reg.set_auth_audience(row.auth_audience or row.auth_token_url)
        reg.set_key_set_url(row.key_set_url)
        reg.set_key_set(cast("TKeySet | None", row.key_set))
        reg.set_tool_private_key(key.private_pem)
        reg.set_tool_public_key(key.public_pem)
        return reg

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> LtiRegistration:
        return self.find_registration_by_params(iss, None, *args, **kwargs)

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> LtiRegistration:
        row = self.registration_row(iss, client_id)
        return self.to_pylti(row) if row else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        row = self.registration_row(iss, client_id)
        if row is None or row.deployment_pk(deployment_id) is None:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs: Any) -> Any:
        return self.keyring.jwks()
