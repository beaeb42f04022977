"""A database of a test's own, for tests that migrate, wipe or restore one: a new SQLite file, or a new PostgreSQL
database (named clinic_backup_...) on the test server, dropped afterwards."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


@contextmanager
def own_database(test_database_url: str, folder: Path) -> Iterator[str]:
    if not test_database_url.startswith("postgresql"):
        yield f"sqlite:///{folder / f'own-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"clinic_backup_{uuid.uuid4().hex[:8]}"
    admin = create_engine(test_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield test_database_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
