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
