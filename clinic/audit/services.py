from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from clinic.audit.models import REFUSED_REQUEST, AuditEvent
from clinic.extensions import db

if TYPE_CHECKING:
    from clinic.accounts.models import User

MAX_DETAIL_LENGTH = 500  # what someone typed (an e-mail tried, a path) is kept, but not without bound


@dataclass(frozen=True)
class ObjectRef:
    """An event's object named by its table and id, where no row is at hand: `ObjectRef("users", None)` is an
    account that was asked for but not identified (a sign-in with an e-mail that has no account)."""

    table: str
    id: int | None = None

    @property
    def __tablename__(self) -> str:
        return self.table


def record_event(
    actor: "User | None",
    action: str,
    obj: Any,
    now: datetime,
    department_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; it commits or rolls back with the change.
    `obj` is a model instance (its table and id are kept) or an `ObjectRef`."""
    if not isinstance(obj, ObjectRef):
        db.session.flush()  # the object needs its id
    event = AuditEvent(
        occurred_at=now,
        actor_id=actor.id if actor else None,
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        department_id=department_id,
        details=details,
    )
    db.session.add(event)
    return event


def clip(value: str | None) -> str:
    return (value or "")[:MAX_DETAIL_LENGTH]


def record_sign_in_failed(user: "User | None", email: str, now: datetime) -> AuditEvent:
    """A sign-in refused: the e-mail tried (never the password), and the account when the e-mail has one."""
    obj = user if user is not None else ObjectRef("users")
    return record_event(None, "user.sign_in_failed", obj, now, email=clip(email.strip().lower()))


def record_sign_in_throttled(email: str, now: datetime) -> AuditEvent:
    """Too many failed sign-ins for this address and e-mail: the rate limiter refused one more (429)."""
    return record_event(None, "user.sign_in_throttled", ObjectRef("users"), now, email=clip(email.strip().lower()))


def record_refusal(actor_id: int | None, endpoint: str | None, method: str, path: str, now: datetime) -> AuditEvent:
    """A request refused for its person's role or scope (403), wherever it was refused."""
    event = AuditEvent(
        occurred_at=now, actor_id=actor_id, action="access.refused", object_type=REFUSED_REQUEST, object_id=None,
        details={"endpoint": endpoint or "", "method": method, "path": clip(path)},
    )
    db.session.add(event)
    return event


def record_read(actor_id: int, action: str, obj: ObjectRef, now: datetime, department_id: int | None,
                **details: Any) -> AuditEvent:
    """A read worth knowing of, by ids alone (no row is loaded for it)."""
    event = AuditEvent(occurred_at=now, actor_id=actor_id, action=action, object_type=obj.table, object_id=obj.id,
                       department_id=department_id, details=details)
    db.session.add(event)
    return event
