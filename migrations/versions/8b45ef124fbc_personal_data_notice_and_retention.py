"""personal data (PDPA): users acknowledge the privacy notice (which version, when); bookings, documents and
e-mails record when retention anonymised them

Revision ID: 8b45ef124fbc
Revises: 176f2681ffea
Create Date: 2026-11-26 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "8b45ef124fbc"
down_revision = "176f2681ffea"
branch_labels = None
depends_on = None

ANONYMISED = ("bookings", "documents", "outbox_messages")


def upgrade():
    # In place on both databases: batch mode would copy `users` on SQLite and cascade into advisor_topics.
    op.add_column("users", sa.Column("privacy_notice_version", sa.String(length=20), nullable=True))
    op.add_column("users", sa.Column("privacy_notice_acknowledged_at", sa.DateTime(timezone=True), nullable=True))
    for table in ANONYMISED:
        op.add_column(table, sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    columns = [(table, "anonymised_at") for table in ANONYMISED]
    columns += [("users", "privacy_notice_acknowledged_at"), ("users", "privacy_notice_version")]
    for table, column in columns:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
