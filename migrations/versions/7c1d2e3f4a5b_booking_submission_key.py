"""a booking remembers the submission that made it, so that a form sent twice makes one booking

Revision ID: 7c1d2e3f4a5b
Revises: 53bb23e89dfb
Create Date: 2026-11-26 14:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "7c1d2e3f4a5b"
down_revision = "53bb23e89dfb"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_bookings_submission", ["booked_by_id", "submission_key"])


def downgrade():
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_bookings_submission", type_="unique")
        batch_op.drop_column("submission_key")
