"""Validating an LTI 1.3 launch: Security Framework §5.1.3 step by step, made strict.

pylti1p3's chain, with what pylti1p3 2.0.0 skips: the signature only with RS256 and a cached
platform key, `aud`/`azp` as the spec requires, `iat` not too old, the nonce used up exactly
once, and a refusal reason an LMS administrator can act on. Here are the checks that need the
login's state, the platform's key or the database; what the claims themselves must hold is
`lti/required_claims.py`'s.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import jwt
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException

from lti_tool.config import Settings
from lti_tool.i18n import lazy_gettext
from lti_tool.lti import required_claims
from lti_tool.lti.errors import (
    CookiesBlocked,
    pending_registration,
    refused,
    unknown_deployment,
    unknown_registration,
)
from lti_tool.lti.platform_keys import PlatformKeys
from lti_tool.lti.platform_storage import PROOF_FIELD, StorageCheckNeeded, proof_matches
from lti_tool.lti.storage import OneTimeNonceSessionService, SharedLaunchStorage
from lti_tool.lti.tool_conf import DatabaseToolConf
from lti_tool.models.platform import ACTIVE
from lti_tool.services.platforms.directory import KnownPlatform


class LaunchChecks(Protocol):
    """What validation needs from the app, passed in explicitly."""

    settings: Settings
    tool_conf: DatabaseToolConf
    storage: SharedLaunchStorage
    platform_keys: PlatformKeys


class StrictMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch with each Security Framework §5.1.3 check done strictly."""

    _session_service: OneTimeNonceSessionService

    def __init__(
        self,
        request: FlaskRequest,
        tool_config: DatabaseToolConf,
        *,
        gate: LaunchChecks,
        **services: Any,
    ) -> None:
        super().__init__(request, tool_config, **services)
        self.gate = gate
        self.registration_row: KnownPlatform | None = None
        self.cookies_refused_with: dict[str, Any] | None = None
        self.deployment_pk: int | None = None
        self.set_launch_data_lifetime(2 * 3600)

    @property
    def body(self) -> dict[str, Any]:
        return dict(self._jwt.get("body") or {})

    def validate(self) -> StrictMessageLaunch:
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_nonce()
            self.validate_deployment()
            self.validate_message()
            self.save_launch_data()
        except LtiException as exc:
            self._validated = False
            raise refused("invalid_launch", str(exc), status=400) from exc
        except Exception:
            self._validated = False
            raise
        return self

    def save_launch_data(self) -> StrictMessageLaunch:
        """Only that this state was answered by this id_token (a replay is then told apart from
        an unknown state). pylti1p3 also keeps the whole launch under its launch id for two
        hours, for tools that read it back later; Rapport stores what it needs in the database
        at launch time, so that copy would be one more cache write per launch, never read."""
        state = self._get_request_param("state")
        self._session_service.set_state_valid(state, self._get_id_token_hash())
        return self

    def validate_state(self) -> StrictMessageLaunch:
        state = self._get_request_param("state")
        id_token = self._get_request_param("id_token")
        if not id_token:
            raise refused(
                "missing_id_token",
                lazy_gettext("The launch carries no id_token."),
                lazy_gettext("Start the launch from the LMS."),
                400,
            )
        if not state:
            raise refused(
                "missing_state",
                lazy_gettext("The launch carries no state."),
                lazy_gettext("Start the launch from the LMS."),
                400,
            )
        if self._cookie_service.get_cookie(state) == state:
            return self
        if self._session_service.check_state_is_valid(state, self._get_id_token_hash()):
            return self  # the same launch presented again: the nonce check refuses it
        login_params = self._session_service.login_params(state)
        if not login_params:
            raise refused(
                "unknown_state",
                lazy_gettext("The launch's state does not match any sign-in Rapport started."),
                lazy_gettext("Start the launch again from the LMS."),
                403,
            )
        if login_params.get("storage_secret"):
            proof = self._get_request_param(PROOF_FIELD)
            if proof is None:
                raise StorageCheckNeeded(login_params, self._get_request_param("id_token"), state)
            if proof_matches(proof, login_params):
                # The platform vouched for the state; the browser still refuses our cookies.
                self.cookies_refused_with = login_params
                return self
        raise CookiesBlocked(login_params)

    def validate_jwt_format(self) -> StrictMessageLaunch:
        super().validate_jwt_format()
        header, body = self._jwt.get("header"), self._jwt.get("body")
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise refused(
                "malformed_id_token",
                lazy_gettext("The id_token is not a JSON Web Token."),
                None,
                400,
            )
        if header.get("alg") != "RS256":
            raise refused(
                "bad_algorithm",
                lazy_gettext(
                    "The id_token is signed with %(alg)s; LTI requires RS256.",
                    alg=repr(header.get("alg")),
                ),
            )
        if not header.get("kid"):
            raise refused(
                "missing_kid",
                lazy_gettext("The id_token's header names no key (`kid`)."),
                lazy_gettext("The platform must sign launches with a key from its JWKS."),
            )
        return self

    def validate_registration(self) -> StrictMessageLaunch:
        iss, audiences, client_id = required_claims.issuer_and_audiences(self._jwt["body"])
        row = self.gate.tool_conf.registration_row(iss, client_id)
        if row is None:
            raise unknown_registration(iss, client_id)
        if row.status != ACTIVE:
            raise pending_registration(row)
        untrusted = [a for a in audiences if a != client_id]
        if untrusted:
            raise refused(
                "untrusted_audience",
                lazy_gettext(
                    "The id_token is also addressed to %(audiences)s, which Rapport does not "
                    "trust.",
                    audiences=", ".join(untrusted),
                ),
            )
        self.registration_row = row
        self._registration = self.gate.tool_conf.to_pylti(row)
        return self

    def validate_jwt_signature(self) -> StrictMessageLaunch:
        row = self.registration_row
        assert row is not None
        settings = self.gate.settings
        key = self.gate.platform_keys.key_for(
            self._jwt["header"]["kid"], row.key_set_url, row.key_set
        )
        try:
            jwt.decode(
                self._get_id_token(),
                key,
                algorithms=["RS256"],
                audience=row.client_id,
                issuer=row.issuer,
                leeway=settings.clock_leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise refused(
                "token_expired",
                lazy_gettext("The id_token has expired (`exp` is in the past)."),
                lazy_gettext("Check that the LMS server's clock is right, then launch again."),
            ) from exc
        except jwt.ImmatureSignatureError as exc:
            raise refused(
                "token_from_future",
                lazy_gettext("The id_token's `iat` or `nbf` is in the future."),
                lazy_gettext("Check that the LMS server's clock is right."),
            ) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise refused(
                "missing_claim",
                lazy_gettext("The id_token lacks the %(claim)s claim.", claim=repr(exc.claim)),
            ) from exc
        except jwt.InvalidSignatureError as exc:
            raise refused(
                "bad_signature",
                lazy_gettext("The id_token's signature does not match the platform's key."),
            ) from exc
        except jwt.InvalidTokenError as exc:
            raise refused(
                "invalid_token",
                lazy_gettext("The id_token is not valid: %(reason)s.", reason=str(exc)),
            ) from exc
        iat = self.body["iat"]
        if (
            time.time() - float(iat)
            > settings.max_token_age_seconds + settings.clock_leeway_seconds
        ):
            raise refused(
                "token_too_old",
                lazy_gettext("The id_token was issued too long ago (`iat`)."),
                lazy_gettext("Launch again from the LMS; check the LMS server's clock."),
            )
        return self

    def validate_nonce(self) -> StrictMessageLaunch:
        nonce = self._jwt["body"].get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise refused("missing_nonce", lazy_gettext("The id_token carries no nonce."))
        state = self._get_request_param("state")
        login_params = self._session_service.login_params(state)
        # A login used up by its launch leaves only the mark save_launch_data wrote: this
        # is that launch again.
        replayed = login_params is None and self._session_service.check_state_is_valid(
            state, self._get_id_token_hash()
        )
        if not replayed and (login_params or {}).get("nonce") != nonce:
            raise refused(
                "nonce_not_bound",
                lazy_gettext(
                    "This launch's nonce was not issued with its state: the id_token and the "
                    "sign-in it answers do not belong together."
                ),
                lazy_gettext("Start the launch again from the LMS."),
                403,
            )
        if replayed or not self._session_service.use_up_login(state):
            raise refused(
                "nonce_rejected",
                lazy_gettext(
                    "This launch's nonce was not issued by Rapport or has already been used "
                    "(a replayed launch)."
                ),
                lazy_gettext("Start the launch again from the LMS."),
                403,
            )
        return self

    def validate_deployment(self) -> StrictMessageLaunch:
        row = self.registration_row
        assert row is not None
        deployment_id = required_claims.deployment_id(self._jwt["body"])
        self.deployment_pk = row.deployment_pk(deployment_id)
        if self.deployment_pk is None and not row.deployments:
            # Registered without a deployment (Canvas's dynamic registration names none): the
            # first launch signed by the platform's own key says which one it is.
            self.deployment_pk = self.gate.tool_conf.adopt_first_deployment(row, deployment_id)
        if self.deployment_pk is None:
            raise unknown_deployment(deployment_id, row)
        return self

    def validate_message(self) -> StrictMessageLaunch:
        required_claims.check_message(self._jwt["body"])
        return self
