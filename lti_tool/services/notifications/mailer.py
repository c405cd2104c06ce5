"""Sending mail over SMTP (RFC 5321), configured by one URL: `SMTP_URL`.

    smtp://host:25                      plain (a relay on the same network)
    smtp://user:pass@host:587?starttls=1  STARTTLS, then login
    smtps://user:pass@host:465          TLS from the first byte

A failure is either worth retrying (the server is away, busy, or answers 4xx) or final (5xx
for this address or this sender: sending again would be refused again).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT_SECONDS = 20.0


class MailFailed(RuntimeError):  # noqa: N818 - a failure, named for what happened
    def __init__(self, words: str, final: bool) -> None:
        super().__init__(words)
        self.final = final


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: str = "none"  # none, starttls or tls

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://…")
        query = parse_qs(parts.query)
        starttls = (query.get("starttls") or ["0"])[0].lower() in {"1", "true", "yes", "on"}
        tls = "tls" if parts.scheme == "smtps" else "starttls" if starttls else "none"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls == "tls" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )


class Mailer:
    """One SMTP server and the address mail comes from."""

    def __init__(self, server: SmtpServer, sender: str) -> None:
        self.server = server
        self.sender = sender

    @classmethod
    def configured(cls, smtp_url: str | None, mail_from: str | None) -> Mailer | None:
        """The mailer the settings describe, or None: email is off without an SMTP server."""
        if not smtp_url:
            return None
        return cls(SmtpServer.from_url(smtp_url), mail_from or "rapport@localhost")

    def send(self, message: EmailMessage) -> None:
        server = self.server
        try:
            if server.tls == "tls":
                context = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
                )
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
            with client:
                if server.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if server.username:
                    client.login(server.username, server.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            raise MailFailed(f"refused: {codes}", final=all(c >= 500 for c in codes)) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as refused:
            words = f"{refused.smtp_code} {refused.smtp_error!r}"
            raise MailFailed(words, final=refused.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as error:
            raise MailFailed(f"{type(error).__name__}: {error}"[:500], final=False) from None
