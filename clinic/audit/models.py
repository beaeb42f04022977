from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, utcnow
from clinic.extensions import Model

if TYPE_CHECKING:
    from clinic.accounts.models import User
    from clinic.organisations.models import Department

# The object of an event that concerns no row: a request refused (403), its endpoint and path in the details.
REFUSED_REQUEST = "request"


class AuditEvent(Model):
    """One state change or access worth knowing of: who did what to which object, written in the transaction of
    the change. `object_type` is the object's table (or REFUSED_REQUEST); `object_id` is None when no row is
    known (a sign-in tried with an e-mail that has no account, a refused request)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        # The audit log pages newest first by (occurred_at, id), for everyone or for one person.
        Index("ix_audit_events_occurred_at_id", "occurred_at", "id"),
        Index("ix_audit_events_actor", "actor_id", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped["User | None"] = relationship("User")
    department: Mapped["Department | None"] = relationship("Department")
