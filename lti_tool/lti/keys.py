"""The tool's RSA signing keys and the JWKS that publishes them (Security Framework §6).

Keys live in KEYS_DIR as `<kid>.pem` (private, git-ignored). Key ids start with their creation
time, so the newest key signs and every key stays published until it is retired:
`rapport keys rotate` adds a key, `rapport keys retire KID` deletes one.

Loading an RSA private key from PEM costs tens of milliseconds (cryptography validates it), so
keys are loaded once per process (`rsa_private_key`: the same bytes are never parsed twice) and
reloaded only when the folder changes. Whether it changed is told by the folder's modification
time (one `stat`; adding or deleting a key file changes it), not by listing the folder: every
login and launch asks for the current key. The folder is listed anyway every RELIST_SECONDS,
for a file system whose times are too coarse to tell two changes within one tick apart.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KID_PATTERN = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{6}$")
RELIST_SECONDS = 30.0


class KeyringError(Exception):
    """A key operation an administrator asked for cannot be done."""


@lru_cache(maxsize=32)
def rsa_private_key(pem: bytes) -> rsa.RSAPrivateKey | None:
    """The RSA private key a PEM holds (None: another kind of key), parsed once per process
    for the same bytes. Key objects are immutable and safe to share between threads."""
    key = serialization.load_pem_private_key(pem, password=None)
    return key if isinstance(key, rsa.RSAPrivateKey) else None


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @cached_property
    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @cached_property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}


def _new_kid() -> str:
    # Microseconds keep two keys made in the same second in creation order.
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(3)


class KeyRing:
    """Every key in KEYS_DIR, loaded once; the newest one signs."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp: tuple[str, ...] | None = None
        self._keys: list[SigningKey] = []
        self._folder_time: int | None = None  # the folder's mtime when it was last listed
        self._listed_at = 0.0

    def ensure(self) -> None:
        """Create the first key when the folder holds none (first start)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self._key_files():
            self.rotate()

    def rotate(self) -> SigningKey:
        key = SigningKey(_new_kid(), rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key.kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key.private_pem)
        self._stamp = None
        return key

    def retire(self, kid: str) -> None:
        keys = self.published()
        if kid not in {k.kid for k in keys}:
            raise KeyringError(f"No key {kid!r} in {self.directory}")
        if kid == keys[-1].kid:
            raise KeyringError(
                f"{kid} is the key that signs now; run `rapport keys rotate` first, "
                "wait until platforms have fetched the new JWKS, then retire it"
            )
        (self.directory / f"{kid}.pem").unlink()
        self._stamp = None

    def published(self) -> list[SigningKey]:
        """All keys, oldest first; reloaded when a file was added or removed."""
        folder_time = self._folder_time_now()
        now = time.monotonic()
        with self._lock:
            if (
                self._stamp is not None
                and folder_time is not None
                and folder_time == self._folder_time
                and now - self._listed_at < RELIST_SECONDS
            ):
                return list(self._keys)
            files = self._key_files()
            stamp = tuple(f.name for f in files)
            if stamp != self._stamp:
                self._keys = [self._load(f) for f in files]
                self._stamp = stamp
            self._folder_time, self._listed_at = folder_time, now
            return list(self._keys)

    def _folder_time_now(self) -> int | None:
        try:
            return self.directory.stat().st_mtime_ns
        except OSError:
            return None

    def current(self) -> SigningKey:
        keys = self.published()
        if not keys:
            raise KeyringError(
                f"No signing key in {self.directory}; start Rapport once to create one"
            )
        return keys[-1]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.published()]}

    def _key_files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("*.pem") if KID_PATTERN.match(p.stem))

    @staticmethod
    def _load(path: Path) -> SigningKey:
        key = rsa_private_key(path.read_bytes())
        if key is None:
            raise KeyringError(f"{path} is not an RSA private key")
        return SigningKey(path.stem, key)
