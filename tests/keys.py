"""RSA keys for tests, made once per test process instead of once per app.

Generating a 2048-bit RSA key costs ~56 ms here, and every app (the tool's KEYS_DIR, the demo
LMS) and every test platform used to make its own: a thousand tests paid a minute for keys.
Keys are still real and still distinct where a test needs them to be: the tool, the demo LMS
and the test platforms each have their own. Within one test every `platform_key()` is a
different key: each test draws the pool from the same starting point, and a key drawn outside a
test (by a module-scoped fixture) is never handed to a test again.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# A key id in the shape KeyRing writes (creation time, then random hex), dated in the past so
# that a key a test rotates in is always the newer one.
TOOL_KID = "20260101T000000000000-7e57ed"
_POOL_LIMIT = 64
_pool: list[rsa.RSAPrivateKey] = []
_lock = threading.Lock()


class _Draws:
    next = 0  # the pool index the next draw takes
    first_for_tests = 0  # keys below this one belong to fixtures that outlive a test
    in_test = False


def _generate() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@cache
def _tool_pem() -> bytes:
    return _pem(_generate())


@cache
def _demo_pem() -> bytes:
    return _pem(_generate())


def _write_private(path: Path, pem: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def seed_tool_keys(keys_dir: Path) -> None:
    """Give an app's KEYS_DIR its first key, as `KeyRing.ensure()` would on a first start."""
    _write_private(keys_dir / f"{TOOL_KID}.pem", _tool_pem())


def seed_demo_key(instance_dir: Path) -> None:
    """Give the demo LMS its platform key where it would create one on a first start."""
    _write_private(instance_dir / "demo" / "platform-key.pem", _demo_pem())


def platform_key() -> rsa.RSAPrivateKey:
    """A key for a test platform or an impostor: different from every other one this test drew."""
    with _lock:
        index = _Draws.next
        _Draws.next += 1
        if not _Draws.in_test:
            _Draws.first_for_tests = _Draws.next
        if index >= _POOL_LIMIT:
            return _generate()
        while len(_pool) <= index:
            _pool.append(_generate())
        return _pool[index]


def begin_test() -> None:
    with _lock:
        _Draws.in_test = True
        _Draws.next = _Draws.first_for_tests


def end_test() -> None:
    with _lock:
        _Draws.in_test = False
        _Draws.next = _Draws.first_for_tests
