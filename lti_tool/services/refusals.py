"""A refusal every feature's services raise the same way, so views answer it the same way."""

from __future__ import annotations

from collections.abc import Mapping


class Refused(ValueError):  # noqa: N818 - a refusal, named for what happened
    """What was asked cannot be done: `status` is the HTTP answer (400 for bad input, 403 for
    not allowed, 404 for not found, 409 when someone else changed it meanwhile) and `message`
    says why; `errors` names form fields to fix, for a form shown again."""

    def __init__(self, status: int, message: str, errors: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = dict(errors or {})
