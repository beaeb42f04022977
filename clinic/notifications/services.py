"""E-mail through an outbox: messages are rows written in the transaction that causes them, and a
worker (`flask outbox send`) delivers them afterwards, retrying with back-off.

Each e-mail is a template, `templates/emails/<name>.txt`, rendered once per recipient in the recipient's language
(see `notify`)."""

import hashlib
import hmac
import re
import smtplib
import ssl
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import Environment
from sqlalchemy import ColumnElement, and_, delete, or_, select, update

from clinic import i18n
from clinic.audit.services import record_event
from clinic.errors import Conflict
from clinic.extensions import db
from clinic.notifications.models import NotificationKind, OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from clinic.accounts.models import User

MAX_ATTEMPTS = 8
MAX_SUBJECT = 300  # OutboxMessage.subject


class Recipient(Protocol):
    """Whom an e-mail goes to: a `User` (clinic.accounts.models) fits."""

    email: str
    language: str
    muted_notifications: str


# The kind of each e-mail a person may choose not to get. A template not listed here (an invitation, a password
# reset or change) always goes out.
TEMPLATE_KINDS: dict[str, NotificationKind] = {
    "booking_created": NotificationKind.BOOKINGS,
    "booking_confirmed": NotificationKind.BOOKINGS,
    "booking_declined": NotificationKind.BOOKINGS,
    "booking_cancelled": NotificationKind.BOOKINGS,
    "booking_expired": NotificationKind.BOOKINGS,
    "booking_rescheduled": NotificationKind.BOOKINGS,
    "waitlist_offer": NotificationKind.BOOKINGS,
    "session_reminder": NotificationKind.REMINDERS,
    "record_published": NotificationKind.RECORDS,
    "action_item_due": NotificationKind.FOLLOW_UP,
    "action_item_overdue": NotificationKind.FOLLOW_UP,
    "follow_up_invitation": NotificationKind.FOLLOW_UP,
}


def kinds_in(setting: str | None) -> set[NotificationKind]:
    """The kinds named in a comma-separated setting (unknown names, from an older version, are ignored)."""
    known = {kind.value for kind in NotificationKind}
    return {NotificationKind(name) for name in (setting or "").split(",") if name in known}


def wants(recipient: Recipient, template: str) -> bool:
    kind = TEMPLATE_KINDS.get(template)
    return kind is None or kind not in kinds_in(getattr(recipient, "muted_notifications", ""))


CalendarFor = Callable[[Recipient], bytes | None]


def notify(recipients: Iterable[Recipient | None], template: str, now: datetime, *,
           calendar: CalendarFor | None = None, key: str | None = None, **context: Any) -> list[OutboxMessage]:
    """Write one outbox message per distinct recipient who wants this kind of e-mail (see TEMPLATE_KINDS),
    rendered from `templates/emails/<template>.txt` in that recipient's language, into the current transaction
    (it commits or rolls back with the change that caused it).

    `calendar`, given the recipient, returns the iCalendar invitation sent with the e-mail (or None). With a `key`,
    the message is queued once per recipient however often this is called (a reminder): a recipient whose message
    under that key exists already is skipped, and the unique key guards a race of two callers.

    The template convention: `{% block subject %}` holds the subject (one line; whitespace is folded), and the rest
    of the template, usually `{% extends "emails/_layout.txt" %}` with a `{% block body %}`, renders the plain-text
    body; the HTML part is laid out from it (`emails/_layout.html`) when the e-mail is sent. Messages are Thai
    msgids in `_()`, so the one catalogue (clinic/translations) carries both languages.
    Besides `context`, a template sees `recipient`, `language` ('th' or 'en') and three helpers bound to that
    language: `when(datetime)` (Thai dates in the Buddhist Era, Bangkok time), `day(date)`, `name_of(department_or_topic)` (the
    English name in English when there is one) and `link(endpoint, **values)` (an absolute URL from BASE_URL).
    Works under an application context alone: no request is needed."""
    distinct = {
        r.email.strip().lower(): r
        for r in recipients
        if r is not None and r.email and not undeliverable(r.email) and wants(r, template)
    }
    keys = {address: f"{key}|{address}"[:200] for address in distinct} if key else {}
    if keys:
        queued = set(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys.values()))))
        distinct = {address: r for address, r in distinct.items() if keys[address] not in queued}
    messages = []
    for address, recipient in sorted(distinct.items()):
        subject, body, language = render_email(template, recipient, **context)
        with force_locale(language):
            invitation = calendar(recipient) if calendar else None
        message = OutboxMessage(
            recipient=address, subject=subject, body=body, created_at=now, next_attempt_at=now, language=language,
            calendar=invitation.decode() if invitation else None, key=keys.get(address),
        )
        db.session.add(message)
        messages.append(message)
    return messages


