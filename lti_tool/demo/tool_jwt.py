"""Checking JWTs the tool signs: client assertions (Security Framework §4.1.1, RFC 7523 §3) and
deep-linking responses (Deep Linking 2.0 §4.5).

The tool's keys are read in-process from its key ring — the document `/lti/jwks.json` serves —
rather than over HTTP: a request from inside the single-threaded dev server to itself would wait
for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jwt

LEEWAY_SECONDS = 60


class ToolJwtRefused(Exception):  # noqa: N818 - reads as the event it reports
    """A tool JWT the demo LMS will not accept; the message says why."""


def _key(header: dict[str, Any], jwks: dict[str, Any]) -> jwt.PyJWK:
    if header.get("alg") != "RS256":
        raise ToolJwtRefused(f"the JWT is signed with {header.get('alg')!r}; LTI requires RS256")
    kid = header.get("kid")
    if not kid:
        raise ToolJwtRefused("the JWT's header names no key (kid)")
    for entry in jwks.get("keys") or []:
        if isinstance(entry, dict) and entry.get("kid") == kid:
            return jwt.PyJWK(entry, algorithm="RS256")
    raise ToolJwtRefused(f"key {kid!r} is not in the tool's JWKS")


def verify_tool_jwt(
    token: str,
    tool_jwks: Callable[[], dict[str, Any]],
    *,
    issuer: str,
    audience: str,
    require: Sequence[str],
) -> dict[str, Any]:
    """The verified claims of a JWT the tool signed for the demo LMS."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise ToolJwtRefused("this is not a JSON Web Token") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _key(header, tool_jwks()),
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", *require]},
        )
    except jwt.InvalidSignatureError as exc:
        raise ToolJwtRefused("the signature does not match the tool's key") from exc
    except jwt.ExpiredSignatureError as exc:
        raise ToolJwtRefused("the JWT has expired (exp)") from exc
    except jwt.InvalidAudienceError as exc:
        raise ToolJwtRefused(f"the JWT is not addressed to {audience} (aud)") from exc
    except jwt.InvalidIssuerError as exc:
        raise ToolJwtRefused(f"the JWT's issuer is not {issuer} (iss)") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise ToolJwtRefused(f"the JWT lacks the {exc.claim!r} claim") from exc
    except jwt.PyJWKError as exc:
        raise ToolJwtRefused(f"the tool's key cannot be read ({exc})") from exc
    except jwt.InvalidTokenError as exc:
        raise ToolJwtRefused(f"the JWT is not valid ({exc})") from exc
    return claims
