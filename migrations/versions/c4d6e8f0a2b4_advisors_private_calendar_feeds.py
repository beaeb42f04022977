"""advisors' private calendar feeds: the SHA-256 of each feed's random token

Revision ID: c4d6e8f0a2b4
Revises: b3a1c5d7e9f2
Create Date: 2026-11-26 15:49:05

"""
import sqlalchemy as sa
from alembic import op

revision = "c4d6e8f0a2b4"
down_revision = "b3a1c5d7e9f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["advisor_id"], ["users.id"], name=op.f("fk_calendar_feeds_advisor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("advisor_id", name=op.f("uq_calendar_feeds_advisor_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )


def downgrade():
    op.drop_table("calendar_feeds")
