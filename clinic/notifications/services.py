"""E-mail through an outbox: messages are rows written in the transaction that causes them, and a
worker (`flask outbox send`) delivers them afterwards, retrying with back-off.

Each e-mail is a template, `templates/emails/<name>.txt`, rendered once per recipient in the recipient's language
(see `notify`)."""

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import force_locale
from jinja2 import Environment
from sqlalchemy import select

from clinic import i18n
from clinic.extensions import db
from clinic.notifications.models import OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 8
MAX_SUBJECT = 300  # OutboxMessage.subject


class Recipient(Protocol):
    """Whom an e-mail goes to: a `User` (clinic.accounts.models) fits."""

    email: str
    language: str


def notify(recipients: Iterable[Recipient | None], template: str, now: datetime, **context: Any) -> list[OutboxMessage]:
    """Write one outbox message per distinct recipient, rendered from `templates/emails/<template>.txt` in that
    recipient's language, into the current transaction (it commits or rolls back with the change that caused it).

    The template convention: `{% block subject %}` holds the subject (one line; whitespace is folded), and the rest
    of the template, usually `{% extends "emails/_layout.txt" %}` with a `{% block body %}`, renders the plain-text
    body. Messages are Thai msgids in `_()`, so the one catalogue (clinic/translations) carries both languages.
    Besides `context`, a template sees `recipient`, `language` ('th' or 'en') and three helpers bound to that
    language: `when(datetime)` (Thai dates in the Buddhist Era, Bangkok time), `name_of(department_or_topic)` (the
    English name in English when there is one) and `link(endpoint, **values)` (an absolute URL from BASE_URL).
    Works under an application context alone: no request is needed."""
    distinct = {r.email.strip().lower(): r for r in recipients if r is not None and r.email}
    messages = []
    for address, recipient in sorted(distinct.items()):
        subject, body = render_email(template, recipient, **context)
        message = OutboxMessage(recipient=address, subject=subject, body=body, created_at=now, next_attempt_at=now)
        db.session.add(message)
        messages.append(message)
    return messages


def render_email(template: str, recipient: Recipient, **context: Any) -> tuple[str, str]:
    """(subject, body) of `templates/emails/<template>.txt` for `recipient`, in the recipient's language."""
    languages = current_app.config["LANGUAGES"]
    language = recipient.language if recipient.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    values = {
        **context,
        "recipient": recipient,
        "language": language,
        "when": partial(i18n.format_datetime, language=language),
        "name_of": partial(i18n.local_name, language=language),
        "link": external_url,
    }
    with force_locale(language):
        compiled = email_environment().get_template(f"emails/{template}.txt")
        subject = "".join(compiled.blocks["subject"](compiled.new_context(values)))
        body = compiled.render(values)
    return " ".join(subject.split())[:MAX_SUBJECT], body.strip() + "\n"


def email_environment() -> Environment:
    """The app's Jinja environment (its gettext, filters and loader) set for plain text: no HTML escaping, a line
    holding only a `{% tag %}` leaves no blank line behind, and an included file keeps its last line break."""
    environment: Environment | None = current_app.extensions.get("clinic.email_environment")
    if environment is None:
        environment = current_app.jinja_env.overlay(
            autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, cache_size=100
        )
        current_app.extensions["clinic.email_environment"] = environment
    return environment


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for a link in an e-mail, always from the BASE_URL setting, with or without a request: the
    Host header of whoever caused the e-mail never decides where the recipient's link points."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return str(adapter.build(endpoint, values, force_external=True))


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="clinic.opdc.go.th")
    email.set_content(message.body)
    return email


class FileTransport:
    """Writes each message as an .eml file: the embedded default, readable with any mail client."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def send(self, email: EmailMessage, message_id: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{message_id:08d}.eml").write_bytes(bytes(email))


class SmtpTransport:
    """SMTP from MAIL_URL. Over TLS (smtps:// or smtp+starttls://) the server's certificate and host name are
    verified, against the system's CAs or MAIL_CA_FILE for a private CA; every network wait has a timeout."""

    def __init__(self, url: str, ca_file: str | None = None, timeout: float = 30.0) -> None:
        self.parts = urlsplit(url)
        self.ca_file = ca_file
        self.timeout = timeout

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def send(self, email: EmailMessage, message_id: int) -> None:
        parts = self.parts
        host = parts.hostname or "localhost"
        smtp: smtplib.SMTP
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(host, parts.port or 465, timeout=self.timeout, context=self.tls_context())
        else:
            smtp = smtplib.SMTP(host, parts.port or 25, timeout=self.timeout)
        with smtp:
            if parts.scheme == "smtp+starttls":
                smtp.starttls(context=self.tls_context())
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(email)


class Transport(Protocol):
    def send(self, email: EmailMessage, message_id: int) -> None: ...


def transport_for(config: Mapping[str, Any]) -> FileTransport | SmtpTransport:
    if config.get("MAIL_URL"):
        return SmtpTransport(config["MAIL_URL"], config.get("MAIL_CA_FILE"), float(config.get("MAIL_TIMEOUT", 30)))
    return FileTransport(config["MAIL_FOLDER"])


def deliver_due(transport: Transport, sender: str, now: datetime, limit: int = 100) -> tuple[int, int]:
    """Send the messages that are due; a failure is kept for a later try with exponential back-off.
    Returns (sent, failed). The caller commits."""
    due = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = failed = 0
    for message in due:
        message.attempts += 1
        try:
            transport.send(build_email(message, sender), message.id)
        except Exception as error:  # any transport failure is retried later
            failed += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
            else:
                message.next_attempt_at = now + timedelta(minutes=2**message.attempts)
        else:
            sent += 1
            message.status = OutboxStatus.SENT
            message.sent_at = now
    return sent, failed
