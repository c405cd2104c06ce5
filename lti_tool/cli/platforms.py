"""`rapport platform`: the LMS registrations and their deployments (LTI 1.3 Core §3.1.3)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from lti_tool.db import transaction, utcnow
from lti_tool.extensions import Rapport
from lti_tool.services.platforms.service import (
    INVITE_DAYS,
    PlatformConfigError,
    PlatformSpec,
    add_deployment,
    approve_platform,
    create_invite,
    import_platforms_file,
    list_platforms,
    remove_platform,
    save_platform,
)


def _state() -> Rapport:
    state: Rapport = current_app.extensions["rapport"]
    return state


@click.group()
def platform() -> None:
    """Platforms (LMS registrations) and their deployments."""


@platform.command("add")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--login-url", "auth_login_url", required=True, help="OIDC authorization endpoint")
@click.option("--token-url", "auth_token_url", required=True, help="OAuth2 token endpoint")
@click.option("--token-audience", "auth_audience", default=None)
@click.option("--key-set-url", default=None, help="the platform's JWKS URL")
@click.option("--key-set-file", type=click.File(), default=None, help="a JWKS file instead")
@click.option("--deployment-id", "deployment_ids", multiple=True)
@click.option("--name", default=None)
@with_appcontext
def platform_add(key_set_file: Any, deployment_ids: tuple[str, ...], **fields: Any) -> None:
    """Register a platform, or add deployments to one already registered."""
    spec = PlatformSpec(
        **fields,
        deployment_ids=list(deployment_ids),
        key_set=json.load(key_set_file) if key_set_file else None,
    )
    try:
        with transaction(_state().sessions) as session:
            row = save_platform(session, spec)
            deployments = [d.deployment_id for d in row.deployments]
    except PlatformConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"registered {spec.issuer} client {spec.client_id}; deployments: "
        f"{', '.join(deployments) or 'none yet'}"
    )


@platform.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def platform_import(path: Path) -> None:
    """Register every platform a file in pylti1p3's JSON format lists (as LTI_CONFIG does)."""
    import_platforms(path)


def import_platforms(path: Path) -> None:
    """Safe to run in several processes at once, and again: the same file leaves the same rows."""
    try:
        with transaction(_state().sessions) as session:
            count = import_platforms_file(session, path)
    except PlatformConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"imported {count} platform registration(s) from {path}")


@platform.command("add-deployment")
@click.argument("issuer")
@click.argument("client_id")
@click.argument("deployment_id")
@with_appcontext
def platform_add_deployment(issuer: str, client_id: str, deployment_id: str) -> None:
    """Add deployment DEPLOYMENT_ID to the registration of ISSUER and CLIENT_ID."""
    try:
        with transaction(_state().sessions) as session:
            add_deployment(session, issuer, client_id, deployment_id)
    except PlatformConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"deployment {deployment_id} added to {issuer} client {client_id}")


@platform.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def platform_list(as_json: bool) -> None:
    with transaction(_state().sessions) as session:
        rows: list[dict[str, Any]] = [
            {
                "issuer": r.issuer,
                "client_id": r.client_id,
                "name": r.name,
                "auth_login_url": r.auth_login_url,
                "auth_token_url": r.auth_token_url,
                "key_set_url": r.key_set_url,
                "product_family": r.product_family,
                "status": r.status,
                "deployment_ids": [d.deployment_id for d in r.deployments],
            }
            for r in list_platforms(session)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no platforms registered")
    for r in rows:
        click.echo(
            f"{r['issuer']}  client {r['client_id']}  {r['status']}  deployments "
            f"{', '.join(r['deployment_ids']) or '-'}"
        )


@platform.command("approve")
@click.argument("issuer")
@click.argument("client_id")
@with_appcontext
def platform_approve(issuer: str, client_id: str) -> None:
    """Let a platform that registered itself anonymously launch Rapport."""
    with transaction(_state().sessions) as session:
        found = approve_platform(session, issuer, client_id)
    if not found:
        raise click.ClickException(
            f"no platform is registered with issuer {issuer} and client {client_id}"
        )
    click.echo(f"approved {issuer} client {client_id}: its launches are accepted now")


@platform.command("invite")
@click.option("--days", default=INVITE_DAYS, show_default=True, help="how long the link works")
@with_appcontext
def platform_invite(days: int) -> None:
    """Print a one-time dynamic registration link: the LMS that uses it is trusted at once."""
    with transaction(_state().sessions) as session:
        token = create_invite(session, utcnow(), days)
    url = f"{_state().settings.public_url}/lti/register?invite={token}"
    click.echo(f"Give this registration URL to the LMS (it works once, for {days} days):\n{url}")


@platform.command("remove")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", default=None, help="remove only this deployment")
@with_appcontext
def platform_remove(issuer: str, client_id: str, deployment_id: str | None) -> None:
    with transaction(_state().sessions) as session:
        removed = remove_platform(session, issuer, client_id, deployment_id)
    if not removed:
        click.echo("nothing matched", err=True)
        sys.exit(1)
    click.echo("removed")
