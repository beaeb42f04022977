"""the audit log pages newest first, for everyone or for one person: indexes on (occurred_at, id) and
(actor_id, occurred_at, id), the first replacing the index on occurred_at alone

Revision ID: f7a9b1c3d5e8
Revises: e6f8a0b2c4d7
Create Date: 2026-11-27 10:00:00

"""
from alembic import op

revision = "f7a9b1c3d5e8"
down_revision = "e6f8a0b2c4d7"
branch_labels = None
depends_on = None


def upgrade():
    # In place on both databases (indexes only; no table is copied).
    op.create_index("ix_audit_events_occurred_at_id", "audit_events", ["occurred_at", "id"])
    op.create_index("ix_audit_events_actor", "audit_events", ["actor_id", "occurred_at", "id"])
    op.drop_index("ix_audit_events_occurred_at", table_name="audit_events")


def downgrade():
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])
    op.drop_index("ix_audit_events_actor", table_name="audit_events")
    op.drop_index("ix_audit_events_occurred_at_id", table_name="audit_events")
