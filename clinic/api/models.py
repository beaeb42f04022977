"""API tokens. A token is a random secret shown once; only its SHA-256 is kept (a 256-bit random secret cannot be
guessed, so a slow password hash would add nothing but latency to every call). Every token acts as a user: its owner
(a personal token) or, for a service token, a service account made for it that has the token's ministry or
department as its scope, so the pages' policies and services apply unchanged."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.accounts.models import User
from clinic.database import EnumString, UTCDateTime, one_of, utcnow
from clinic.extensions import Model
from clinic.organisations.models import Department, Ministry


class TokenKind(StrEnum):
    PERSONAL = "personal"  # a person's own, acting as that person
    SERVICE = "service"  # an administrator's, for a ministry's or department's system


class Scope(StrEnum):
    READ = "read"
    BOOK = "book"
    FOLLOW_UP = "follow-up"


SCOPE_ORDER = (Scope.READ, Scope.BOOK, Scope.FOLLOW_UP)


class ApiToken(Model):
    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(one_of("kind", TokenKind), name="kind_known"),
        CheckConstraint(
            f"kind != '{TokenKind.SERVICE}' OR (ministry_id IS NOT NULL) != (department_id IS NOT NULL)",
            name="service_has_one_scope",
        ),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TokenKind] = mapped_column(EnumString(TokenKind, 10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the secret's first characters, to tell tokens apart
    scopes: Mapped[str] = mapped_column(String(60))  # space-separated Scope values
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # whom the token acts as
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ministry_id: Mapped[int | None] = mapped_column(ForeignKey("ministries.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    ministry: Mapped[Ministry | None] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def scope_set(self) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in self.scopes.split())

    def is_usable(self, now: datetime) -> bool:
        from clinic.i18n import as_utc

        return self.revoked_at is None and as_utc(self.expires_at) > now and self.user.is_active
