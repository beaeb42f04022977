"""History for the page benches: set-based copies of the demo's real rows, shifted into the past.

`grow(connection, copies)` copies every slot with its bookings, attendees, records, revisions, acknowledgements and
action items `copies` more times, each copy moved back by whole weeks (beyond the span the demo covers, so no
advisor's slots overlap and weekdays stay weekdays), with ids offset and references suffixed. One INSERT ... SELECT
per table per copy, on PostgreSQL; the sequences are moved past the new ids at the end. What the pages read (one
department's bookings, an advisor's sessions and weeks, the report) grows with it; upcoming sessions do not.
"""

from sqlalchemy import Date, Table, text
from sqlalchemy.engine import Connection

from clinic.bookings.models import Attendee, Booking
from clinic.database import UTCDateTime
from clinic.records.models import Acknowledgement, ActionItem, ConsultationRecord, RecordRevision
from clinic.scheduling.models import Slot

TABLES: list[Table] = [m.__table__ for m in (Slot, Booking, Attendee, ConsultationRecord, RecordRevision,  # type: ignore[misc]
                                               Acknowledgement, ActionItem)]
COPIED = {t.name for t in TABLES}
OFFSET = 10_000_000  # ids of copy k are the original's + k * OFFSET


def span_weeks(connection: Connection) -> int:
    days = connection.scalar(text("SELECT EXTRACT(DAY FROM max(starts_at) - min(starts_at)) FROM slots")) or 0
    return int(days) // 7 + 2


def column_expression(table: Table, name: str, k: int, weeks: int) -> str:
    column = table.c[name]
    days = 7 * weeks * k
    if name == "id" or any(fk.column.table.name in COPIED and fk.column.name == "id" for fk in column.foreign_keys):
        return f"{name} + {k * OFFSET}"
    if table.name == "slots" and name == "clinic_day_id":
        return "NULL"
    if table.name == "bookings" and name == "reference":
        return f"left(reference, 16) || '-{k}'"
    if table.name == "bookings" and name == "submission_key":
        return "NULL"
    if isinstance(column.type, UTCDateTime):
        return f"{name} - interval '{days} days'"
    if isinstance(column.type, Date):
        return f"{name} - {days}"
    return name


def grow(connection: Connection, first: int, last: int) -> None:
    """Add copies `first`..`last` (1-based) of the original rows (those with ids below OFFSET)."""
    weeks = span_weeks(connection)
    for k in range(first, last + 1):
        for table in TABLES:
            names = [c.name for c in table.columns]
            expressions = ", ".join(column_expression(table, n, k, weeks) for n in names)
            connection.execute(text(f"INSERT INTO {table.name} ({', '.join(names)}) "
                                    f"SELECT {expressions} FROM {table.name} WHERE id < {OFFSET}"))
    for table in TABLES:
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"(SELECT max(id) FROM {table.name} WHERE id < {OFFSET}))"))
    connection.execute(text("ANALYZE"))
