"""Small tools shared by tests."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from clinic.extensions import db


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# Audit events of access rather than change: signing in, refusals, OPDC reading, downloads.
ACCESS_ACTIONS = ("user.signed_in", "user.sign_in_failed", "user.sign_in_throttled", "access.refused",
                  "booking.viewed", "case_file.viewed", "document.downloaded", "user.signed_in_sso",
                  "user.sso_refused", "user.data_exported")


def change_events() -> int:
    """How many audit events record a change (not an access)."""
    from sqlalchemy import func, select

    from clinic.audit.models import AuditEvent

    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.not_in(ACCESS_ACTIONS))) or 0
