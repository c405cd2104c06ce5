"""The `rapport` command: run the app, migrate the database, manage keys and platforms."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from lti_tool.db import transaction, utcnow
from lti_tool.extensions import Rapport
from lti_tool.lti.keys import KeyringError
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
from lti_tool.services.privacy.erase import erase_committed, erasure_scope
from lti_tool.services.privacy.export import export_person
from lti_tool.services.privacy.people import UnknownPerson


def _state() -> Rapport:
    state: Rapport = current_app.extensions["rapport"]
    return state


def _create_app() -> Flask:
    from lti_tool import create_app

    app = create_app()
    command = click.get_current_context(silent=True)
    if command is not None and command.info_name == "run":
        from lti_tool.startup import check_at_start

        check_at_start(app)  # one line when the database is not ready; serves anyway
    return app


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def main() -> None:
    """Rapport, the personal layer for LTI 1.3 courses."""


# -- database -------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from lti_tool.migrate import upgrade

    settings = _state().settings
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}")
    if settings.lti_config:
        _import_platforms(settings.lti_config)


# -- keys -----------------------------------------------------------------------------------
@main.group()
def keys() -> None:
    """The tool's RSA signing keys (KEYS_DIR)."""


@keys.command("list")
@with_appcontext
def keys_list() -> None:
    ring = _state().keyring
    current = ring.current().kid
    for key in ring.published():
        click.echo(f"{key.kid}{'  (signs now)' if key.kid == current else '  (published)'}")


@keys.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Add a key that signs from now on; older keys stay published until retired."""
    key = _state().keyring.rotate()
    click.echo(f"new signing key {key.kid}; retire old keys once platforms have fetched the JWKS")


@keys.command("retire")
@click.argument("kid")
@with_appcontext
def keys_retire(kid: str) -> None:
    """Stop publishing key KID and delete it."""
    try:
        _state().keyring.retire(kid)
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"retired {kid}")


# -- platforms ------------------------------------------------------------------------------
@main.group()
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
    _import_platforms(path)


def _import_platforms(path: Path) -> None:
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


# -- a person's data ------------------------------------------------------------------------------
@main.group()
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


# -- grades ---------------------------------------------------------------------------------
@main.group()
def grades() -> None:
    """Grades on their way to the LMS gradebooks (AGS 2.0)."""


@grades.command("worker")
@click.option("--once", is_flag=True, help="Send every score due now, then exit.")
@with_appcontext
def grades_worker(once: bool) -> None:
    """Send the scores due now (--once); without --once, the same as `rapport worker`."""
    from lti_tool.tasks import grade_worker

    if not once:
        _run_consumer(workers=2)
        return
    worker = grade_worker()
    handled = worker.deliver_due()
    click.echo(f"grade worker: {handled} deliveries handled; {_queue_note(worker)}")


# -- background jobs ----------------------------------------------------------------------------
@main.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at once (threads).")
@click.option("--once", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option(
    "--metrics-port",
    type=int,
    help="Serve this worker's own /metrics on this port (for a worker that shares no "
    "PROMETHEUS_MULTIPROC_DIR with the web processes).",
)
@click.option(
    "--metrics-host", default="127.0.0.1", show_default=True, help="Address for --metrics-port."
)
@with_appcontext
def worker(workers: int, once: bool, metrics_port: int | None, metrics_host: str) -> None:
    """Run Rapport's background jobs (roster syncs, bulk starts, grade delivery, and what runs
    every minute) until Ctrl-C or SIGTERM. Run one or more beside the web processes."""
    if once:
        from lti_tool.jobs import jobs

        click.echo(f"ran {jobs().run_pending()} jobs")
        return
    if metrics_port is not None:
        from lti_tool.observability.metrics import serve_worker_metrics

        server = serve_worker_metrics(metrics_host, metrics_port, _state().settings.metrics_token)
        click.echo(f"rapport worker: /metrics on http://{metrics_host}:{server.server_port}")
    _run_consumer(workers)


def _run_consumer(workers: int) -> None:
    from lti_tool.jobs import jobs
    from lti_tool.tasks import DELIVER_GRADES, RESUME

    queue = jobs()
    # A worker (re)starting picks up at once what a crash or a deploy interrupted, instead of
    # at the next minute's run.
    queue.enqueue(RESUME)
    queue.enqueue(DELIVER_GRADES)
    click.echo(f"rapport worker: {workers} at once, {queue.backlog()} jobs waiting; Ctrl-C stops")
    consumer = queue.huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
        flush_locks=True,  # a worker killed mid-run leaves its run's lock behind
    )
    consumer.run()


def _queue_note(worker: Any) -> str:
    wake = worker.next_wake()
    return (
        "nothing waiting" if wake is None else f"next due at {wake.isoformat(timespec='seconds')}"
    )
