"""Forced failures for the demo LMS's services, queued from Python by tests.

A real LMS times out, throttles (HTTP 429 with `Retry-After`, RFC 6585 §4) and goes down for
maintenance (503). Tests of Rapport's grade delivery queue such answers here; there is no route
for it, so nobody can break a running demo from a browser.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

# The demo endpoints a fault can be queued for.
ENDPOINTS = frozenset({"token", "nrps", "lineitems", "lineitem", "scores", "results"})


@dataclass(frozen=True)
class Fault:
    """One forced answer. `status=None` only delays, then the request is served normally."""

    status: int | None = 503
    retry_after: int | None = None
    delay_seconds: float = 0.0
    body: dict[str, Any] | None = None

    def wait(self) -> None:
        if self.delay_seconds > 0:
            time.sleep(self.delay_seconds)  # a slow LMS, as the tool's HTTP client sees it


class FaultQueue:
    """Per-endpoint queues of forced answers, consumed one per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}
        self.served: dict[str, int] = {}

    def push(self, endpoint: str, fault: Fault | None = None, times: int = 1) -> None:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown demo endpoint {endpoint!r}; one of {sorted(ENDPOINTS)}")
        with self._lock:
            queue = self._queues.setdefault(endpoint, deque())
            queue.extend([fault or Fault()] * times)

    def take(self, endpoint: str) -> Fault | None:
        with self._lock:
            queue = self._queues.get(endpoint)
            if not queue:
                return None
            self.served[endpoint] = self.served.get(endpoint, 0) + 1
            return queue.popleft()

    def pending(self, endpoint: str) -> int:
        with self._lock:
            return len(self._queues.get(endpoint) or ())

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
