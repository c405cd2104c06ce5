"""The one HTTP client for every request Rapport sends to a platform: JWKS, OpenID
configuration and dynamic registration, service tokens, NRPS and AGS.

A platform's URLs come from registrations and signed launches, which makes them attacker-chosen
in the worst case (OWASP SSRF Prevention). So before every hop, redirects included, the host is
resolved and every address it resolves to must be public: loopback, private, link-local (the
cloud metadata service at 169.254.169.254), shared, multicast and reserved ranges are refused,
unless an administrator allowed them (`ALLOW_PRIVATE_HOSTS`: host names or CIDR ranges), or the
address is loopback and Rapport itself runs on loopback (development and the demo). A response
body is read with a total deadline and a size cap, so a server that drips one byte at a time
cannot hold a worker. What a remote server answered is for logs, never for a page.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from lti_tool.config import Settings
from lti_tool.lti.registration.configuration import is_loopback

MAX_RESPONSE_BYTES = 10 * 1024 * 1024  # an NRPS page of 1,000 members is about 0.5 MB
TOTAL_SECONDS = 20.0
CONNECT_SECONDS = 5.0
READ_SECONDS = 5.0
MAX_REDIRECTS = 5

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundRefused(requests.RequestException):
    """A request Rapport will not send, or a response it will not read to the end."""


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
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in {"http", "https"} or not host:
            raise OutboundRefused(f"not a web address: {parts.scheme or 'none'}://{host}")
        if host in self.allowed_hosts:
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            found = self.resolve(host, port, proto=socket.IPPROTO_TCP)
        except (OSError, ValueError) as exc:
            raise OutboundRefused(f"{host} cannot be resolved") from exc
        for _family, _type, _proto, _name, sockaddr in found:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if not self._reachable(address):
                raise OutboundRefused(f"{host} is on a private or reserved address")

    def _reachable(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        if address.is_loopback:
            return self.allow_loopback
        return address.is_global and not address.is_multicast


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


class OutboundSession(requests.Session):
    """`requests.Session` that checks every hop and reads every body within its limits."""

    def __init__(self, policy: OutboundPolicy, user_agent: str) -> None:
        super().__init__()
        self.policy = policy
        self.max_redirects = MAX_REDIRECTS
        self.headers["User-Agent"] = user_agent

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.policy.check(request.url or "")
        deadline = time.monotonic() + self.policy.total_seconds
        asked = kwargs.get("timeout")
        read = asked[1] if isinstance(asked, tuple) else asked
        kwargs["timeout"] = (CONNECT_SECONDS, min(float(read or READ_SECONDS), READ_SECONDS))
        streamed = kwargs.get("stream", False)
        kwargs["stream"] = True
        response = super().send(request, **kwargs)
        if not streamed:
            self._read_within_limits(response, deadline)
        return response

    def _read_within_limits(self, response: requests.Response, deadline: float) -> None:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.policy.max_bytes:
            response.close()
            raise OutboundRefused(f"the answer is larger than {self.policy.max_bytes} bytes")
        body = bytearray()
        try:
            # read1: one receive at a time, so the deadline is checked however slowly the
            # server sends (read(n) would wait for all n bytes).
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body.extend(chunk)
                if len(body) > self.policy.max_bytes:
                    raise OutboundRefused(
                        f"the answer is larger than {self.policy.max_bytes} bytes"
                    )
                if time.monotonic() > deadline:
                    raise OutboundRefused(
                        f"the answer took longer than {self.policy.total_seconds:.0f} s"
                    )
        finally:
            response.close()
        response._content = bytes(body)


def outbound_session(settings: Settings, user_agent: str) -> OutboundSession:
    return OutboundSession(OutboundPolicy.from_settings(settings), user_agent)
