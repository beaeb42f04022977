"""search by substring: pg_trgm GIN indexes on PostgreSQL; on SQLite an FTS5 table with the trigram tokenizer, kept
in step by triggers, filled from the rows already there (see clinic/records/search_index.py)

Revision ID: 3f2349bb5cbd
Revises: e8c1fed37431
Create Date: 2026-11-26 17:40:00

"""
from alembic import op

revision = "3f2349bb5cbd"
down_revision = "e8c1fed37431"
branch_labels = None
depends_on = None

# As in clinic/records/search_index.py, written out so that this migration stays what it was when the code moves on.
TRIGRAM_COLUMNS = {"bookings": ("reference", "request_details"), "record_revisions": ("issues_raised", "guidance"),
                   "action_items": ("description", "progress_note")}
KINDS = {
    "request": (0, "bookings", "{row}.reference || ' ' || {row}.request_details", "request_details, reference"),
    "record": (1, "record_revisions", "{row}.issues_raised || ' ' || {row}.guidance", "issues_raised, guidance"),
    "step": (2, "action_items", "{row}.description || ' ' || {row}.progress_note", "description, progress_note"),
}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, columns in TRIGRAM_COLUMNS.items():
            for column in columns:  # lower(): search compares lower(column) LIKE lower(pattern)
                op.execute(f"CREATE INDEX ix_{table}_{column}_trgm ON {table} USING gin (lower({column}) gin_trgm_ops)")
        return
    op.execute("CREATE VIRTUAL TABLE search_index USING fts5(body, kind UNINDEXED, object_id UNINDEXED, "
               "tokenize='trigram')")
    for kind, (number, table, body, columns) in KINDS.items():
        insert = (f"INSERT INTO search_index(rowid, body, kind, object_id) "
                  f"VALUES (NEW.id * 3 + {number}, {body.format(row='NEW')}, '{kind}', NEW.id)")
        delete = f"DELETE FROM search_index WHERE rowid = OLD.id * 3 + {number}"
        op.execute(f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN {insert}; END")
        op.execute(f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF {columns} ON {table} "
                   f"BEGIN {delete}; {insert}; END")
        op.execute(f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN {delete}; END")
        op.execute(f"INSERT INTO search_index(rowid, body, kind, object_id) SELECT id * 3 + {number}, "
                   f"{body.format(row=table)}, '{kind}', id FROM {table}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in TRIGRAM_COLUMNS.items():
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
        return  # the extension stays: other databases objects may use it
    for table in ("bookings", "record_revisions", "action_items"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{event}")
    op.execute("DROP TABLE IF EXISTS search_index")
