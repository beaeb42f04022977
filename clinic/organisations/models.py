from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime
from clinic.extensions import Model, db

CODE_LENGTH = 40  # a stable key chosen by OPDC (see clinic/organisations/data/thai_government.csv); never shown as a name


class Ministry(Model):
    __tablename__ = "ministries"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True, index=True)  # a unique index: in place on SQLite too
    name_th: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    abbreviation: Mapped[str] = mapped_column(String(30))

    departments: Mapped[list["Department"]] = relationship(
        back_populates="ministry", order_by="Department.id"
    )

    def __str__(self) -> str:
        return self.name_th


class Department(Model):
    """A department (กรม) or office under a ministry. Abbreviations repeat across ministries; the code does not, and
    it stays when the department is renamed or moves to another ministry."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("ministry_id", "name_th"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True, index=True)  # a unique index: in place on SQLite too
    ministry_id: Mapped[int] = mapped_column(ForeignKey("ministries.id"), index=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    abbreviation: Mapped[str] = mapped_column(String(30))
    # A department merged into another in a reorganisation is retired, never deleted: its history stays readable.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    ministry: Mapped[Ministry] = relationship(back_populates="departments")
    merged_into: Mapped["Department | None"] = relationship(remote_side=[id])
    former_names: Mapped[list["FormerDepartmentName"]] = relationship(
        back_populates="department", order_by="FormerDepartmentName.until.desc()"
    )

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __str__(self) -> str:
        return self.name_th


class FormerDepartmentName(Model):
    """A name a department had until a rename (Thai government reorganisations rename departments; the record,
    its bookings and its people stay the same)."""

    __tablename__ = "former_department_names"
    __table_args__ = (CheckConstraint("name_th <> ''", name="name_th_given"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    abbreviation: Mapped[str] = mapped_column(String(30))
    until: Mapped[datetime] = mapped_column(UTCDateTime)

    department: Mapped[Department] = relationship(back_populates="former_names")


advisor_topics = Table(
    "advisor_topics",
    db.metadata,
    Column("advisor_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(Model):
    """A subject OPDC advises on (การปรับปรุงโครงสร้าง..., พ.ร.บ.การปฏิบัติราชการทางอิเล็กทรอนิกส์ ...)."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True, index=True)  # a unique index: in place on SQLite too
    name_th: Mapped[str] = mapped_column(String(300), unique=True)
    name_en: Mapped[str] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name_th
