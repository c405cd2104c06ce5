"""The one place Rapport reads its configuration.

Every setting comes from an environment variable named in the stable contract
(docs/product.md), with a default that works on a fresh machine. `create_app(overrides)`
layers test overrides on top.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    public_url: str
    keys_dir: Path
    lti_config: Path | None
    demo: bool
    demo_force: bool = False
    # Where the demo LMS answers, when not at PUBLIC_URL: another host name for the same
    # server makes Rapport's frame cross-site inside the demo, as inside a real LMS.
    demo_url: str | None = None
    proxy_hops: int = 1
    # How long after its `iat` an id_token may still be presented (Security Framework §5.1.3
    # leaves the window to the tool; Moodle's tokens live 60 s, Canvas's one hour).
    max_token_age_seconds: int = 3600
    clock_leeway_seconds: int = 60
    jwks_cache_seconds: int = 24 * 3600
    jwks_refetch_interval_seconds: int = 60
    roster_sync_interval_seconds: int = 3600  # a staff launch syncs an older NRPS roster
    # Hosts or CIDR ranges outbound requests may reach although private (lti_tool.outbound).
    allow_private_hosts: tuple[str, ...] = ()
    # Where jobs wait for `rapport worker` (lti_tool.jobs): sqlite or redis (memory and
    # immediate in tests); empty: redis when REDIS_URL is set, else sqlite.
    jobs_backend: str = ""
    jobs_queue_name: str = "rapport"
    log_format: str = "json"  # or "text" (lti_tool.observability)
    metrics_token: str | None = None  # a Bearer token /metrics asks for; unset: inside only
    # Email notifications (services/notifications): off unless an SMTP server is named, as
    # smtp://user:pass@host:587 (STARTTLS when ?starttls=1), or smtps://host:465 (TLS).
    smtp_url: str | None = None
    mail_from: str | None = None  # the From address, e.g. "Rapport <rapport@example.edu>"
    # Days after its end that a course is deleted (services/archive/retention.py); None: never.
    retention_days: int | None = None
    # The language and formats of a page or mail when neither the launch nor the browser names
    # one Rapport speaks (lti_tool/i18n.py), as a BCP 47 tag.
    default_locale: str = "en-GB"
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_https(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def public_host(self) -> str:
        return urlsplit(self.public_url).netloc

    def with_overrides(self, overrides: dict[str, Any]) -> Settings:
        known = {k: v for k, v in overrides.items() if k in self.__dataclass_fields__}
        extra = {k: v for k, v in overrides.items() if k not in self.__dataclass_fields__}
        return replace(self, **known, extra={**self.extra, **extra})


def _secret_key(source: Mapping[str, str], instance_dir: Path) -> str:
    """SECRET_KEY, or one generated once and kept under instance/ so restarts keep sessions."""
    configured = source.get("SECRET_KEY")
    if configured:
        return configured
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place: a worker starting at the same moment sees either
    # no file or the whole key, and every worker ends up with the same one.
    tmp = instance_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


def _log_format(source: Mapping[str, str], demo: bool) -> str:
    """JSON lines for a log collector; text for a person watching the demo in a terminal."""
    chosen = (source.get("LOG_FORMAT") or ("text" if demo else "json")).strip().lower()
    if chosen not in {"json", "text"}:
        raise ValueError(f"LOG_FORMAT must be json or text, not {chosen!r}")
    return chosen


def _retention_days(source: Mapping[str, str]) -> int | None:
    """RETENTION_DAYS: a whole number of days, at least 1; unset or empty, no deletion."""
    text = (source.get("RETENTION_DAYS") or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"RETENTION_DAYS must be a whole number of days, at least 1, not {text!r}")
    return int(text)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment once. `env` lets tests pass a dictionary instead."""
    source = os.environ if env is None else env
    instance_dir = Path(source.get("RAPPORT_INSTANCE_DIR", PROJECT_ROOT / "instance"))
    database_url = source.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'rapport.db'}"
    lti_config = source.get("LTI_CONFIG")
    demo = _flag(source.get("RAPPORT_DEMO"))
    return Settings(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=source.get("REDIS_URL") or None,
        secret_key=_secret_key(source, instance_dir),
        public_url=(source.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        keys_dir=Path(source.get("KEYS_DIR") or PROJECT_ROOT / "keys"),
        lti_config=Path(lti_config) if lti_config else None,
        demo=demo,
        demo_force=_flag(source.get("RAPPORT_DEMO_FORCE")),
        demo_url=(source.get("RAPPORT_DEMO_URL") or "").strip().rstrip("/") or None,
        proxy_hops=int(source.get("PROXY_HOPS", "1")),
        roster_sync_interval_seconds=int(source.get("ROSTER_SYNC_INTERVAL", "3600")),
        jobs_backend=source.get("JOBS_BACKEND", "").strip().lower(),
        jobs_queue_name=source.get("JOBS_QUEUE_NAME") or "rapport",
        allow_private_hosts=tuple(
            h.strip() for h in source.get("ALLOW_PRIVATE_HOSTS", "").split(",") if h.strip()
        ),
        log_format=_log_format(source, demo),
        metrics_token=source.get("METRICS_TOKEN") or None,
        smtp_url=source.get("SMTP_URL") or None,
        mail_from=source.get("MAIL_FROM") or None,
        retention_days=_retention_days(source),
        default_locale=source.get("DEFAULT_LOCALE") or "en-GB",
    )
