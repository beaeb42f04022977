"""notifications people choose, reminders queued once, invitations: users.muted_notifications and
wanted_notifications; outbox_messages.language, calendar and a unique key

Revision ID: a8c41e7d93b2
Revises: f7a9b1c3d5e8
Create Date: 2026-11-26 17:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a8c41e7d93b2"
down_revision = "f7a9b1c3d5e8"
branch_labels = None
depends_on = None


def upgrade():
    # Added in place on both databases: new nullable or defaulted columns and an index; no table is copied.
    op.add_column("users", sa.Column("muted_notifications", sa.String(200), nullable=False, server_default=""))
    op.add_column("users", sa.Column("wanted_notifications", sa.String(200), nullable=False, server_default=""))
    op.add_column("outbox_messages", sa.Column("language", sa.String(5), nullable=False, server_default="th"))
    op.add_column("outbox_messages", sa.Column("calendar", sa.Text(), nullable=True))
    op.add_column("outbox_messages", sa.Column("key", sa.String(200), nullable=True))
    op.create_index("uq_outbox_messages_key", "outbox_messages", ["key"], unique=True)


def downgrade():
    op.drop_index("uq_outbox_messages_key", table_name="outbox_messages")
    columns = [("outbox_messages", "key"), ("outbox_messages", "calendar"), ("outbox_messages", "language"),
               ("users", "wanted_notifications"), ("users", "muted_notifications")]
    for table, column in columns:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # in place (SQLite 3.35+), no copy
        else:
            op.drop_column(table, column)
