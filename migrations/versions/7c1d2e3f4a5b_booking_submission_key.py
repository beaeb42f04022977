"""a booking remembers the submission that made it, so that a form sent twice makes one booking

The column is added in place and the pair made unique by an index, on both databases: batch mode's copy of
`bookings` on SQLite would drop the table while foreign keys are on, and the drop would cascade into its
attendees and documents.

Revision ID: 7c1d2e3f4a5b
Revises: 704908dc1a38
Create Date: 2026-11-26 14:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "7c1d2e3f4a5b"
down_revision = "704908dc1a38"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("bookings", sa.Column("submission_key", sa.String(length=64), nullable=True))
    op.create_index("uq_bookings_submission", "bookings", ["booked_by_id", "submission_key"], unique=True)


def downgrade():
    op.drop_index("uq_bookings_submission", table_name="bookings")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE bookings DROP COLUMN submission_key")  # SQLite 3.35 or newer
        return
    op.drop_column("bookings", "submission_key")