def withdraw_unsent(key: str) -> int:
    """Delete the messages queued under `key` (for every recipient) that no worker has sent or taken yet: the
    reminder of a session that was then cancelled. Returns how many."""
    result = db.session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.key.startswith(f"{key}|", autoescape=True),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.claimed_until.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def undeliverable(address: str) -> bool:
    """An address under .invalid (RFC 2606), such as an API service account's: no e-mail is written for it."""
    return address.strip().lower().rstrip(".").endswith(".invalid")


def render_email(template: str, recipient: Recipient, **context: Any) -> tuple[str, str, str]:
    """(subject, body, language) of `templates/emails/<template>.txt` for `recipient`, in the recipient's
    language."""
    languages = current_app.config["LANGUAGES"]
    language = recipient.language if recipient.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    values = {
        **context,
        "recipient": recipient,
        "language": language,
        "when": partial(i18n.format_datetime, language=language),
        "day": partial(i18n.format_date, language=language),
        "name_of": partial(i18n.local_name, language=language),
        "link": external_url,
    }
    with force_locale(language):
        compiled = email_environment().get_template(f"emails/{template}.txt")
        subject = "".join(compiled.blocks["subject"](compiled.new_context(values)))
        body = compiled.render(values)
    return " ".join(subject.split())[:MAX_SUBJECT], body.strip() + "\n", language


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


class Mail(Protocol):
    """What an e-mail is built from: an `OutboxMessage`, or the `ClaimedMessage` a worker took."""

    @property
    def id(self) -> int: ...
    @property
    def recipient(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def language(self) -> str: ...
    @property
    def calendar(self) -> str | None: ...


def message_id_for(message: Mail, secret: str, domain: str) -> str:
    """The Message-ID of an outbox message: the same on every attempt (a mail client drops a second copy it may
    receive), different for every row and every installation (the row id, its creation time and an HMAC under the
    installation's SECRET_KEY; a test system and production never collide, even with the same row ids)."""
    stamp = message.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")
    digest = hmac.new(secret.encode(), f"outbox-message-id|{message.id}|{stamp}".encode(), hashlib.sha256)
    return f"<outbox.{message.id}.{digest.hexdigest()[:20]}@{domain}>"


def message_id_domain(config: Mapping[str, Any]) -> str:
    """MAIL_MESSAGE_ID_DOMAIN, else the domain of MAIL_FROM."""
    configured = config.get("MAIL_MESSAGE_ID_DOMAIN")
    if configured:
        return str(configured)
    _name, address = parseaddr(str(config.get("MAIL_FROM") or ""))
    return address.rpartition("@")[2] or "clinic.opdc.go.th"


def build_email(message: Mail, sender: str) -> EmailMessage:
    """The e-mail of an outbox message (under an application context: the Message-ID needs its settings)."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message_id_for(
        message, current_app.config["SECRET_KEY"], message_id_domain(current_app.config)
    )
    email.set_content(message.body)
    email.add_alternative(html_body(message), subtype="html")
    if message.calendar:
        # An invitation in the way Outlook, Gmail and Thunderbird offer to add it: a text/calendar part with the
        # iTIP method (RFC 6047), as an attachment too for clients that show only attachments.
        method = "CANCEL" if "METHOD:CANCEL" in message.calendar else "REQUEST"
        email.add_attachment(message.calendar.encode(), maintype="text", subtype="calendar",
                             filename="invite.ics", params={"method": method, "charset": "utf-8"})
    return email


LINK = re.compile(r"https?://[^\s<>\"]+")


def html_body(message: Mail) -> str:
    """The HTML part: the plain-text body laid out by `emails/_layout.html`, paragraphs kept and links made
    clickable (everything escaped; nothing of the text is taken as markup)."""
    paragraphs = [[pieces_of(line) for line in block.split("\n")] for block in message.body.strip().split("\n\n")]
    return current_app.jinja_env.get_template("emails/_layout.html").render(
        subject=message.subject, paragraphs=paragraphs, language=message.language
    )


def pieces_of(line: str) -> list[tuple[str, bool]]:
    """A line as (text, is_link) pieces."""
    pieces, start = [], 0
    for found in LINK.finditer(line):
        if found.start() > start:
            pieces.append((line[start:found.start()], False))
        pieces.append((found.group(), True))
        start = found.end()
    if start < len(line):
        pieces.append((line[start:], False))
    return pieces


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


@dataclass(frozen=True)
class ClaimedMessage:
    """A message a worker has claimed: plain values read in the claim's transaction, so sending it touches no
    database object (and on SQLite opens no transaction behind the worker's back)."""

    id: int
    recipient: str
    subject: str
    body: str
    created_at: datetime
    language: str
    calendar: str | None
    attempts: int  # this attempt included
    token: str
    claimed_until: datetime


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after the n-th failed attempt: 2, 4, 8 ... 128 minutes."""
    return timedelta(minutes=2 ** min(attempts, 10))


def due_condition(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )


def claim_due(now: datetime, limit: int, lease: timedelta) -> list[ClaimedMessage]:
    """Claim up to `limit` due messages in one short transaction of its own, and commit it.

    On PostgreSQL the due rows are locked with `FOR UPDATE SKIP LOCKED`, so two workers claiming at once take
    different messages; on SQLite `BEGIN IMMEDIATE` makes claims take turns. A claim lasts `lease`: a message
    whose claim lapses without an outcome (the worker died between sending and recording) is due again.
    A message that reached MAX_ATTEMPTS that way is given up here, as failed."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            due_condition(now),
            OutboxMessage.attempts >= MAX_ATTEMPTS,
            OutboxMessage.claimed_until.is_not(None),
        )
        .values(status=OutboxStatus.FAILED, claimed_until=None, claim_token=None,
                last_error=ABANDONED + OutboxMessage.last_error),
        execution_options={"synchronize_session": False},
    )
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(due_condition(now), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claims: list[ClaimedMessage] = []
    if ids:
        token, until = uuid.uuid4().hex, now + lease
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(claimed_until=until, claim_token=token, attempts=OutboxMessage.attempts + 1),
            execution_options={"synchronize_session": False},
        )
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body,
                   OutboxMessage.created_at, OutboxMessage.language, OutboxMessage.calendar,
                   OutboxMessage.attempts)
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.id)
        ).all()
        claims = [ClaimedMessage(*row, token=token, claimed_until=until) for row in rows]
    db.session.commit()
    return claims


