"""holiday overrides: an administrator opens a Thai public holiday or closes an extra day, one row per day

Revision ID: 2d308a225e53
Revises: a1ad83855e7a
Create Date: 2026-11-26 17:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "2d308a225e53"
down_revision = "a1ad83855e7a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "holiday_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_holiday_overrides_status_known")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_holiday_overrides_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_overrides")),
        sa.UniqueConstraint("day", name=op.f("uq_holiday_overrides_day")),
    )


def downgrade():
    op.drop_table("holiday_overrides")
