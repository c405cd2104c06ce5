"""The validated id_token, read into the typed values the rest of Rapport uses.

LTI 1.3 Core §5 (message claims), LTI Advantage claims for AGS (§3.2 of AGS 2.0) and NRPS
(§3.6.1 of NRPS 2.0). Unknown keys — Canvas's `validation_context`/`errors`, Moodle's
`basicoutcome` — are ignored; optional claims may be missing or null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from lti_tool.lti.roles import course_role
from lti_tool.models.course import CourseRole

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIM_MESSAGE_TYPE = LTI + "message_type"
CLAIM_VERSION = LTI + "version"
CLAIM_DEPLOYMENT_ID = LTI + "deployment_id"
CLAIM_ROLES = LTI + "roles"
CLAIM_CONTEXT = LTI + "context"
CLAIM_RESOURCE_LINK = LTI + "resource_link"
CLAIM_TOOL_PLATFORM = LTI + "tool_platform"
CLAIM_LAUNCH_PRESENTATION = LTI + "launch_presentation"
CLAIM_CUSTOM = LTI + "custom"
CLAIM_LIS = LTI + "lis"
CLAIM_TARGET_LINK_URI = LTI + "target_link_uri"
CLAIM_AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CLAIM_DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

# The custom parameter (LTI 1.3 Core §5.4.6) that carries the course's end: Canvas substitutes
# `$Canvas.course.endAt` into it (lti/registration/canvas.py); any LMS whose administrator
# fills it in is read the same way.
COURSE_END_PARAM = "course_end_at"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"


def _obj(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


# NUL and lone UTF-16 surrogates (JSON allows "\ud800") cannot be stored or encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_identifier(value: object, limit: int = 255) -> bool:
    """A non-empty string a database can store and compare: no NUL, no lone surrogate."""
    return isinstance(value, str) and 0 < len(value) <= limit and _UNSTORABLE.search(value) is None


def _without_nul(value: Any) -> Any:
    """The value with NUL and lone surrogates replaced (U+FFFD), which databases refuse."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _text(value: object, limit: int = 512) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = _without_nul(str(value)).strip()
        return text[:limit] or None
    return None


# Canvas writes a moment as "2027-06-30 23:59:00 -0700" (or "… UTC"); ISO 8601 is read too.
_MOMENT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r" ?(Z|UTC|[+-]\d{2}:?\d{2})?"
)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEARS = range(2000, 2101)


@dataclass(frozen=True)
class CourseEndClaim:
    """What a launch says of its course's end: `at`, or None when the LMS says it has none."""

    at: datetime | None


def lms_moment(text: str) -> datetime | None:
    """A moment as an LMS writes it, in UTC; a day alone is its last second (UTC). None for
    anything else, or a year no course ends in."""
    text = text.strip()
    found = _MOMENT.fullmatch(text) if len(text) <= 64 else None
    try:
        if found:
            day, clock, zone = found.groups()
            offset = "+00:00" if zone in {None, "Z", "UTC"} else zone[:3] + ":" + zone[-2:]
            moment = datetime.fromisoformat(f"{day}T{clock}{offset}")
        elif _DAY.fullmatch(text):
            moment = datetime.combine(datetime.fromisoformat(text), time(23, 59, 59), UTC)
        else:
            return None
    except ValueError:  # a 30 February, a 25th hour
        return None
    return moment.astimezone(UTC) if moment.year in _YEARS else None


def course_end_claim(custom: Mapping[str, Any]) -> CourseEndClaim | None:
    """The course's end as the launch's custom parameter says; None when it says nothing
    Rapport can use: no parameter, one the LMS did not substitute (`$Canvas.course.endAt`
    where the variable is unknown), or text that is no moment. Empty or null: no end."""
    if COURSE_END_PARAM not in custom:
        return None
    value = custom[COURSE_END_PARAM]
    if value is None or (isinstance(value, str) and not value.strip()):
        return CourseEndClaim(None)
    moment = lms_moment(value) if isinstance(value, str) else None
    return CourseEndClaim(moment) if moment is not None else None


@dataclass(frozen=True)
class LaunchClaims:
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    sub: str
    roles: list[str]
    role: CourseRole
    name: str | None
    given_name: str | None
    family_name: str | None
    email: str | None
    picture: str | None
    locale: str | None
    context_id: str
    context_title: str | None
    context_label: str | None
    resource_link_id: str | None
    resource_link_title: str | None
    custom: dict[str, Any]
    product_family: str | None
    platform_name: str | None
    nrps_url: str | None
    ags_endpoint: dict[str, Any] | None
    deep_linking_settings: dict[str, Any] | None
    section: str | None = None  # LIS `course_section_sourcedid`: the LMS section, if any
    # Web origins of the LMS pages this launch names (its return URLs): the LMS frames Rapport
    # from there, and forms go back there.
    platform_origins: tuple[str, ...] = ()
    # Where the LMS shows the course (`launch_presentation.return_url`): links in email go
    # there, through the LMS, never around it.
    return_url: str | None = None
    # The courses this one was copied from, most recent first (Canvas's `$Context.id.history`
    # in the custom parameter `context_id_history`); empty when the platform says nothing.
    context_history: tuple[str, ...] = ()
    # When the course ends, as the LMS says (None: it says nothing Rapport can use).
    course_end: CourseEndClaim | None = None

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING_REQUEST


