"""The platform's OpenID configuration, fetched and checked (LTI Dynamic Registration 1.0).

"Platform OpenID Configuration": the document at the `openid_configuration` URL, fetched with
the registration token, must name the platform's issuer, authorization, token, JWKS and
registration endpoints and its LTI platform configuration (`product_family_code`), and sign with
RS256. "Issuer and OpenID Configuration URL Match": the URL must lie under the issuer, so a
configuration can only speak for the site that serves it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from lti_tool.i18n import lazy_gettext
from lti_tool.lti.claims import split_url
from lti_tool.lti.errors import Explained
from lti_tool.lti.platform_keys import USER_AGENT
from lti_tool.lti.registration import canvas
from lti_tool.lti.registration.tool import PLATFORM_CONFIGURATION, OfferedMessages

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_DOCUMENT_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 15.0
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
# What `check_url`, `read_json` and `unreachable` were asking about (their messages differ).
# i18n: not translated (a key of the registration form)
CONFIGURATION_URL = "OpenID configuration URL"
CONFIGURATION = "OpenID configuration"
REGISTRATION_RESPONSE = "registration response"
REGISTRATION_ENDPOINT = "registration endpoint"
FAMILY_LABELS = {"canvas": "Canvas", "moodle": "Moodle", "sakai": "Sakai", "desire2learn": "D2L"}


@dataclass
class RegistrationError(Explained):
    """Why a registration failed, in words an LMS administrator can act on: always a 4xx."""

    status: int = 422


@dataclass(frozen=True)
class PlatformConfiguration:
    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    authorization_server: str | None
    product_family: str
    version: str | None
    name: str
    scopes_supported: tuple[str, ...] | None
    messages_supported: OfferedMessages
    # False when the issuer is trusted for another reason than its URL (hosted Canvas).
    issuer_from_url: bool = True


def fetch_platform_configuration(
    http: requests.Session,
    url: str,
    registration_token: str | None,
    *,
    loopback_http: bool = False,
) -> PlatformConfiguration:
    check_url(url, CONFIGURATION_URL, loopback_http)
    try:
        response = http.get(
            url,
            headers=request_headers(registration_token),
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise unreachable(CONFIGURATION, url, exc) from exc
    with response:
        if response.status_code != 200:
            raise RegistrationError(
                "configuration_unavailable",
                lazy_gettext(
                    "The LMS answered HTTP %(status)s when Rapport asked for its OpenID "
                    "configuration at %(url)s.",
                    status=response.status_code,
                    url=url,
                ),
                lazy_gettext(
                    "The registration link may have expired: start the registration again from "
                    "the LMS."
                ),
                status=424,
            )
        data = read_json(response, CONFIGURATION, url)
    return read_platform_configuration(url, data, loopback_http=loopback_http)


def read_platform_configuration(
    url: str, data: Any, *, loopback_http: bool = False
) -> PlatformConfiguration:
    if not isinstance(data, dict):
        raise RegistrationError(
            "not_json",
            lazy_gettext("The OpenID configuration at %(url)s is not an object.", url=url),
        )
    issuer = _text(data, "issuer")
    check_url(issuer, "issuer", loopback_http)
    lti = data.get(PLATFORM_CONFIGURATION)
    if not isinstance(lti, dict):
        raise _incomplete(PLATFORM_CONFIGURATION)
    family = _text(lti, "product_family_code").lower()
    endpoints = {name: _text(data, name) for name in ENDPOINTS}
    for name, endpoint in endpoints.items():
        check_url(endpoint, name, loopback_http)
    issuer_from_url = _issuer_from_url(issuer, url, family, endpoints)
    _check_signing(data)
    return PlatformConfiguration(
        url=url,
        issuer=issuer,
        **endpoints,
        authorization_server=_optional_text(data.get("authorization_server")),
        product_family=family,
        version=_optional_text(lti.get("version")),
        name=_platform_name(family, issuer, lti),
        scopes_supported=_strings(data.get("scopes_supported")),
        messages_supported=_messages_supported(lti.get("messages_supported")),
        issuer_from_url=issuer_from_url,
    )


def _issuer_from_url(issuer: str, url: str, family: str, endpoints: dict[str, str]) -> bool:
    """True when the URL proves the issuer; False for hosted Canvas's issuer; else refused."""
    if issuer_matches_url(issuer, url):
        return True
    if family == canvas.CANVAS and canvas.hosted_issuer_allowed(issuer, url, endpoints):
        return False
    raise RegistrationError(
        "issuer_mismatch",
        lazy_gettext(
            "The LMS's OpenID configuration at %(url)s names the issuer %(issuer)s, which is "
            "not the site it came from. LTI Dynamic Registration requires them to match.",
            url=url,
            issuer=issuer,
        ),
        lazy_gettext(
            "Check the LMS's own site address setting (Moodle: wwwroot) and start the "
            "registration from that address."
        ),
    )


def _check_signing(data: dict[str, Any]) -> None:
    algorithms = data.get("id_token_signing_alg_values_supported")
    if not isinstance(algorithms, list) or "RS256" not in algorithms:
        raise RegistrationError(
            "unsupported_signing",
            lazy_gettext(
                "The LMS does not say it signs launches with RS256, which LTI 1.3 requires."
            ),
        )


