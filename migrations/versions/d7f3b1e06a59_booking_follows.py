"""a session that follows up an earlier one of the same department: bookings.follows_id

Revision ID: d7f3b1e06a59
Revises: c5e2a9d84f17
Create Date: 2026-11-26 18:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "d7f3b1e06a59"
down_revision = "c5e2a9d84f17"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # In place: SQLite adds a column with an inline REFERENCES clause without copying the table.
        op.execute("ALTER TABLE bookings ADD COLUMN follows_id INTEGER"
                   " CONSTRAINT fk_bookings_follows_id_bookings REFERENCES bookings (id)")
    else:
        op.add_column("bookings", sa.Column("follows_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_bookings_follows_id_bookings"), "bookings", "bookings", ["follows_id"], ["id"])
    op.create_index(op.f("ix_bookings_follows_id"), "bookings", ["follows_id"])


def downgrade():
    op.drop_index(op.f("ix_bookings_follows_id"), table_name="bookings")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE bookings DROP COLUMN follows_id")
    else:
        op.drop_constraint(op.f("fk_bookings_follows_id_bookings"), "bookings", type_="foreignkey")
        op.drop_column("bookings", "follows_id")
