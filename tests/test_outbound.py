"""The one outbound HTTP client (lti_tool/outbound.py): private addresses refused after DNS and
on every redirect, an administrator's allow-list, loopback only for a loopback Rapport, and
bodies read within a total time and a size."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
import requests

from lti_tool.config import load_settings
from lti_tool.i18n import shown
from lti_tool.outbound import OutboundPolicy, OutboundRefused, OutboundSession, _parse_allowed
from tests.servers import serve


def _resolving_to(address: str) -> Any:
    def resolve(host: str, port: int, proto: int = 0) -> list[Any]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, proto, "", (address, port))]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # shared address space
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",  # IPv4 inside IPv6
        "::ffff:127.0.0.1",
    ],
)
def test_a_name_that_resolves_to_a_private_address_is_refused(address):
    policy = OutboundPolicy(resolve=_resolving_to(address))
    with pytest.raises(OutboundRefused):
        policy.check("https://lms.example.edu/mod/lti/certs.php")


def test_a_refusal_is_kept_for_staff_and_reads_english_in_logs():
    """What a roster or a grade stores is the refusal's msgid and values, shown later in each
    reader's language; the exception itself reads English."""
    policy = OutboundPolicy(resolve=_resolving_to("10.1.2.3"))
    with pytest.raises(OutboundRefused) as refused:
        policy.check("https://lms.example.edu/x")
    assert str(refused.value) == "lms.example.edu is on a private or reserved address"
    assert json.loads(refused.value.kept) == {
        "said": "%(host)s is on a private or reserved address",
        "values": {"host": "lms.example.edu"},
    }
    assert shown(refused.value.kept) == str(refused.value)


def test_public_addresses_and_what_an_administrator_allowed_are_reached():
    OutboundPolicy(resolve=_resolving_to("93.184.216.34")).check("https://lms.example.edu/x")
    hosts, networks = _parse_allowed(["10.0.0.0/8", " Moodle.Campus.Local ", ""])
    policy = OutboundPolicy(
        allowed_hosts=frozenset(hosts),
        allowed_networks=tuple(networks),
        resolve=_resolving_to("10.20.30.40"),
    )
    policy.check("https://anything.example.edu/x")  # in the allowed range
    OutboundPolicy(allowed_hosts=frozenset(hosts), resolve=_resolving_to("192.168.0.5")).check(
        "https://moodle.campus.local/x"
    )
    with pytest.raises(OutboundRefused):
        OutboundPolicy(resolve=_resolving_to("10.20.30.40")).check("ftp://lms.example.edu/x")


def test_loopback_is_reached_only_when_rapport_itself_runs_on_loopback():
    local = OutboundPolicy.from_settings(load_settings({"PUBLIC_URL": "http://127.0.0.1:5000"}))
    public = OutboundPolicy.from_settings(
        load_settings({"PUBLIC_URL": "https://rapport.example.edu", "SECRET_KEY": "x"})
    )
    local.check("http://127.0.0.1:8080/jwks")
    with pytest.raises(OutboundRefused):
        public.check("http://127.0.0.1:8080/jwks")
    allowed = OutboundPolicy.from_settings(
        load_settings(
            {
                "PUBLIC_URL": "https://rapport.example.edu",
                "SECRET_KEY": "x",
                "ALLOW_PRIVATE_HOSTS": "127.0.0.0/8",
            }
        )
    )
    allowed.check("http://127.0.0.1:8080/jwks")


def _redirecting_to(target: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("302 Found", [("Location", target), ("Content-Length", "0")])
        return [b""]

    return app


def _answering(body: bytes) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app


def test_every_redirect_hop_is_checked():
    """An allowed server (127.0.0.1 by name) redirecting to another name for a private
    address (localhost) does not take Rapport there."""
    policy = OutboundPolicy(allowed_hosts=frozenset({"127.0.0.1"}))
    http = OutboundSession(policy, "Rapport tests")
    with serve(_answering(b'{"keys": []}')) as inside:
        port = inside.rsplit(":", 1)[1]
        with serve(_redirecting_to(f"http://localhost:{port}/jwks")) as outside:
            with pytest.raises(OutboundRefused):
                http.get(outside + "/jwks", timeout=5)
            assert http.get(inside + "/jwks", timeout=5).json() == {"keys": []}


def _dripping(seconds_between: float) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "application/json")])

        def drip() -> Any:
            for _ in range(200):
                time.sleep(seconds_between)
                yield b" "

        return drip()

    return app


