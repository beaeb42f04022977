"""The throwaway database each bench runs on: a file in a temporary folder, or a PostgreSQL database of the bench's
own name on the local server (trust auth, user postgres), made fresh and dropped after."""

import psycopg

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def fresh_database(kind: str, folder: str, name: str) -> str:
    """The SQLAlchemy URL of an empty database: SQLite in `folder`, or PostgreSQL database `name` (re)created."""
    if kind == "sqlite":
        return f"sqlite:///{folder}/bench.sqlite3"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(kind: str, name: str) -> None:
    if kind == "postgresql":
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
