"""A TCP link between Rapport and PostgreSQL or Redis that a test cuts and restores.

The shared services keep running for everyone else; the app under test reaches them only
through the link, so cutting it is, for that app, the outage: connections refused while it is
cut, and the connections that were open reset. Restored, it listens on the same port again.
"""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import make_url

from tests.servers import free_port

POLL_SECONDS = 0.05


class Link:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def is_up(self) -> bool:
        return self._listener is not None

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(POLL_SECONDS)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # stops listening now; wakes accept()
            self._acceptor.join(5)
            listener.close()
        with self._lock:
            sockets = set(self._open)
        for sock in sockets:  # each side reads the end; its pump closes them
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peer = {a: b, b: a}
        with selectors.DefaultSelector() as selector:
            for sock in peer:
                sock.settimeout(5)
                selector.register(sock, selectors.EVENT_READ)
            try:
                while True:
                    for key, _ in selector.select():
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            return
                        peer[key.fileobj].sendall(data)  # type: ignore[index]
            except OSError:
                return  # cut, or one side closed
            finally:
                with self._lock:
                    self._open -= set(peer)
                for sock in peer:
                    with suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    sock.close()


@contextmanager
def link_to(url: str) -> Iterator[tuple[Link, str]]:
    """A link (restored) to the server a database or Redis URL names, and the URL through it."""
    parsed = make_url(url)
    link = Link(parsed.host or "127.0.0.1", parsed.port or DEFAULT_PORTS[parsed.drivername])
    link.restore()
    try:
        yield (
            link,
            parsed.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False),
        )
    finally:
        link.cut()


DEFAULT_PORTS = {"postgresql": 5432, "postgresql+psycopg": 5432, "redis": 6379}