def test_a_server_that_drips_its_answer_is_cut_off_at_the_total_deadline():
    policy = OutboundPolicy(allow_loopback=True, total_seconds=1.0)
    http = OutboundSession(policy, "Rapport tests")
    with serve(_dripping(0.05)) as url:
        started = time.monotonic()
        with pytest.raises(OutboundRefused, match="longer than"):
            http.get(url + "/slow", timeout=5)
        assert time.monotonic() - started < 3


def test_an_answer_larger_than_the_limit_is_not_read():
    policy = OutboundPolicy(allow_loopback=True, max_bytes=1000)
    http = OutboundSession(policy, "Rapport tests")
    with serve(_answering(b"x" * 5000)) as url, pytest.raises(OutboundRefused, match="larger"):
        http.get(url + "/big", timeout=5)
    with serve(_answering(b"x" * 999)) as url:
        assert len(http.get(url + "/small", timeout=5).content) == 999


@contextmanager
def _raw_server(answer: Any) -> Iterator[str]:
    """A TCP server on loopback that hands each connection to `answer(sock)`."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, suppress(OSError):
                answer(conn, stop)

    worker = threading.Thread(target=accept, daemon=True)
    worker.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        listener.close()
        worker.join(timeout=5)


def _headers_one_byte_at_a_time(conn: socket.socket, stop: threading.Event) -> None:
    conn.recv(65536)
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
        if stop.wait(0.05):
            return
        conn.sendall(bytes([byte]))


def test_a_server_that_drips_its_headers_is_cut_off_at_the_total_deadline():
    """Each byte comes well within the read timeout; only a total deadline ends it (seen:
    two workers held for 31 s by a server sending a byte every 5 s)."""
    policy = OutboundPolicy(allow_loopback=True, total_seconds=1.0)
    http = OutboundSession(policy, "Rapport tests")
    with _raw_server(_headers_one_byte_at_a_time) as url:
        started = time.monotonic()
        with pytest.raises(requests.RequestException):
            http.get(url + "/jwks", timeout=5)
        assert time.monotonic() - started < 2.5


def test_the_connection_goes_to_the_address_that_was_checked():
    """DNS rebinding: a name that answers a permitted address when checked and a private one
    a moment later. Rapport resolves once and connects to what it checked."""
    answers = iter(["127.0.0.1"] + ["10.0.0.1"] * 10)
    asked: list[str] = []

    def rebinding(host: str, port: int, proto: int = 0) -> list[Any]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, proto, "", (next(answers), port))]

    policy = OutboundPolicy(allow_loopback=True, resolve=rebinding)
    http = OutboundSession(policy, "Rapport tests")
    with serve(_answering(b'{"keys": []}')) as url:
        port = url.rsplit(":", 1)[1]
        answer = http.get(f"http://rebinding.test:{port}/jwks", timeout=5)
    assert answer.json() == {"keys": []}
    assert asked == ["rebinding.test"]
    # The next connection (a new session, so no kept-alive socket) sees the private answer.
    fresh = OutboundSession(policy, "Rapport tests")
    with serve(_answering(b"{}")) as url:
        private = f"http://rebinding.test:{url.rsplit(':', 1)[1]}/"
        with pytest.raises(OutboundRefused, match="private"):
            fresh.get(private, timeout=5)


@pytest.mark.parametrize("url", ["http://[", "https://lms.example.edu:99999/x", "http://[::1/x"])
def test_a_url_no_parser_can_read_is_refused_not_raised(url):
    """Stored NRPS or AGS URLs come from launches: one urlsplit cannot read is refused like any
    other address Rapport will not reach, instead of a ValueError in a job."""
    http = OutboundSession(OutboundPolicy(allow_loopback=True), "Rapport tests")
    with pytest.raises(requests.RequestException):  # OutboundRefused, or requests' InvalidURL
        http.get(url, timeout=5)


def _superscript_length(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "²")])
    return [b"{}"]


def test_a_content_length_of_other_digits_is_not_a_crash():
    http = OutboundSession(OutboundPolicy(allow_loopback=True), "Rapport tests")
    # Refusing such an answer is fine; a ValueError is not.
    with serve(_superscript_length) as url, suppress(requests.RequestException):
        http.get(url + "/jwks", timeout=5)
