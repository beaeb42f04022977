"""booking moves: the history of each reschedule (from which slot to which, when, by whom, why)

Revision ID: 802ec756b8ce
Revises: 8b45ef124fbc
Create Date: 2026-11-26 17:10:15.703569

"""
import sqlalchemy as sa
from alembic import op

revision = '802ec756b8ce'
down_revision = '8b45ef124fbc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('from_slot_id', sa.Integer(), nullable=False),
    sa.Column('to_slot_id', sa.Integer(), nullable=False),
    sa.Column('moved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moved_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status_before', sa.String(length=10), nullable=False),
    sa.Column('status_after', sa.String(length=10), nullable=False),
    sa.CheckConstraint("status_after IN ('pending', 'confirmed', 'declined', 'cancelled', 'expired')", name=op.f('ck_booking_moves_status_after_known')),
    sa.CheckConstraint("status_before IN ('pending', 'confirmed', 'declined', 'cancelled', 'expired')", name=op.f('ck_booking_moves_status_before_known')),
    sa.CheckConstraint('from_slot_id <> to_slot_id', name=op.f('ck_booking_moves_moves_somewhere')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_moves_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_slot_id'], ['slots.id'], name=op.f('fk_booking_moves_from_slot_id_slots')),
    sa.ForeignKeyConstraint(['moved_by_id'], ['users.id'], name=op.f('fk_booking_moves_moved_by_id_users')),
    sa.ForeignKeyConstraint(['to_slot_id'], ['slots.id'], name=op.f('fk_booking_moves_to_slot_id_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_moves'))
    )
    op.create_index(op.f('ix_booking_moves_booking_id'), 'booking_moves', ['booking_id'], unique=False)



def downgrade():
    op.drop_index(op.f('ix_booking_moves_booking_id'), table_name='booking_moves')
    op.drop_table('booking_moves')
