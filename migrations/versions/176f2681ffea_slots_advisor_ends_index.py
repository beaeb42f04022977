"""the advisor's sessions list filters on the slots that have not ended: an index on slots (advisor_id, ends_at)

Revision ID: 176f2681ffea
Revises: dee6146319d7
Create Date: 2026-11-26 17:45:00

"""
from alembic import op

revision = "176f2681ffea"
down_revision = "dee6146319d7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_slots_advisor_ends", "slots", ["advisor_id", "ends_at"])


def downgrade():
    op.drop_index("ix_slots_advisor_ends", table_name="slots")
