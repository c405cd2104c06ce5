"""`rapport privacy`: one person's data, exported or erased (services/privacy)."""

from __future__ import annotations

import getpass
import json

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_tool.db import transaction, utcnow
from lti_tool.extensions import Rapport
from lti_tool.services.privacy.erase import erase_committed, erasure_scope
from lti_tool.services.privacy.export import export_person
from lti_tool.services.privacy.people import UnknownPerson


def _state() -> Rapport:
    state: Rapport = current_app.extensions["rapport"]
    return state


@click.group()
def privacy() -> None:
    """A person's data: everything Rapport holds about them, exported or erased."""


ISSUER = click.option(
    "--issuer", required=True, help="Their platform's issuer, as `rapport platform list` shows."
)
SUB = click.option("--sub", required=True, help="Their LTI user id (the launch's `sub`).")


@privacy.command("export")
@ISSUER
@SUB
@with_appcontext
def privacy_export(issuer: str, sub: str) -> None:
    """Print everything Rapport holds about one person, in every course, as JSON."""
    try:
        with transaction(_state().sessions) as session:
            document = export_person(session, issuer, sub, utcnow())
    except UnknownPerson as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@privacy.command("erase")
@ISSUER
@SUB
@click.option("--by", "requested_by", help="Who asked for it (default: you, the operator).")
@click.option("--yes", is_flag=True, help="Erase without asking for confirmation.")
@with_appcontext
def privacy_erase(issuer: str, sub: str, requested_by: str | None, yes: bool) -> None:
    """Erase one person's profile, words and answers in every course, in one transaction;
    what others wrote with them keeps its shape, signed by a former member."""
    sessions = _state().sessions
    try:
        with transaction(sessions) as session:
            records, courses = erasure_scope(session, issuer, sub)
    except UnknownPerson as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes:
        click.confirm(
            f"Erase everything Rapport holds about {sub} from {issuer} "
            f"({records} record(s), {courses} course(s))? This cannot be undone.",
            abort=True,
        )
    who = requested_by or _operator()
    try:
        erased = erase_committed(sessions, _state().settings.secret_key, issuer, sub, who, utcnow())
    except UnknownPerson as exc:  # erased by someone else since the question
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"erased {sub} from {issuer} in {erased.courses} course(s); "
        f"logged as erasure {erased.erasure.id}, asked by {who}"
    )


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container's arbitrary user id)
        return "an operator"
