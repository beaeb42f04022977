"""The substring index that search reads (Thai is written without spaces between words, so search matches any
substring of three characters or more, not words):

- PostgreSQL: pg_trgm GIN indexes on lower(column) of the searched columns; `lower(column) LIKE '%...%'` uses
  them.
- SQLite: one FTS5 table with the trigram tokenizer (`search_index`), holding one row per request, record revision
  and next step, kept in step with its source rows by triggers (so every writer, the services, `flask org import`,
  a restore or a hand-written UPDATE, keeps it right without knowing of it).

Both are made with the schema (`db.create_all()`, used by the tests) and by migration 3f2349bb5cbd (an installed
database). The FTS table and its shadow tables are not in the models' metadata: `SEARCH_TABLES` names them so that
comparisons of the schema with the models leave them aside."""

from sqlalchemy import DDL, event

from clinic.bookings.models import Booking
from clinic.extensions import db
from clinic.records.models import ActionItem, RecordRevision

SEARCH_TABLE = "search_index"
SEARCH_TABLES = {SEARCH_TABLE, *(f"{SEARCH_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config"))}

# What each kind of row contributes: (kind, table, text expression over NEW/OLD rows' columns). The rowid of an entry
# is the source id times 3 plus the kind's number, so each kind's rows have their own rowids.
KINDS = {
    "request": (0, "bookings", "{row}.reference || ' ' || {row}.request_details", "request_details, reference"),
    "record": (1, "record_revisions", "{row}.issues_raised || ' ' || {row}.guidance", "issues_raised, guidance"),
    "step": (2, "action_items", "{row}.description || ' ' || {row}.progress_note", "description, progress_note"),
}
TRIGRAM_COLUMNS = {
    Booking.__tablename__: ("reference", "request_details"),
    RecordRevision.__tablename__: ("issues_raised", "guidance"),
    ActionItem.__tablename__: ("description", "progress_note"),
}


def postgresql_statements() -> list[str]:
    """pg_trgm GIN indexes on lower(column): search compares `lower(column) LIKE lower(pattern)`, which the index
    serves and which is many times cheaper per row than ILIKE on Thai (multi-byte) text."""
    return ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
        f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_trgm ON {table} USING gin (lower({column}) gin_trgm_ops)"
        for table, columns in TRIGRAM_COLUMNS.items() for column in columns
    ]


def sqlite_statements() -> list[str]:
    """The FTS table, its triggers and its first filling, for SQLite (the migration runs the same)."""
    statements = [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5(body, kind UNINDEXED, object_id UNINDEXED, "
        "tokenize='trigram')"
    ]
    for kind, (number, table, body, columns) in KINDS.items():
        insert = (f"INSERT INTO {SEARCH_TABLE}(rowid, body, kind, object_id) "
                  f"VALUES (NEW.id * 3 + {number}, {body.format(row='NEW')}, '{kind}', NEW.id)")
        delete = f"DELETE FROM {SEARCH_TABLE} WHERE rowid = OLD.id * 3 + {number}"
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {table}_search_insert AFTER INSERT ON {table} BEGIN {insert}; END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_search_update AFTER UPDATE OF {columns} ON {table} "
            f"BEGIN {delete}; {insert}; END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_search_delete AFTER DELETE ON {table} BEGIN {delete}; END",
            f"INSERT INTO {SEARCH_TABLE}(rowid, body, kind, object_id) SELECT id * 3 + {number}, "
            f"{body.format(row=table)}, '{kind}', id FROM {table}",
        ]
    return statements


for _statement in postgresql_statements():
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in sqlite_statements():
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(db.metadata, "before_drop", DDL(f"DROP TABLE IF EXISTS {SEARCH_TABLE}").execute_if(dialect="sqlite"))


def compared_with_the_models(name: str | None, kind: str, dialect: str) -> bool:
    """For Alembic's `include_object`: whether a schema object is one the models describe. The search index (FTS
    tables on SQLite, expression indexes on lower(column) on PostgreSQL) is made by the same statements here and
    in its migration, outside the models."""
    if kind == "table" and name in SEARCH_TABLES:
        return False
    return not (kind == "index" and (name or "").endswith("_trgm"))
