"""users carry a session version: raising it ends every session of the user

Revision ID: 9e2f4b6c8d10
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-26 14:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "9e2f4b6c8d10"
down_revision = "7c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade():
    # In place on both databases: batch mode would copy `users` on SQLite and cascade into advisor_topics.
    op.add_column("users", sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN session_version")
        return
    op.drop_column("users", "session_version")
