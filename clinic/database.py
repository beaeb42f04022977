"""Engine set-up that the database needs: SQLite pragmas and serialised writers."""

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.types import TypeDecorator

READ_ONLY = "clinic_read_only"
WRITES = ("INSERT", "UPDATE", "DELETE")


class ReadOnlyTransactionError(RuntimeError):
    pass


def begin_read_only(session: Session | scoped_session) -> None:
    """Start the session's next transaction as one that only reads (a long export). On SQLite it then takes
    no write lock, so bookings go on while it runs; call it right after a commit, before any query."""
    session.connection(execution_options={READ_ONLY: True})


def configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, a busy timeout, and `BEGIN IMMEDIATE` so that concurrent writers queue
    instead of failing with "database is locked" when a read transaction tries to write."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database and engine.url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def refuse_writes_in_read_only(connection, _cursor, statement, *_args) -> None:
        # A write in a deferred transaction could fail under load with "database is locked"; fail
        # every time instead, so that a test finds the view that needs `writes_on_get`.
        if connection.get_execution_options().get(READ_ONLY) and statement.lstrip()[:6].upper() in WRITES:
            raise ReadOnlyTransactionError(f"write in a read-only transaction: {statement[:60]}")

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend (SQLite keeps no zone; PostgreSQL gets timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class EnumString(TypeDecorator):
    """A `StrEnum` kept as its value in a VARCHAR: the model attribute is the enum member, the database holds
    plain text that its CHECK constraint (`one_of`) knows."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)


def one_of(column: str, values: Iterable[str]) -> str:
    """SQL that holds `column` to `values`, for a CHECK constraint or a partial index:
    `status IN ('pending', 'confirmed')`. The values come from our own enums, never from input."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"
