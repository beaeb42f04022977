from datetime import datetime
from typing import TYPE_CHECKING, Any

from clinic.audit.models import AuditEvent
from clinic.extensions import db

if TYPE_CHECKING:
    from clinic.accounts.models import User


def record_event(
    actor: "User | None",
    action: str,
    obj: Any,
    now: datetime,
    department_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; it commits or rolls back with the change."""
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
