"""Why a launch was refused, in words an LMS administrator can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
