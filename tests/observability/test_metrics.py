"""The metrics: who may read them, the job runner's two calls, a roster sync counted, and
multiprocess mode adding up what several processes counted."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from lti_tool.observability import gunicorn_child_exit, metrics
from lti_tool.observability.metrics import exposition, may_read_metrics, worker_metrics_app
from tests.services.roster import test_service as roster

# A course with an NRPS URL on a registration (tests/services/roster).
course_id = roster.course_id

# What one gunicorn worker or one `rapport worker` counts in its lifetime.
WRITER = """
from lti_tool.observability import events, metrics
events.score_settled(1, 1, "sent", 200, 1)
events.launch_refused("nonce_rejected", "launch", 403, "replayed")
metrics.job_failed("roster_sync")
"""


def samples(page: bytes | str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = page.decode() if isinstance(page, bytes) else page
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def queue_reader() -> Iterator[None]:
    yield
    metrics.set_queue_depth_reader(None)


@pytest.mark.parametrize(
    ("token", "authorization", "addresses", "allowed"),
    [
        (None, None, ("127.0.0.1", "127.0.0.1"), True),
        (None, None, ("10.1.2.3", "10.1.2.3"), True),
        (None, None, ("fd12::7", "::1"), True),
        (None, None, ("::ffff:192.168.1.9", "192.168.1.9"), True),
        (None, None, ("100.64.3.2", "100.64.3.2"), True),  # a cluster's pod network
        (None, None, ("8.8.4.4", "127.0.0.1"), False),  # through a proxy on this machine
        (None, None, ("10.0.0.1", "1.2.3.4"), False),  # an outsider naming a private address
        (None, None, ("2001:4860::8888", "10.0.0.2"), False),
        (None, None, (None, None), False),
        (None, "Bearer anything", ("8.8.4.4", "8.8.4.4"), False),
        ("t0ken", None, ("127.0.0.1", "127.0.0.1"), False),  # with a token, loopback too
        ("t0ken", "Bearer t0ken", ("8.8.4.4", "8.8.4.4"), True),
        ("t0ken", "bearer  t0ken", ("8.8.4.4", "8.8.4.4"), True),
        ("t0ken", "Bearer t0ke", ("10.0.0.1", "10.0.0.1"), False),
        ("t0ken", "Basic t0ken", ("10.0.0.1", "10.0.0.1"), False),
        ("t0ken", "t0ken", ("10.0.0.1", "10.0.0.1"), False),
    ],
)
def test_who_may_read_metrics(token, authorization, addresses, allowed):
    assert may_read_metrics(token, authorization, addresses) is allowed


def test_the_job_runner_reports_failures_and_the_queue_depth(queue_reader):
    labels = {"job": "grade_delivery"}
    before = REGISTRY.get_sample_value("rapport_jobs_failed_total", labels) or 0.0
    metrics.job_failed("grade_delivery")
    assert REGISTRY.get_sample_value("rapport_jobs_failed_total", labels) == before + 1
    metrics.set_queue_depth_reader(None)  # an app made earlier in this process set its own
    assert not any(name == "rapport_jobs_queued" for name, _ in samples(exposition()))
    metrics.set_queue_depth_reader(lambda: 7)
    assert samples(exposition())[("rapport_jobs_queued", ())] == 7


def test_a_queue_that_cannot_be_read_leaves_only_its_gauge_out(queue_reader, caplog):
    def down() -> int:
        raise ConnectionError("Redis is not answering")

    metrics.set_queue_depth_reader(down)
    page = samples(exposition())
    assert not any(name == "rapport_jobs_queued" for name, _ in page)
    assert any(name == "rapport_launches_total" for name, _ in page)
    assert "cannot read the job queue's depth" in caplog.text


def test_roster_syncs_are_counted_by_outcome(app, course_id):
    def synced(outcome: str) -> float:
        return REGISTRY.get_sample_value("rapport_roster_syncs_total", {"outcome": outcome}) or 0

    before = synced("synced"), synced("failed")
    roster.sync(app, course_id, roster.Roster([roster.person(n) for n in range(3)]), roster.T0)
    failing = roster.Roster([roster.person(n) for n in range(3)], 1, fail_after=1)
    assert roster.sync(app, course_id, failing, roster.T0 + timedelta(hours=2)).error
    assert (synced("synced"), synced("failed")) == (before[0] + 1, before[1] + 1)


def test_multiprocess_mode_adds_up_every_process(app, tmp_path, monkeypatch):
    """Two processes count (as two gunicorn workers would) into PROMETHEUS_MULTIPROC_DIR; one
    /metrics read, here in a third, adds up both."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER], env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors.decode()
    assert len(list(directory.glob("counter_*.db"))) == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    answer = app.test_client().get("/metrics")
    assert answer.status_code == 200
    page = samples(answer.text)
    assert page[("rapport_grade_deliveries_total", (("outcome", "sent"),))] == 2
    assert page[("rapport_grade_deliveries_total", (("outcome", "refused"),))] == 0
    refused = (("outcome", "refused"), ("reason", "nonce_rejected"))
    assert page[("rapport_launches_total", refused)] == 2
    assert page[("rapport_jobs_failed_total", (("job", "roster_sync"),))] == 2


def test_gunicorn_child_exit_retires_only_the_dead_workers_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    files = ["gauge_livesum_4242.db", "gauge_liveall_4242.db", "counter_4242.db"]
    files += ["gauge_livesum_4343.db"]
    for name in files:
        (tmp_path / name).write_bytes(b"")
    gunicorn_child_exit(SimpleNamespace(), SimpleNamespace(pid=4242))
    left = sorted(path.name for path in Path(tmp_path).iterdir())
    assert left == ["counter_4242.db", "gauge_livesum_4343.db"]  # its counts still count


@pytest.mark.parametrize(
    ("token", "environ", "status"),
    [
        (None, {"REMOTE_ADDR": "10.0.0.9"}, "200 OK"),
        (None, {"REMOTE_ADDR": "8.8.4.4"}, "403 Forbidden"),
        ("s3cret", {"REMOTE_ADDR": "10.0.0.9"}, "403 Forbidden"),
        (
            "s3cret",
            {"REMOTE_ADDR": "8.8.4.4", "HTTP_AUTHORIZATION": "Bearer s3cret"},
            "200 OK",
        ),
    ],
)
def test_a_worker_s_own_metrics_keep_the_web_s_rule_on_who_reads_them(token, environ, status):
    answered: list[str] = []
    app = worker_metrics_app(token)
    body = b"".join(app({"PATH_INFO": "/metrics", **environ}, lambda s, _h: answered.append(s)))
    assert answered == [status]
    assert (b"rapport_launches_total" in body) == (status == "200 OK")
