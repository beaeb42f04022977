"""outbox messages carry a worker's claim: who took the message and until when

Revision ID: b3c5d7e9f1a2
Revises: 9e2f4b6c8d10
Create Date: 2026-11-27 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "b3c5d7e9f1a2"
down_revision = "9e2f4b6c8d10"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable columns, added in place on both databases (no table copy on SQLite).
    op.add_column("outbox_messages", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox_messages", sa.Column("claim_token", sa.String(length=32), nullable=True))


def downgrade():
    for column in ("claim_token", "claimed_until"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE outbox_messages DROP COLUMN {column}")
        else:
            op.drop_column("outbox_messages", column)
