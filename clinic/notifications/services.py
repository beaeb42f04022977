"""E-mail through an outbox: messages are rows written in the transaction that causes them, and a
worker (`flask outbox send`) delivers them afterwards, retrying with back-off."""

import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import select

from clinic.extensions import db
from clinic.notifications.models import OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 8


def queue_email(recipients: Iterable[str], subject: str, body: str, now: datetime) -> list[OutboxMessage]:
    messages = []
    for recipient in sorted(set(recipients)):
        message = OutboxMessage(
            recipient=recipient, subject=subject, body=body, created_at=now, next_attempt_at=now
        )
        db.session.add(message)
        messages.append(message)
    return messages


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
    def __init__(self, url: str) -> None:
        self.parts = urlsplit(url)

    def send(self, email: EmailMessage, message_id: int) -> None:
        parts = self.parts
        cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        with cls(parts.hostname or "localhost", parts.port or (465 if parts.scheme == "smtps" else 25)) as smtp:
            if parts.scheme == "smtp+starttls":
                smtp.starttls()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(email)


def transport_for(config) -> FileTransport | SmtpTransport:
    if config.get("MAIL_URL"):
        return SmtpTransport(config["MAIL_URL"])
    return FileTransport(config["MAIL_FOLDER"])


def deliver_due(transport, sender: str, now: datetime, limit: int = 100) -> tuple[int, int]:
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
