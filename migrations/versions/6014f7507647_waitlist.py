"""waitlist: departments waiting for a seat of a full slot, offered freed seats in order

One live (waiting or offered) entry per department and slot: a partial unique index.

Revision ID: 6014f7507647
Revises: 802ec756b8ce
Create Date: 2026-11-26 17:20:44

"""
import sqlalchemy as sa
from alembic import op

revision = "6014f7507647"
down_revision = "802ec756b8ce"
branch_labels = None
depends_on = None

LIVE = "status IN ('waiting', 'offered')"


def upgrade():
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("joined_by_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("request_details", sa.Text(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status <> 'offered' OR (offered_at IS NOT NULL AND offer_expires_at IS NOT NULL)",
                           name=op.f("ck_waitlist_entries_offer_has_times")),
        sa.CheckConstraint("status IN ('waiting', 'offered', 'claimed', 'left', 'lapsed', 'closed')",
                           name=op.f("ck_waitlist_entries_status_known")),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_waitlist_entries_booking_id_bookings")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_waitlist_entries_department_id_departments")),
        sa.ForeignKeyConstraint(["joined_by_id"], ["users.id"], name=op.f("fk_waitlist_entries_joined_by_id_users")),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_waitlist_entries_slot_id_slots")),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_waitlist_entries_topic_id_topics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index("ix_waitlist_entries_department", "waitlist_entries", ["department_id", "joined_at"])
    op.create_index("ix_waitlist_entries_slot_line", "waitlist_entries", ["slot_id", "status", "joined_at", "id"])
    op.create_index("uq_waitlist_entries_live_department", "waitlist_entries", ["slot_id", "department_id"],
                    unique=True, sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade():
    op.drop_index("uq_waitlist_entries_live_department", table_name="waitlist_entries")
    op.drop_index("ix_waitlist_entries_slot_line", table_name="waitlist_entries")
    op.drop_index("ix_waitlist_entries_department", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
