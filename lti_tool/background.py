"""Work a request starts but must not wait for — the roster sync after a staff launch.

A small thread pool per app, each task inside an app context (the service-token cache lives
in the app's cache) and with its own database session, created by the task itself. Threads
start on the first task, so a pre-forking server (gunicorn) forks before any exist. What is
lost when a process dies is picked up again: a roster sync's lease simply expires.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from flask import Flask, current_app

log = logging.getLogger(__name__)
T = TypeVar("T")
EXTENSION = "rapport.background"


class BackgroundWork:
    def __init__(self, app: Flask, workers: int = 2) -> None:
        self.app = app
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="rapport-background")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, task: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future = self._executor.submit(self._run, task, args, kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _run(self, task: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        with self.app.app_context():
            try:
                return task(*args, **kwargs)
            except Exception:
                log.exception("background task %s failed", getattr(task, "__qualname__", task))
                raise

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def join(self, timeout: float | None = 60) -> None:
        """Wait until every task submitted so far has finished (tests, and orderly shutdown)."""
        with self._lock:
            pending = set(self._pending)
        _, not_done = wait(pending, timeout=timeout)
        if not_done:
            raise TimeoutError(f"{len(not_done)} background tasks still running")

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


def install(app: Flask) -> BackgroundWork:
    work = BackgroundWork(app)
    app.extensions[EXTENSION] = work
    return work


def background(app: Flask | None = None) -> BackgroundWork:
    work: BackgroundWork = (app or current_app).extensions[EXTENSION]
    return work
