"""Real HTTP servers on loopback for functional tests: the app itself and small fake platforms.

Servers bind port 0, so tests running in parallel never race for a port; an app that must know
its own URL before it is built (PUBLIC_URL) is served by `serving()`, which binds first and
takes the app once it exists. The serving loop polls for shutdown every 10 ms instead of the
standard 0.5 s: with hundreds of servers started per run, that tick was a second per test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, make_server

SHUTDOWN_POLL_SECONDS = 0.01


def free_port() -> int:
    """A port nothing listens on at this moment (for tests of what happens when nothing does)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AppSlot:
    """A WSGI app that is set after its server is listening."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.app is None:
            raise RuntimeError("a request arrived before the test set the app it serves")
        return self.app(environ, start_response)


class Serving:
    """A running server: its base URL and the slot its app goes into."""

    def __init__(self, url: str, slot: AppSlot) -> None:
        self.url = url
        self.slot = slot

    def set_app(self, wsgi_app: Any) -> str:
        self.slot.app = wsgi_app
        return self.url


@contextmanager
def serving(ssl_context: Any = None, port: int = 0) -> Iterator[Serving]:
    """Listen on 127.0.0.1 (a free port unless one is asked for), serve in a thread."""
    slot = AppSlot()
    server: BaseWSGIServer = make_server(
        "127.0.0.1", port, slot, threaded=True, ssl_context=ssl_context
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
        daemon=True,
    )
    thread.start()
    scheme = "https" if ssl_context else "http"
    try:
        yield Serving(f"{scheme}://127.0.0.1:{server.server_port}", slot)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def serve(wsgi_app: Any, port: int | None = None, ssl_context: Any = None) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1 in a thread; yields its base URL."""
    with serving(ssl_context, port or 0) as server:
        yield server.set_app(wsgi_app)


BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Process:
    """A server running in a process of its own: its base URL, the process and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def server_process(
    command: list[str], env: dict[str, str], log: Path, ready: str = "/healthz"
) -> Iterator[Process]:
    """Run `command`, formatted with `{port}` (a free one), with PUBLIC_URL set to match; wait
    until `ready` answers HTTP at all (a 503 too: a server that starts while its database is
    down is the point of some tests); stop it at the end."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            env={**os.environ, **env, "PUBLIC_URL": url},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + ready, timeout=10)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield Process(url, process, log)
    finally:
        process.terminate()
        process.wait(30)


def gunicorn(*options: str) -> list[str]:
    """The command that serves Rapport under gunicorn on 127.0.0.1:{port}."""
    return [str(BIN / "gunicorn"), "-b", "127.0.0.1:{port}", *options, "lti_tool:create_app()"]


def wait_until(done: Callable[[], bool], seconds: float = 60.0) -> bool:
    """Poll `done` every 0.1 s until it holds or `seconds` pass (work in other processes)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.1)
    return False