ABANDONED = "ส่งไม่สำเร็จ: ผู้ส่งหยุดทำงานระหว่างการส่งครั้งสุดท้าย / the worker stopped during the last attempt. "


def record_sent(claim: ClaimedMessage, now: datetime) -> bool:
    """Mark a claimed message sent, in a short transaction of its own. False when the claim had lapsed and
    another worker holds the message now (it may send it again: the one case of a duplicate)."""
    return finish_claim(claim, status=OutboxStatus.SENT, sent_at=now)


def record_failure(claim: ClaimedMessage, error: BaseException, now: datetime) -> bool:
    """Keep a failed message for a later attempt with exponential back-off, or give it up after MAX_ATTEMPTS,
    in a short transaction of its own. False when the claim had lapsed (see `record_sent`)."""
    given_up = claim.attempts >= MAX_ATTEMPTS
    return finish_claim(
        claim,
        status=OutboxStatus.FAILED if given_up else OutboxStatus.PENDING,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=now + retry_delay(claim.attempts),
    )


def finish_claim(claim: ClaimedMessage, **values: Any) -> bool:
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == claim.id, OutboxMessage.claim_token == claim.token)
        .values(claimed_until=None, claim_token=None, **values),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(claims: Iterable[ClaimedMessage]) -> None:
    """Give back claimed messages that were not attempted (the worker is stopping): due again at once."""
    for claim in claims:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == claim.id, OutboxMessage.claim_token == claim.token)
            .values(claimed_until=None, claim_token=None, attempts=OutboxMessage.attempts - 1),
            execution_options={"synchronize_session": False},
        )
    db.session.commit()


def deliver_due(transport: Transport, sender: str, now: datetime | Callable[[], datetime],
                limit: int = 100) -> tuple[int, int]:
    """Deliver every message due at `now` (a time, or a clock), batch after batch, each claimed, sent outside any
    transaction and recorded at once; returns (sent, failed). It commits its own short transactions: call it
    with no transaction open. The worker (`clinic.notifications.worker`) adds stopping on a signal and riding
    out database outages."""
    from clinic.notifications.worker import OutboxWorker

    clock = now if callable(now) else (lambda: now)
    worker = OutboxWorker(transport, sender, clock=clock, batch=limit)
    return worker.deliver_all()


def requeue(actor: "User | None", message: OutboxMessage, now: datetime) -> None:
    """Make a failed message (or one waiting for its next attempt) due at once, its attempts counted afresh, with
    an audit event of who did it. A message already sent, or being sent by a worker right now, is refused."""
    previous_status, previous_attempts = message.status, message.attempts
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status != OutboxStatus.SENT,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, claimed_until=None, claim_token=None),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(message)
    if not result.rowcount:  # type: ignore[attr-defined]
        if message.status == OutboxStatus.SENT:
            raise Conflict(_l("อีเมลฉบับนี้ส่งไปแล้ว"))
        raise Conflict(_l("อีเมลฉบับนี้กำลังถูกส่งอยู่ โปรดลองใหม่ภายหลัง"))
    record_event(actor, "mail.requeued", message, now, recipient=message.recipient,
                 previous_status=str(previous_status), previous_attempts=previous_attempts)


def requeue_failed(actor: "User | None", now: datetime) -> list[int]:
    """Requeue every failed message (see `requeue`); returns their ids."""
    failed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED).order_by(OutboxMessage.id)
    ).all()
    for message in failed:
        requeue(actor, message, now)
    return [message.id for message in failed]
