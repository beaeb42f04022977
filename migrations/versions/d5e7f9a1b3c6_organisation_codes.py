"""ministries, departments and topics carry a stable code: `flask org import` matches rows by it, so a renamed
department keeps its row (and its bookings)

Revision ID: d5e7f9a1b3c6
Revises: c4d6e8f0a2b4
Create Date: 2026-12-02 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "d5e7f9a1b3c6"
down_revision = "c4d6e8f0a2b4"
branch_labels = None
depends_on = None

# Rows that exist before codes get a placeholder (M12, D34, T5: the prefix and the row id, unique and never one of
# the built-in codes, which all hold a letter after the first). `flask org import` adopts such a row by its Thai
# name when the file gives that name a code the database does not hold yet, so the built-in codes take over.
TABLES = (("ministries", "M"), ("departments", "D"), ("topics", "T"))


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, prefix in TABLES:
        # In place on both databases: batch mode would copy the table on SQLite, and dropping `departments`
        # there cascades into users and bookings.
        if sqlite:  # SQLite adds a NOT NULL column only with a default; every row is given its code next
            op.add_column(table, sa.Column("code", sa.String(40), nullable=False, server_default=""))
        else:
            op.add_column(table, sa.Column("code", sa.String(40), nullable=True))
        op.execute(f"UPDATE {table} SET code = '{prefix}' || CAST(id AS VARCHAR(20))")
        if not sqlite:
            op.alter_column(table, "code", nullable=False)
        op.create_index(f"ix_{table}_code", table, ["code"], unique=True)  # SQLite adds no constraint in place


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, _prefix in TABLES:
        op.drop_index(f"ix_{table}_code", table_name=table)
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN code")
        else:
            op.drop_column(table, "code")
