"""The one job runner for all of Rapport's background work: huey.

A request never does slow work itself and never starts a thread: it enqueues a job, which a
`rapport worker` process runs (any number of them, on any number of machines). The queue lives
in Redis when `REDIS_URL` is set (`RedisHuey`), else in a SQLite file beside the app's instance
(`SqliteHuey`, for `make run` and the demo); tests keep it in memory and run what is queued
when they choose (`run_pending`), or as soon as it is queued (`immediate`, for page tests).

Each job is a function in `lti_tool.tasks`, declared with `@job(name)`: it runs inside the
app's context with its own database sessions, takes only ids and plain values (they are
pickled into the queue), and can be run again after a crash without doing anything twice (the
work it drives keeps its own progress in the database: a bulk start's `done`, a roster sync's
lease, the grade outbox). What a crash or a deploy interrupts, the periodic `jobs.resume` picks
up again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.storage import SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from lti_tool.config import Settings
from lti_tool.observability import metrics

log = logging.getLogger(__name__)
EXTENSION = "rapport.jobs"
BACKENDS = ("sqlite", "redis", "memory", "immediate")
EVERY_MINUTE = crontab(minute="*")


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: Callable[..., Any]
    retries: int = 0
    retry_delay: int = 0
    periodic: Any = None  # a huey crontab: run on that schedule by the workers


_SPECS: dict[str, JobSpec] = {}


def job(
    name: str, *, retries: int = 0, retry_delay: int = 0, periodic: Any = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a job (see the module's docstring); the function itself stays callable."""

    def declare(run: Callable[..., Any]) -> Callable[..., Any]:
        _SPECS[name] = JobSpec(name, run, retries, retry_delay, periodic)
        return run

    return declare


class _SqliteStorage(SqliteStorage):
    """Huey's SQLite queue in WAL mode with synchronous=NORMAL, as Rapport's own SQLite
    database: huey's default syncs the disk at every commit, which cost a launch 2.3 ms per
    job it queued here; NORMAL syncs at checkpoints, and only a power cut can undo a commit."""

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class _SqliteHuey(SqliteHuey):
    storage_class = _SqliteStorage


def make_huey(settings: Settings) -> Huey:
    backend = settings.jobs_backend or ("redis" if settings.redis_url else "sqlite")
    if backend not in BACKENDS:
        raise ValueError(f"JOBS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    name = settings.jobs_queue_name
    if backend in {"memory", "immediate"}:  # tests: run when asked, or as soon as queued
        return MemoryHuey(name, utc=True, results=False, immediate=backend == "immediate")
    if backend == "redis":
        if not settings.redis_url:
            raise ValueError("JOBS_BACKEND=redis needs REDIS_URL")
        return RedisHuey(name, url=settings.redis_url, utc=True, results=False)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    path = settings.instance_dir / "jobs.sqlite3"
    return _SqliteHuey(name, filename=str(path), utc=True, results=False)


class Jobs:
    """The app's queue: every declared job registered with huey, to enqueue and to run."""

    def __init__(self, app: Flask, huey: Huey) -> None:
        self.app = app
        self.huey = huey
        self._tasks = {spec.name: self._register(spec) for spec in _SPECS.values()}

    def _register(self, spec: JobSpec) -> Any:
        app = self.app

        def run(*args: Any) -> Any:
            with app.app_context():
                try:
                    return spec.run(*args)
                except Exception:
                    log.exception("job %s%r failed", spec.name, args)
                    metrics.job_failed(spec.name)
                    raise

        options = {"name": spec.name, "retries": spec.retries, "retry_delay": spec.retry_delay}
        if spec.periodic is not None:
            return self.huey.periodic_task(spec.periodic, **options)(run)
        return self.huey.task(**options)(run)

    def enqueue(self, name: str, *args: Any) -> None:
        self._tasks[name](*args)

    def schedule(self, name: str, delay_seconds: float, *args: Any) -> None:
        self._tasks[name].schedule(args=args, delay=delay_seconds)

    def backlog(self, name: str | None = None) -> int:
        """Jobs waiting for a worker (scheduled retries not counted); only those of the job
        named `name` when given (read job by job: for tests and a worker's report)."""
        if name is None:
            return int(self.huey.pending_count())
        return sum(1 for task in self.huey.pending() if task.name == name)

    def run_pending(self, limit: int = 10_000) -> int:
        """Run what is queued now, here, until nothing is (tests; `rapport worker --once`)."""
        ran = 0
        while ran < limit and (task := self.huey.dequeue()) is not None:
            self.huey.execute(task)
            ran += 1
        return ran


def install(app: Flask, settings: Settings) -> Jobs:
    """The app's queue, with every job declared so far (create_app imports lti_tool.tasks)."""
    jobs = Jobs(app, make_huey(settings))
    app.extensions[EXTENSION] = jobs
    metrics.set_queue_depth_reader(jobs.backlog)  # rapport_jobs_queued, read when scraped
    return jobs


def jobs(app: Flask | None = None) -> Jobs:
    found: Jobs = (app or current_app).extensions[EXTENSION]
    return found


def enqueue_after_commit(session: Session, name: str, *args: Any) -> None:
    """Enqueue a job once this session's transaction commits (never for work rolled back)."""
    session.connection()  # the job belongs to a transaction, begun now if none was
    queued: set[tuple[Any, ...]] = session.info.setdefault("rapport.jobs", set())
    queued.add((name, *args))


def send_on_commit(app: Flask, sessions: Any) -> None:
    """Jobs asked for in a transaction go to the queue when it commits."""

    @event.listens_for(sessions, "after_commit")
    def _commit(session: Session) -> None:
        for name, *args in sorted(session.info.pop("rapport.jobs", set()), key=repr):
            jobs(app).enqueue(name, *args)

    @event.listens_for(sessions, "after_soft_rollback")
    def _rollback(session: Session, previous: Any) -> None:
        if not previous.nested:  # a savepoint rolled back leaves the transaction's jobs
            session.info.pop("rapport.jobs", None)