def issuer_matches_url(issuer: str, url: str) -> bool:
    """The URL lies under the issuer: same scheme and host, the issuer's path a path prefix."""
    i, u = urlsplit(issuer), urlsplit(url)
    if (i.scheme, i.netloc.lower()) != (u.scheme, u.netloc.lower()) or i.query or i.fragment:
        return False
    prefix = i.path.rstrip("/")
    return u.path == prefix or u.path.startswith(prefix + "/")


def check_url(url: str, what: str, loopback_http: bool = False) -> None:
    """https only; with `loopback_http`, plain http too on this machine (a development LMS on
    127.0.0.1 beside a development Rapport), never to other hosts. `what` is CONFIGURATION_URL
    or the name of the configuration's field that gave `url` (`issuer`, `jwks_uri`, …)."""
    parts = split_url(url)
    secure = parts is not None and (
        parts.scheme == "https"
        or (loopback_http and parts.scheme == "http" and is_loopback(parts.hostname))
    )
    if parts is None or not parts.netloc or not secure:
        if what == CONFIGURATION_URL:
            message = lazy_gettext(
                "The LMS's OpenID configuration URL (%(url)s) is not an https address.", url=url
            )
        else:
            message = lazy_gettext(
                "The LMS's %(field)s (%(url)s) is not an https address.", field=what, url=url
            )
        raise RegistrationError(
            "insecure_url",
            message,
            lazy_gettext(
                "LTI 1.3 requires https between the LMS and Rapport. Check the LMS's site address."
            ),
        )


def is_loopback(host: str | None) -> bool:
    return (host or "") in LOOPBACK_HOSTS


# -- HTTP helpers shared with the registration request -----------------------------------------
def request_headers(registration_token: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if registration_token:
        headers["Authorization"] = "Bearer " + registration_token
    return headers


def read_json(response: requests.Response, what: str, url: str) -> Any:
    """The body as JSON, no larger than MAX_DOCUMENT_BYTES (read by `lti_tool.outbound`);
    `what` is CONFIGURATION or REGISTRATION_RESPONSE."""
    body = response.content
    if len(body) > MAX_DOCUMENT_BYTES:
        if what == REGISTRATION_RESPONSE:
            too_large = lazy_gettext("The registration response at %(url)s is too large.", url=url)
        else:
            too_large = lazy_gettext("The OpenID configuration at %(url)s is too large.", url=url)
        raise RegistrationError("document_too_large", too_large)
    try:
        return json.loads(body)
    except ValueError as exc:
        log.info("the %s at %s is not JSON: %r", what, url, body[:500])
        if what == REGISTRATION_RESPONSE:
            not_json = lazy_gettext("The registration response at %(url)s is not JSON.", url=url)
        else:
            not_json = lazy_gettext("The OpenID configuration at %(url)s is not JSON.", url=url)
        raise RegistrationError(
            "not_json",
            not_json,
            lazy_gettext(
                "Check that the LMS sent Rapport the address of its LTI OpenID configuration, "
                "then start the registration again."
            ),
        ) from exc


def unreachable(what: str, url: str, exc: Exception) -> RegistrationError:
    """`what` is CONFIGURATION or REGISTRATION_ENDPOINT."""
    if what == REGISTRATION_ENDPOINT:
        message = lazy_gettext(
            "Rapport could not reach the LMS's registration endpoint at %(url)s (%(error)s).",
            url=url,
            error=type(exc).__name__,
        )
    else:
        message = lazy_gettext(
            "Rapport could not reach the LMS's OpenID configuration at %(url)s (%(error)s).",
            url=url,
            error=type(exc).__name__,
        )
    return RegistrationError(
        "platform_unreachable",
        message,
        lazy_gettext(
            "Check that Rapport's server can reach the LMS (firewall, DNS name, https "
            "certificate), then start the registration again."
        ),
        status=424,
    )


def excerpt(raw: bytes | str, limit: int) -> str:
    """A short, tag-free, one-line extract of what a platform sent, safe to show."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(re.sub(r"<[^>]*>", " ", text).split())[:limit]


# -- reading fields -----------------------------------------------------------------------------
def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _incomplete(name)
    return value.strip()


def _incomplete(name: str) -> RegistrationError:
    return RegistrationError(
        "incomplete_configuration",
        lazy_gettext("The LMS's OpenID configuration has no %(field)s.", field=name),
        lazy_gettext(
            "The LMS does not seem to support LTI Dynamic Registration. Install Rapport with "
            "`rapport platform add` or a platforms file (LTI_CONFIG) instead."
        ),
    )


def _optional_text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _strings(value: Any) -> tuple[str, ...] | None:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else None


def _messages_supported(value: Any) -> OfferedMessages:
    if not isinstance(value, list):
        return None
    return {
        m["type"]: _strings(m.get("placements"))
        for m in value
        if isinstance(m, dict) and isinstance(m.get("type"), str)
    }


def _platform_name(family: str, issuer: str, lti: dict[str, Any]) -> str:
    label = FAMILY_LABELS.get(family, family)
    account = _optional_text(lti.get(canvas.ACCOUNT_NAME))
    return f"{label}: {account}" if account else f"{label} ({urlsplit(issuer).netloc})"
