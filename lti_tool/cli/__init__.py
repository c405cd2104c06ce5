"""The `rapport` command: run the app, migrate the database, manage keys, run the workers;
`rapport platform` (cli/platforms.py) and `rapport privacy` (cli/privacy.py) are beside."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from lti_tool.cli.platforms import import_platforms, platform
from lti_tool.cli.privacy import privacy
from lti_tool.extensions import Rapport
from lti_tool.lti.keys import KeyringError


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
        import_platforms(settings.lti_config)


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


main.add_command(platform)
main.add_command(privacy)


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
