"""The one HTTP client for every request Rapport sends to a platform: JWKS, OpenID
configuration and dynamic registration, service tokens, NRPS and AGS.

A platform's URLs come from registrations and signed launches, which makes them attacker-chosen
in the worst case (OWASP SSRF Prevention). So on every connection, redirects included, the host
is resolved once and every address it resolves to must be public: loopback, private, link-local
(the cloud metadata service at 169.254.169.254), shared, multicast and reserved ranges are
refused, unless an administrator allowed them (`ALLOW_PRIVATE_HOSTS`: host names or CIDR
ranges), or the address is loopback and Rapport itself runs on loopback (development and the
demo). The socket then connects to the address that was checked, never to a second answer from
DNS (rebinding). A connection is kept open for the next request to the same host and port, so
a kept one only ever leads to an address that was checked, and each new one is checked again.
Every receive, headers included, is bounded by one total deadline and the body
by a size cap, so a server that drips one byte at a time cannot hold a worker. What a remote
server answered is for logs, never for a page.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import create_connection

from lti_tool.config import Settings
from lti_tool.i18n import KeptReason, keep
from lti_tool.lti.registration.configuration import is_loopback

MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # an NRPS page of 1,000 members is about 0.5 MB
TOTAL_SECONDS = 20.0
CONNECT_SECONDS = 5.0
READ_SECONDS = 5.0
MAX_REDIRECTS = 5
# Open connections kept per host: at least as many as requests sent at once (the grade worker's
# concurrent sends), or those past it are closed after each answer.
POOL_SIZE = 16

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundRefused(KeptReason, requests.RequestException):
    """A request Rapport will not send, or a response it will not read to the end.

    `kept` is why, as `keep` stores it for staff to read in their own language (it ends up in a
    grade's or a roster's error); `str()` of the exception is that reason in English, for logs.
    """


@dataclass(frozen=True)
class OutboundPolicy:
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[Network, ...] = ()
    allow_loopback: bool = False
    max_bytes: int = MAX_RESPONSE_BYTES
    total_seconds: float = TOTAL_SECONDS
    resolve: Any = field(default=socket.getaddrinfo, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        hosts, networks = _parse_allowed(settings.allow_private_hosts)
        return cls(
            allowed_hosts=frozenset(hosts),
            allowed_networks=tuple(networks),
            allow_loopback=is_loopback(urlsplit(settings.public_url).hostname),
        )

    def check(self, url: str) -> None:
        """Refuse a URL whose host is, or resolves to, an address Rapport must not reach."""
        parts = _web_address(url)
        self.addresses(parts.hostname or "", parts.port or _default_port(parts.scheme))

    def addresses(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """Where `host` may be reached: (family, type, proto, sockaddr) for each address it
        resolves to, once; refused when any of them is private and not allowed."""
        host = host.lower().strip("[]")
        try:
            found = self.resolve(host, port, proto=socket.IPPROTO_TCP)
        except (OSError, ValueError, UnicodeError) as exc:
            raise OutboundRefused(keep("%(host)s cannot be resolved", host=host)) from exc
        if host in self.allowed_hosts:
            return [(f, t, p, sockaddr) for f, t, p, _name, sockaddr in found]
        for _family, _type, _proto, _name, sockaddr in found:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if not self._reachable(address):
                raise OutboundRefused(
                    keep("%(host)s is on a private or reserved address", host=host)
                )
        if not found:
            raise OutboundRefused(keep("%(host)s cannot be resolved", host=host))
        return [(f, t, p, sockaddr) for f, t, p, _name, sockaddr in found]

    def _reachable(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        if address.is_loopback:
            return self.allow_loopback
        return address.is_global and not address.is_multicast


def _web_address(url: str) -> Any:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as exc:  # "http://[", a port past 65535: not an address at all
        raise OutboundRefused(keep("not a web address")) from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        address = f"{parts.scheme or 'none'}://{parts.hostname}"
        raise OutboundRefused(keep("not a web address: %(address)s", address=address))
    return parts


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _parse_allowed(entries: Iterable[str]) -> tuple[set[str], list[Network]]:
    hosts: set[str] = set()
    networks: list[Network] = []
    for entry in (e.strip().lower() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry)
    return hosts, networks


@dataclass(frozen=True)
class _Sending:
    policy: OutboundPolicy
    deadline: float


# The request being sent on this thread: read by the connection when it resolves its host and
# by the response when it is created (it keeps the deadline for reads after `send` returns).
_sending: ContextVar[_Sending | None] = ContextVar("rapport_outbound_sending", default=None)


class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each given only the time left before the request's deadline."""

    def __init__(self, sock: socket.socket, raw: Any, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = raw
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            # i18n: not translated (read as "the answer took longer than …", never shown)
            raise TimeoutError("the total deadline passed")
        self._sock.settimeout(min(left, READ_SECONDS))
        return int(self._raw.readinto(buffer))

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response reading its status line, headers and body under the deadline."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        sending = _sending.get()
        if sending is not None:
            raw = self.fp.detach()
            self.fp = io.BufferedReader(_DeadlineReader(sock, raw, sending.deadline))


class _Guarded:
    """Connects to an address the policy checked, resolved once (no second DNS answer)."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    response_class: type[http.client.HTTPResponse] = _DeadlineResponse

    def _new_conn(self) -> socket.socket:
        sending = _sending.get()
        if sending is None:
            # i18n: not translated (a programming error, never met by a person)
            raise OutboundRefused("an outbound connection outside OutboundSession")
        error: OSError | None = None
        for _family, _type, _proto, sockaddr in sending.policy.addresses(self.host, self.port):
            try:
                return create_connection(
                    (str(sockaddr[0]), int(sockaddr[1])),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                error = exc
        # i18n: not translated (urllib3's own words for a refused connection, as it says them)
        raise urllib3.exceptions.NewConnectionError(
            self,  # type: ignore[arg-type]
            f"Failed to establish a new connection: {error}",
        )


class _GuardedHTTPConnection(_Guarded, urllib3.connection.HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, urllib3.connection.HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


class OutboundSession(requests.Session):
    """`requests.Session` that checks every hop and reads every answer within its limits."""

    def __init__(self, policy: OutboundPolicy, user_agent: str) -> None:
        super().__init__()
        self.policy = policy
        self.max_redirects = MAX_REDIRECTS
        self.headers["User-Agent"] = user_agent
        self._environment: dict[tuple[str, str], Any] = {}
        adapter = _GuardedAdapter(pool_maxsize=POOL_SIZE)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """requests reads every environment variable for proxies on each request (a sixth of
        a score's cost); a running Rapport's environment does not change, so the answer is
        kept per site."""
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(str(url or ""))
        site = (parts.scheme, parts.netloc)
        found = self._environment.get(site)
        if found is None:
            found = super().merge_environment_settings(url, {}, None, None, None)
            self._environment[site] = found
        return {**found, "proxies": dict(found["proxies"])}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        _web_address(request.url or "")
        if kwargs.get("proxies"):
            # An administrator's proxy connects for us, to addresses only its DNS knows.
            self.policy.check(request.url or "")
        deadline = time.monotonic() + self.policy.total_seconds
        asked = kwargs.get("timeout")
        read = asked[1] if isinstance(asked, tuple) else asked
        kwargs["timeout"] = (CONNECT_SECONDS, min(float(read or READ_SECONDS), READ_SECONDS))
        streamed = kwargs.get("stream", False)
        kwargs["stream"] = True
        token = _sending.set(_Sending(self.policy, deadline))
        try:
            response = super().send(request, **kwargs)
            if not streamed:
                self._read_within_limits(response)
        except requests.ConnectionError as exc:
            refused = _refusal_inside(exc)
            if refused is not None:
                raise refused from None
            raise
        finally:
            _sending.reset(token)
        return response

    def _read_within_limits(self, response: requests.Response) -> None:
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.policy.max_bytes:
            response.close()
            raise OutboundRefused(self._too_large())
        body = bytearray()
        seconds = f"{self.policy.total_seconds:.0f}"
        try:
            # read1: one receive at a time, so the size is checked however the server sends.
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body.extend(chunk)
                if len(body) > self.policy.max_bytes:
                    raise OutboundRefused(self._too_large())
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise OutboundRefused(
                keep("the answer took longer than %(seconds)s s", seconds=seconds)
                if isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError)
                else keep("the answer could not be read: %(reason)s", reason=str(exc))
            ) from exc
        finally:
            response.close()
        response._content = bytes(body)

    def _too_large(self) -> str:
        return keep("the answer is larger than %(limit)s bytes", limit=self.policy.max_bytes)


def _refusal_inside(error: BaseException) -> OutboundRefused | None:
    """The policy's refusal that urllib3 and requests wrapped as a connection error."""
    seen: list[BaseException] = [error]
    visited: set[int] = set()
    while seen:
        current = seen.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        if isinstance(current, OutboundRefused) and current is not error:
            return current
        seen.extend(a for a in current.args if isinstance(a, BaseException))
        seen.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


def outbound_session(settings: Settings, user_agent: str) -> OutboundSession:
    return OutboundSession(OutboundPolicy.from_settings(settings), user_agent)
