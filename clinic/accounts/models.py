import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from clinic.database import EnumString, UTCDateTime, one_of, utcnow
from clinic.extensions import Model
from clinic.organisations.models import Department, Ministry, Topic, advisor_topics

LANGUAGES = ("th", "en")


class Role(StrEnum):
    OFFICER = "officer"  # of one department
    COORDINATOR = "coordinator"  # of a whole ministry
    ADVISOR = "advisor"  # OPDC
    ADMIN = "admin"  # OPDC


DEPARTMENT_ROLES = frozenset({Role.OFFICER, Role.COORDINATOR})
# The password hash of an account that has no password yet (an invitation not yet taken up) starts with this; no
# password matches it. A random tail makes each unusable hash different, so a new invitation voids the links of
# the earlier ones (clinic.accounts.tokens binds a link to the hash).
UNUSABLE_PASSWORD = "!"
OPDC_ROLES = frozenset({Role.ADVISOR, Role.ADMIN})
# The version of the privacy notice (templates/privacy/notice_body.html). Raise it when the notice's text changes:
# everyone is shown the new one at their next sign-in and acknowledges it once.
PRIVACY_NOTICE_VERSION = "2569-1"


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="role_known"),
        CheckConstraint(f"role != '{Role.OFFICER}' OR department_id IS NOT NULL", name="officer_has_department"),
        CheckConstraint(f"role != '{Role.COORDINATOR}' OR ministry_id IS NOT NULL", name="coordinator_has_ministry"),
        CheckConstraint(one_of("language", LANGUAGES), name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(EnumString(Role, 20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    ministry_id: Mapped[int | None] = mapped_column(ForeignKey("ministries.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language of the user's pages after sign-in and of every e-mail sent to them.
    language: Mapped[str] = mapped_column(String(5), default="th", server_default="th")
    # Every signed-in session carries the version it began with; raising it (sign-out, a new password,
    # deactivation, a new role) ends all of the user's sessions at their next request, on every app process.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The notifications the user chose not to get (NotificationKind values, comma-separated), and the one they
    # must choose to get (department_copies) listed in `wanted_notifications`: read with the user, no query more.
    muted_notifications: Mapped[str] = mapped_column(String(200), default="", server_default="")
    wanted_notifications: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The privacy notice (PDPA s.23) the user last acknowledged, and when; None until their first sign-in.
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))
    privacy_notice_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship()
    ministry: Mapped[Ministry | None] = relationship()
    expertise: Mapped[list[Topic]] = relationship(secondary=advisor_topics, order_by=Topic.id)

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def has_password(self) -> bool:
        """False for an invited person who has not yet set a password: they cannot sign in."""
        return not self.password_hash.startswith(UNUSABLE_PASSWORD)

    @property
    def needs_privacy_notice(self) -> bool:
        return self.privacy_notice_version != PRIVACY_NOTICE_VERSION

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def set_unusable_password(self) -> None:
        self.password_hash = UNUSABLE_PASSWORD + secrets.token_urlsafe(24)

    def check_password(self, password: str) -> bool:
        return self.has_password and check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return self.name
