"""Behaviour of the database layer itself."""

import sqlite3

import pytest
from sqlalchemy import text

from clinic.extensions import db
from tests.factories import NOW


def test_a_streaming_export_leaves_sqlite_writers_free(app, login, admin, booking):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single writer lock; PostgreSQL readers never block writers")
    client = login(admin)
    response = client.get("/admin/reports/sessions.csv", buffered=False)
    stream = iter(response.response)
    received = b""
    while booking.reference.encode() not in received:
        received += next(stream)  # the export's query has run: its read transaction is open now

    writer = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # fails at once with "database is locked" if the export held the lock
        writer.execute("ROLLBACK")
    finally:
        writer.close()
        for _chunk in stream:
            pass
        response.close()


def test_sqlite_runs_with_foreign_keys_and_wal(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_pages_read_while_a_booking_holds_the_sqlite_write_lock(app, login, officer, booking):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single writer lock; PostgreSQL readers never block writers")
    client = login(officer)
    reference = booking.reference
    db.session.rollback()  # the test's own session must not be the writer
    writer = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a booking in progress
        response = client.get("/casefile")
        assert response.status_code == 200
        assert reference in response.get_data(as_text=True)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.own_app
def test_a_get_view_that_writes_must_say_so(app, login, officer):
    from clinic.audit.services import record_event
    from clinic.database import ReadOnlyTransactionError
    from clinic.web import writes_on_get

    def unmarked():
        record_event(officer, "test.written", officer, NOW)
        db.session.flush()
        return "written"

    app.add_url_rule("/test/unmarked", view_func=unmarked)
    app.add_url_rule("/test/marked", endpoint="marked", view_func=writes_on_get(lambda: unmarked()))
    client = login(officer)
    db.session.rollback()
    if db.engine.dialect.name == "sqlite":
        with pytest.raises(ReadOnlyTransactionError):
            client.get("/test/unmarked")
        db.session.rollback()
    assert client.get("/test/marked").status_code == 200
