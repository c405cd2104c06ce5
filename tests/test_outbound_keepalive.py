"""Kept-alive connections in the one outbound HTTP client (lti_tool/outbound.py): requests to a
host reuse a connection, which only ever leads to the address checked when it was opened; each
new connection is checked again; the total deadline holds on a reused one; an administrator's
proxy from the environment still carries every request."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import repeat
from typing import Any

import pytest
import requests

from lti_tool.outbound import OutboundPolicy, OutboundRefused, OutboundSession
from tests.test_outbound import _headers_one_byte_at_a_time, _raw_server, _resolving_to


class _KeepAliveServer(ThreadingHTTPServer):
    """HTTP/1.1 with keep-alive (werkzeug's server closes every connection): counts the
    connections it accepted, and closes one after the answers listed in `close_after`."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _KeepAliveHandler)
        self.connections = 0
        self.requests = 0
        self.close_after: set[int] = set()
        self.lock = threading.Lock()


class _KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _KeepAliveServer

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with self.server.lock:
            self.server.requests += 1
            closing = self.server.requests in self.server.close_after
        body = b'{"ok": true}' if self.command == "GET" else b""
        self.send_response(200 if body else 204)
        self.send_header("Content-Type", "application/json")
        if body:
            self.send_header("Content-Length", str(len(body)))
        if closing:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815 - http.server's names

    def log_message(self, *_args: Any) -> None:
        return


@contextmanager
def _keep_alive_server() -> Iterator[_KeepAliveServer]:
    server = _KeepAliveServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _counting_resolver(answers: Iterator[str], asked: list[str]) -> Any:
    def resolve(host: str, port: int, proto: int = 0) -> list[Any]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, proto, "", (next(answers), port))]

    return resolve


def test_requests_to_one_host_reuse_one_connection():
    asked: list[str] = []
    policy = OutboundPolicy(
        allow_loopback=True, resolve=_counting_resolver(repeat("127.0.0.1"), asked)
    )
    http = OutboundSession(policy, "Rapport tests")
    with _keep_alive_server() as server:
        base = f"http://lms.test:{server.server_address[1]}"
        for _ in range(5):
            assert http.post(base + "/scores", json={"scoreGiven": 1}, timeout=5).status_code == 204
            assert http.get(base + "/results", timeout=5).json() == {"ok": True}
        assert (server.requests, server.connections) == (10, 1)
    assert asked == ["lms.test"]  # checked once, for the one connection


def test_sends_at_once_keep_one_connection_each_and_no_more():
    policy = OutboundPolicy(allow_loopback=True)
    http = OutboundSession(policy, "Rapport tests")
    with _keep_alive_server() as server, ThreadPoolExecutor(8) as pool:
        url = f"http://127.0.0.1:{server.server_address[1]}/scores"
        answers = list(
            pool.map(lambda _: http.post(url, json={}, timeout=5).status_code, range(80))
        )
        assert answers == [204] * 80
        assert server.requests == 80 and server.connections <= 8


def test_every_new_connection_is_checked_again_and_a_kept_one_stays_at_its_address():
    """DNS rebinding across keep-alive: the kept connection goes on to the address that was
    checked; once the server closes it, the next connection resolves again, and the private
    answer it now gets is refused."""
    asked: list[str] = []
    answers = iter(["127.0.0.1"] + ["10.0.0.1"] * 10)
    policy = OutboundPolicy(allow_loopback=True, resolve=_counting_resolver(answers, asked))
    http = OutboundSession(policy, "Rapport tests")
    with _keep_alive_server() as server:
        server.close_after = {3}
        base = f"http://rebinding.test:{server.server_address[1]}"
        for _ in range(3):  # the third answer closes the connection
            assert http.get(base + "/results", timeout=5).json() == {"ok": True}
        assert asked == ["rebinding.test"]
        with pytest.raises(OutboundRefused, match="private"):
            http.get(base + "/results", timeout=5)
        assert asked == ["rebinding.test"] * 2 and server.connections == 1


def _answers_then_drips_headers(conn: socket.socket, stop: threading.Event) -> None:
    conn.recv(65536)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
    )
    _headers_one_byte_at_a_time(conn, stop)


def test_the_total_deadline_holds_on_a_kept_alive_connection():
    """The second answer on a kept connection drips its headers a byte every 50 ms: no read
    waits long enough for the 5 s read timeout, so only the 1 s total deadline times it out
    (without it, the server would finish dripping and close: a connection error)."""
    policy = OutboundPolicy(allow_loopback=True, total_seconds=1.0)
    http = OutboundSession(policy, "Rapport tests")
    with _raw_server(_answers_then_drips_headers) as url:
        assert http.get(url + "/first", timeout=5).json() == {}
        with pytest.raises(requests.ReadTimeout):
            http.get(url + "/second", timeout=5)  # the same connection, its headers dripped


def test_an_administrators_proxy_from_the_environment_is_used_on_every_request(monkeypatch):
    """requests' reading of the environment is kept per site; the proxy it names still
    carries each request (the target still checked: a public address here)."""
    policy = OutboundPolicy(resolve=_resolving_to("93.184.216.34"))
    with _keep_alive_server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        http = OutboundSession(policy, "Rapport tests")
        for _ in range(3):
            assert http.get("http://lms.example.edu/results", timeout=5).json() == {"ok": True}
        assert proxy.requests == 3
