"""Validating an LTI 1.3 launch: Security Framework §5.1.3 step by step, made strict.

pylti1p3's chain, with what pylti1p3 2.0.0 skips: the signature only with RS256 and a cached
platform key, `aud`/`azp` as the spec requires, `iat` not too old, the nonce used up exactly
once, and a refusal reason an LMS administrator can act on.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import jwt
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException

from lti_tool.config import Settings
from lti_tool.i18n import lazy_gettext
from lti_tool.lti import claims as c
from lti_tool.lti.errors import (
    CookiesBlocked,
    LaunchError,
    Text,
    pending_registration,
    unknown_deployment,
    unknown_registration,
)
from lti_tool.lti.platform_keys import PlatformKeys
from lti_tool.lti.platform_storage import PROOF_FIELD, StorageCheckNeeded, proof_matches
from lti_tool.lti.storage import OneTimeNonceSessionService, SharedLaunchStorage
from lti_tool.lti.tool_conf import DatabaseToolConf
from lti_tool.models.platform import ACTIVE
from lti_tool.services.platforms.directory import KnownPlatform

SUPPORTED_MESSAGES = {c.RESOURCE_LINK_REQUEST, c.DEEP_LINKING_REQUEST}


class LaunchChecks(Protocol):
    """What validation needs from the app, passed in explicitly."""

    settings: Settings
    tool_conf: DatabaseToolConf
    storage: SharedLaunchStorage
    platform_keys: PlatformKeys


def refused(code: str, message: Text, fix: Text | None = None, status: int = 401) -> LaunchError:
    return LaunchError(code, message, fix, status=status)


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
        body = self._jwt["body"]
        iss = body.get("iss")
        if not isinstance(iss, str) or not iss:
            raise refused("missing_iss", lazy_gettext("The id_token names no issuer (`iss`)."))
        if not c.is_identifier(iss, 2000):
            raise refused(
                "bad_iss", lazy_gettext("The id_token's issuer (`iss`) is not valid."), None, 400
            )
        aud = body.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud
        if (
            not isinstance(audiences, list)
            or not audiences
            or not all(isinstance(a, str) for a in audiences)
        ):
            raise refused("missing_aud", lazy_gettext("The id_token names no audience (`aud`)."))
        if not all(c.is_identifier(a) for a in audiences):
            raise refused(
                "bad_aud", lazy_gettext("The id_token's audience (`aud`) is not valid."), None, 400
            )
        azp = body.get("azp")
        if azp is not None and (not isinstance(azp, str) or azp not in audiences):
            raise refused(
                "bad_azp", lazy_gettext("The id_token's `azp` is not one of its audiences.")
            )
        if len(audiences) > 1 and azp is None:
            raise refused(
                "missing_azp", lazy_gettext("The id_token has several audiences and no `azp`.")
            )
        client_id = azp or audiences[0]
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
        deployment_id = self._jwt["body"].get(c.CLAIM_DEPLOYMENT_ID)
        if not isinstance(deployment_id, str) or not deployment_id:
            raise refused(
                "missing_deployment_id",
                lazy_gettext("The id_token names no deployment."),
                None,
                400,
            )
        if not c.is_identifier(deployment_id):
            raise refused(
                "bad_deployment_id",
                lazy_gettext("The id_token's deployment id is not valid."),
                None,
                400,
            )
        self.deployment_pk = row.deployment_pk(deployment_id)
        if self.deployment_pk is None and not row.deployments:
            # Registered without a deployment (Canvas's dynamic registration names none): the
            # first launch signed by the platform's own key says which one it is.
            self.deployment_pk = self.gate.tool_conf.adopt_first_deployment(row, deployment_id)
        if self.deployment_pk is None:
            raise unknown_deployment(deployment_id, row)
        return self

    def validate_message(self) -> StrictMessageLaunch:
        body = self._jwt["body"]
        version = body.get(c.CLAIM_VERSION)
        if version != "1.3.0":
            raise refused(
                "bad_version",
                lazy_gettext(
                    "The launch's LTI version is %(version)s, not '1.3.0'.", version=repr(version)
                ),
                None,
                400,
            )
        message_type = body.get(c.CLAIM_MESSAGE_TYPE)
        if not message_type:
            raise refused(
                "missing_message_type", lazy_gettext("The launch names no message type."), None, 400
            )
        if not isinstance(message_type, str) or message_type not in SUPPORTED_MESSAGES:
            raise refused(
                "unsupported_message_type",
                lazy_gettext(
                    "Rapport does not handle %(message_type)s messages.",
                    message_type=repr(message_type),
                ),
                None,
                400,
            )
        sub = body.get("sub")
        if not isinstance(sub, str | int) or isinstance(sub, bool) or not str(sub).strip():
            raise refused(
                "missing_sub", lazy_gettext("The launch names no user (`sub`)."), None, 400
            )
        if not c.is_identifier(str(sub)):
            # LTI 1.3 Core §5.3.6: at most 255 ASCII characters.
            raise refused(
                "bad_sub", lazy_gettext("The launch's user id (`sub`) is not valid."), None, 400
            )
        if not isinstance(body.get(c.CLAIM_ROLES), list):
            raise refused(
                "missing_roles", lazy_gettext("The launch has no roles claim."), None, 400
            )
        if message_type == c.RESOURCE_LINK_REQUEST:
            link = body.get(c.CLAIM_RESOURCE_LINK)
            if not isinstance(link, dict) or not link.get("id"):
                raise refused(
                    "missing_resource_link",
                    lazy_gettext("The launch has no resource link id."),
                    None,
                    400,
                )
        else:
            settings = body.get(c.CLAIM_DEEP_LINKING)
            if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
                raise refused(
                    "missing_deep_linking_settings",
                    lazy_gettext("The deep-linking request has no return URL."),
                    None,
                    400,
                )
            if c.web_origin(settings["deep_link_return_url"]) is None:
                # Rapport's page posts the response there: a `javascript:` or `data:` URL
                # would run in Rapport's origin.
                raise refused(
                    "bad_deep_link_return_url",
                    lazy_gettext(
                        "The deep-linking request's return URL is not an http(s) address."
                    ),
                    None,
                    400,
                )
        return self
