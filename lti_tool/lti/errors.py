"""Why a launch was refused, in words an LMS administrator can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lti_tool.services.platforms.directory import KnownPlatform


@dataclass
class LaunchError(Exception):
    """A refused login or launch: always a 4xx, never a 500.

    `code` is stable (logs, JSON clients, tests); `message` says what was wrong, `fix` what to do.
    """

    code: str
    message: str
    fix: str | None = None
    status: int = 400
    context: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "fix": self.fix}


class CookiesBlocked(LaunchError):  # noqa: N818 - a LaunchError, named for what happened
    """The browser did not send back the state cookie: third-party cookies are blocked."""

    def __init__(self, login_params: dict[str, str]) -> None:
        super().__init__(
            code="cookies_blocked",
            message=(
                "Your browser did not let Rapport keep its sign-in cookie inside this page, "
                "so the launch could not be completed here."
            ),
            fix="Open Rapport in a new window; you stay signed in to your course there.",
            status=401,
            context={"login_params": login_params},
        )


# -- the refusals about who the platform is, shared by the login and the launch -----------------
def unknown_registration(iss: str, client_id: str | None) -> LaunchError:
    which = f"client {client_id}" if client_id else "any client"
    return LaunchError(
        "unknown_platform",
        f"No platform is registered with issuer {iss} and {which}.",
        f"Register it with `rapport platform add --issuer {iss} --client-id …`, list it in "
        "LTI_CONFIG, or run dynamic registration from the LMS.",
        status=400,
    )


def pending_registration(row: KnownPlatform) -> LaunchError:
    return LaunchError(
        "platform_pending",
        f"This LMS (issuer {row.issuer}, client {row.client_id}) registered Rapport, but an "
        "administrator of Rapport has not approved it yet.",
        f"Ask Rapport's administrators to run: rapport platform approve {row.issuer} "
        f"{row.client_id}",
        status=403,
    )


def unknown_deployment(deployment_id: str, row: KnownPlatform) -> LaunchError:
    return LaunchError(
        "unknown_deployment",
        f"Deployment {deployment_id} is not registered for client {row.client_id} of {row.issuer}.",
        f"Add it with `rapport platform add-deployment {row.issuer} {row.client_id} "
        f"{deployment_id}` or re-run dynamic registration.",
        status=403,
    )
