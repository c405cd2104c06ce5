"""The claims an id_token must carry, in the shape the spec requires, before Rapport reads them.

Security Framework §5.1.3 steps 2 to 5 (`iss`, `aud`, `azp`) and LTI 1.3 Core §5.3 (the required
message claims: version, message type, deployment, `sub`, roles, resource link), with Deep
Linking 2.0 §4.4's settings for a deep-linking request. Each check reads only the id_token's
body; the checks that need the platform's key, the login's state or the database are
`lti/validation.py`'s. A claim that fails is refused with a reason an LMS administrator can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lti_tool.i18n import lazy_gettext
from lti_tool.lti import claims as c
from lti_tool.lti.errors import refused

SUPPORTED_MESSAGES = {c.RESOURCE_LINK_REQUEST, c.DEEP_LINKING_REQUEST}


def issuer_and_audiences(body: Mapping[str, Any]) -> tuple[str, list[str], str]:
    """The id_token's issuer, its audiences and the client it is for: `azp`, else its only
    audience (Security Framework §5.1.3 steps 2 to 5)."""
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
        raise refused("bad_azp", lazy_gettext("The id_token's `azp` is not one of its audiences."))
    if len(audiences) > 1 and azp is None:
        raise refused(
            "missing_azp", lazy_gettext("The id_token has several audiences and no `azp`.")
        )
    return iss, audiences, azp or audiences[0]


def deployment_id(body: Mapping[str, Any]) -> str:
    """The deployment the id_token names (LTI 1.3 Core §5.3.3), not yet looked up."""
    deployment = body.get(c.CLAIM_DEPLOYMENT_ID)
    if not isinstance(deployment, str) or not deployment:
        raise refused(
            "missing_deployment_id",
            lazy_gettext("The id_token names no deployment."),
            None,
            400,
        )
    if not c.is_identifier(deployment):
        raise refused(
            "bad_deployment_id",
            lazy_gettext("The id_token's deployment id is not valid."),
            None,
            400,
        )
    return deployment


def check_message(body: Mapping[str, Any]) -> None:
    """The message's required claims: an LTI 1.3.0 message of a type Rapport handles, a user,
    roles, and a resource link or the deep-linking settings, whichever its type needs."""
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
        raise refused("missing_sub", lazy_gettext("The launch names no user (`sub`)."), None, 400)
    if not c.is_identifier(str(sub)):
        # LTI 1.3 Core §5.3.6: at most 255 ASCII characters.
        raise refused(
            "bad_sub", lazy_gettext("The launch's user id (`sub`) is not valid."), None, 400
        )
    if not isinstance(body.get(c.CLAIM_ROLES), list):
        raise refused("missing_roles", lazy_gettext("The launch has no roles claim."), None, 400)
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
                lazy_gettext("The deep-linking request's return URL is not an http(s) address."),
                None,
                400,
            )
