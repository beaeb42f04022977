"""Behaviour of the database layer itself."""

import sqlite3

import pytest
from sqlalchemy import text

from clinic.extensions import db


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