def split_url(url: str) -> SplitResult | None:
    """`urlsplit(url)`, or None for text it refuses (brackets around no IPv6 address)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def web_origin(url: object) -> str | None:
    """`scheme://host[:port]` of an http(s) URL; None for anything else."""
    if not isinstance(url, str) or not is_identifier(url, 4000):
        return None
    parts = split_url(url.strip())
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def web_origins(urls: Iterable[object]) -> frozenset[str]:
    """The origins of those of `urls` that are http(s) addresses."""
    return frozenset(origin for url in urls if (origin := web_origin(url)))


def course_return_url(url: object) -> str | None:
    """The launch's return URL as a link anyone in the course may follow: http(s) only, and
    without Moodle's `sesskey` (one person's session token, which others must not be sent)."""
    if web_origin(url) is None:
        return None
    parts = split_url(str(url).strip())
    assert parts is not None
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "sesskey"])
    return urlunsplit(parts._replace(query=query, fragment=""))[:2000]


HISTORY_PARAMETER = "context_id_history"
HISTORY_LENGTH = 20  # the copies of copies worth looking through


def context_history(custom: dict[str, Any], context_id: str) -> tuple[str, ...]:
    """The earlier context ids a copied course names, most recent first: Canvas substitutes
    `$Context.id.history` into a comma-separated list. A platform that does not know the
    variable sends it as it is (`$Context.id.history`): no history, as with none at all."""
    value = custom.get(HISTORY_PARAMETER)
    if not isinstance(value, str) or value.startswith("$"):
        return ()
    found: list[str] = []
    for part in value.split(","):
        earlier = part.strip()
        if is_identifier(earlier) and earlier != context_id and earlier not in found:
            found.append(earlier)
    return tuple(found[:HISTORY_LENGTH])


def read_claims(body: dict[str, Any], client_id: str) -> LaunchClaims:
    """Read a validated id_token body. Validation has already refused what the spec requires."""
    roles = [_without_nul(r) for r in body.get(CLAIM_ROLES) or [] if isinstance(r, str)]
    context = _obj(body, CLAIM_CONTEXT)
    link = _obj(body, CLAIM_RESOURCE_LINK)
    platform = _obj(body, CLAIM_TOOL_PLATFORM)
    presentation = _obj(body, CLAIM_LAUNCH_PRESENTATION)
    nrps = _obj(body, CLAIM_NRPS)
    ags = _obj(body, CLAIM_AGS)
    deployment_id = str(body[CLAIM_DEPLOYMENT_ID])
    # A launch without a context claim (allowed by the spec) still belongs somewhere: the
    # deployment stands in for the course so that grants and data stay scoped.
    context_id = _text(context.get("id"), 255) or f"deployment:{deployment_id}"
    custom = _without_nul(_obj(body, CLAIM_CUSTOM))
    ags_clean = {k: v for k, v in ags.items() if k in {"scope", "lineitems", "lineitem"}}
    custom = _without_nul(_obj(body, CLAIM_CUSTOM))
    return LaunchClaims(
        issuer=str(body["iss"]),
        client_id=client_id,
        deployment_id=deployment_id,
        message_type=str(body[CLAIM_MESSAGE_TYPE]),
        sub=str(body["sub"]),
        roles=roles,
        role=course_role(roles),
        name=_text(body.get("name"), 255),
        given_name=_text(body.get("given_name"), 255),
        family_name=_text(body.get("family_name"), 255),
        email=_text(body.get("email"), 320),
        picture=_text(body.get("picture"), 2000),
        locale=_text(presentation.get("locale") or body.get("locale"), 35),
        context_id=context_id,
        context_title=_text(context.get("title")),
        context_label=_text(context.get("label"), 255),
        resource_link_id=_text(link.get("id"), 255),
        resource_link_title=_text(link.get("title")),
        custom=custom,
        context_history=context_history(custom, context_id),
        course_end=course_end_claim(custom),
        section=_text(_obj(body, CLAIM_LIS).get("course_section_sourcedid"), 255),
        product_family=_text(platform.get("product_family_code"), 64),
        platform_name=_text(platform.get("name"), 255),
        nrps_url=_text(nrps.get("context_memberships_url"), 2000),
        ags_endpoint=_without_nul(ags_clean) or None,
        deep_linking_settings=_without_nul(_obj(body, CLAIM_DEEP_LINKING)) or None,
        return_url=course_return_url(presentation.get("return_url")),
        platform_origins=tuple(
            sorted(
                web_origins(
                    (
                        presentation.get("return_url"),
                        _obj(body, CLAIM_DEEP_LINKING).get("deep_link_return_url"),
                    )
                )
            )
        ),
    )
