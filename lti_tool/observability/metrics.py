"""Prometheus metrics: what an operator graphs and alerts on, served at `/metrics`.

Every label is a fixed word (an outcome, a refusal code, a URL rule, a job's name), never an
id, a name or an address, so the page says nothing about any person. Under gunicorn each worker
process counts alone; with `PROMETHEUS_MULTIPROC_DIR` set (before Python starts: prometheus_client
reads it on import) every process writes its counts to files there and `/metrics` adds up all
of them — `rapport worker` too, when it shares the directory. gunicorn's `child_exit` hook is
`gunicorn_child_exit` below.

The job runner reports through two calls: `job_failed(name)` for every run of a job that
raised (retried or not), and `set_queue_depth_reader(reader)` once at start-up, with a function
`/metrics` calls to learn how many jobs wait (asked at scrape time, so it is the queue's own
count, right in every process).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the text format every Prometheus reads

disable_created_metrics()  # `_created` series are noise for counters that only grow

LAUNCHES = Counter(
    "rapport_launches",
    "LTI logins and launches by outcome (course, deep_linking, refused) and refusal code.",
    ["outcome", "reason"],
)
REQUEST_DURATION = Histogram(
    "rapport_request_duration_seconds",
    "Time to answer a request, by URL rule (not path), method and status.",
    ["route", "method", "status"],
)
GRADE_DELIVERIES = Counter(
    "rapport_grade_deliveries",
    "Attempts to deliver a score to an LMS gradebook, by what became of the score.",
    ["outcome"],
)
ROSTER_SYNCS = Counter(
    "rapport_roster_syncs", "Course roster syncs over NRPS, by outcome.", ["outcome"]
)
NOTIFICATIONS = Counter(
    "rapport_notifications",
    "Email notifications by what became of them (sent, retry, failed, skipped).",
    ["outcome"],
)
JOBS_FAILED = Counter("rapport_jobs_failed", "Background jobs that failed, by job.", ["job"])

# Series that exist from the start, so that rates and alerts see a zero, not nothing.
for _outcome in ("course", "deep_linking"):
    LAUNCHES.labels(_outcome, "")
for _outcome in ("sent", "retry", "refused", "superseded"):
    GRADE_DELIVERIES.labels(_outcome)
for _outcome in ("synced", "failed"):
    ROSTER_SYNCS.labels(_outcome)
for _outcome in ("sent", "retry", "failed", "skipped"):
    NOTIFICATIONS.labels(_outcome)


def notification_outcome(outcome: str, count: int = 1) -> None:
    """For the notifications' sender: `count` notifications sent, to retry, failed or skipped."""
    NOTIFICATIONS.labels(outcome).inc(count)


def job_failed(job: str) -> None:
    """For the job runner: a run of the job named `job` (its registered name, never its
    arguments) raised, whether or not it will be retried."""
    JOBS_FAILED.labels(job).inc()


class QueueDepth:
    """`rapport_jobs_queued`, read when `/metrics` is scraped from the reader the job runner
    set. A reader that fails (its store is down) leaves the gauge out of that scrape."""

    def __init__(self) -> None:
        self.reader: Callable[[], int] | None = None

    def collect(self) -> Iterator[Metric]:
        if self.reader is None:
            return
        try:
            depth = self.reader()
        except Exception:
            log.exception("metrics: cannot read the job queue's depth")
            return
        yield GaugeMetricFamily("rapport_jobs_queued", "Jobs waiting to run.", value=depth)


QUEUE_DEPTH = QueueDepth()


def set_queue_depth_reader(reader: Callable[[], int] | None) -> None:
    """For the job runner, at start-up: how `/metrics` learns how many jobs wait."""
    QUEUE_DEPTH.reader = reader


class _ThisProcess:
    """The default registry as a collector: this process's counts, without multiprocess mode."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition() -> bytes:
    """The `/metrics` page: every process's counts in multiprocess mode, else this one's."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROCESS_DIR)
    if directory:
        multiprocess.MultiProcessCollector(registry, directory)
    else:
        registry.register(_ThisProcess())
    registry.register(QUEUE_DEPTH)
    return generate_latest(registry)


def gunicorn_child_exit(_server: Any, worker: Any) -> None:
    """gunicorn's `child_exit` hook (`child_exit = gunicorn_child_exit` in gunicorn.conf.py):
    the files of a worker that ended stop counting as live."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(worker.pid)


# -- who may read /metrics ------------------------------------------------------------------------


def _inside(address: str | None) -> bool:
    """Not an internet address: loopback, private (RFC 1918, IPv6 unique-local), link-local,
    or the shared range 100.64.0.0/10 some clusters give their pods."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global


def may_read_metrics(
    token: str | None, authorization: str | None, addresses: Iterable[str | None]
) -> bool:
    """With `METRICS_TOKEN` set, whoever brings it as a Bearer token; without it, only a
    request whose every address is inside: the connection's peer and the client the proxies
    report. A proxy on the same machine connects from loopback, so its peer alone would let
    the whole internet in."""
    if token:
        scheme, _, offered = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            offered.strip().encode(), token.encode()
        )
    return all(_inside(address) for address in addresses)


# -- a worker's own /metrics ---------------------------------------------------------------------


def worker_metrics_app(token: str | None) -> Callable[..., Iterable[bytes]]:
    """`/metrics` for a `rapport worker` that shares no PROMETHEUS_MULTIPROC_DIR with a web
    process (another machine, another container): the same page and the same rule on who may
    read it, served by the worker itself (`rapport worker --metrics-port`)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Only /metrics is served here.\n"]
        addresses = [environ.get("REMOTE_ADDR")]
        if not may_read_metrics(token, environ.get("HTTP_AUTHORIZATION"), addresses):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"/metrics needs the METRICS_TOKEN as a Bearer token from outside.\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [exposition()]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not worth a log line each."""


def serve_worker_metrics(host: str, port: int, token: str | None) -> WSGIServer:
    """Serve `worker_metrics_app` on host:port from a daemon thread of this worker process (a
    worker, never a web process: those serve /metrics through Flask)."""
    server = make_server(host, port, worker_metrics_app(token), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
