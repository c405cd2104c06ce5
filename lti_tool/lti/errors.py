"""Why a launch was refused, in words an LMS administrator can act on.

The words are lazy messages: the refusal page shows them in the reader's language, while the
log and the recorded event keep them in English (`in_english`), so that whoever reads the log
reads one language whatever the person who met the refusal speaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from flask_babel.speaklater import LazyString

from lti_tool.i18n import lazy_gettext, speaking

if TYPE_CHECKING:
    from lti_tool.services.platforms.directory import KnownPlatform

# A message: a lazy one (`lazy_gettext`), read in the language of wherever it is shown, or
# plain words that are not Rapport's to translate (a library's exception).
Text: TypeAlias = "str | LazyString"


def in_english(text: Text | None) -> str | None:
    """`text` in English, for a log line or a stored record."""
    if text is None:
        return None
    with speaking("en"):
        return str(text)


def shown(text: Text | None) -> str | None:
    """`text` in the reader's language, as a plain string: a LazyString would pass Jinja's
    escaping as if it were markup (it has `__html__`), and its values come from requests."""
    return None if text is None else str(text)


@dataclass
class Explained(Exception):  # noqa: N818 - the base of refusals, named for what they carry
    """A refusal with stable `code` (logs, JSON clients, tests), a `message` saying what was
    wrong and a `fix` saying what to do: shown in the reader's language, logged in English."""

    code: str
    message: Text
    fix: Text | None = None

    def __str__(self) -> str:
        return f"{self.code}: {in_english(self.message)}"

    @property
    def english_message(self) -> str:
        """For the log: English whatever the reader's language."""
        return in_english(self.message) or ""

    @property
    def shown_message(self) -> str:
        return shown(self.message) or ""

    @property
    def shown_fix(self) -> str | None:
        return shown(self.fix)


@dataclass
class LaunchError(Explained):
    """A refused login or launch: always a 4xx, never a 500."""

    status: int = 400
    context: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.shown_message, "fix": self.shown_fix}


class CookiesBlocked(LaunchError):  # noqa: N818 - a LaunchError, named for what happened
    """The browser did not send back the state cookie: third-party cookies are blocked."""

    def __init__(self, login_params: dict[str, str]) -> None:
        super().__init__(
            code="cookies_blocked",
            message=lazy_gettext(
                "Your browser did not let Rapport keep its sign-in cookie inside this page, "
                "so the launch could not be completed here."
            ),
            fix=lazy_gettext(
                "Open Rapport in a new window; you stay signed in to your course there."
            ),
            status=401,
            context={"login_params": login_params},
        )


def refused(code: str, message: Text, fix: Text | None = None, status: int = 401) -> LaunchError:
    """A launch refused at one of its checks (`lti/validation.py`, `lti/required_claims.py`)."""
    return LaunchError(code, message, fix, status=status)


# -- the refusals about who the platform is, shared by the login and the launch -----------------
def unknown_registration(iss: str, client_id: str | None) -> LaunchError:
    if client_id:
        message = lazy_gettext(
            "No platform is registered with issuer %(issuer)s and client %(client_id)s.",
            issuer=iss,
            client_id=client_id,
        )
    else:
        message = lazy_gettext(
            "No platform is registered with issuer %(issuer)s and any client.", issuer=iss
        )
    return LaunchError(
        "unknown_platform",
        message,
        lazy_gettext(
            "Register it with `rapport platform add --issuer %(issuer)s --client-id …`, list "
            "it in LTI_CONFIG, or run dynamic registration from the LMS.",
            issuer=iss,
        ),
        status=400,
    )


def pending_registration(row: KnownPlatform) -> LaunchError:
    return LaunchError(
        "platform_pending",
        lazy_gettext(
            "This LMS (issuer %(issuer)s, client %(client_id)s) registered Rapport, but an "
            "administrator of Rapport has not approved it yet.",
            issuer=row.issuer,
            client_id=row.client_id,
        ),
        lazy_gettext(
            "Ask Rapport's administrators to run: rapport platform approve %(issuer)s "
            "%(client_id)s",
            issuer=row.issuer,
            client_id=row.client_id,
        ),
        status=403,
    )


def unknown_deployment(deployment_id: str, row: KnownPlatform) -> LaunchError:
    return LaunchError(
        "unknown_deployment",
        lazy_gettext(
            "Deployment %(deployment_id)s is not registered for client %(client_id)s of "
            "%(issuer)s.",
            deployment_id=deployment_id,
            client_id=row.client_id,
            issuer=row.issuer,
        ),
        lazy_gettext(
            "Add it with `rapport platform add-deployment %(issuer)s %(client_id)s "
            "%(deployment_id)s` or re-run dynamic registration.",
            issuer=row.issuer,
            client_id=row.client_id,
            deployment_id=deployment_id,
        ),
        status=403,
    )
