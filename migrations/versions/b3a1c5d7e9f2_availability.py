"""advisors publish their availability (weekly hours, dated exceptions); slots know whether they were generated

Three new tables, and `slots.source` added in place on both databases ('manual' for every existing slot): batch
mode's copy of `slots` on SQLite would drop the table while foreign keys are on and cascade into bookings.

Revision ID: b3a1c5d7e9f2
Revises: b3c5d7e9f1a2
Create Date: 2026-11-26 15:04:17

"""
import sqlalchemy as sa
from alembic import op

revision = "b3a1c5d7e9f2"
down_revision = "b3c5d7e9f1a2"
branch_labels = None
depends_on = None

DAY_OFF = "kind IN ('day_off')"


def upgrade():
    op.create_table(
        "availabilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("meeting_url", sa.String(length=500), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mode IN ('onsite', 'online')", name=op.f("ck_availabilities_mode_known")),
        sa.CheckConstraint("buffer_minutes BETWEEN 0 AND 120", name=op.f("ck_availabilities_buffer_range")),
        sa.CheckConstraint("capacity BETWEEN 1 AND 20", name=op.f("ck_availabilities_capacity_range")),
        sa.CheckConstraint("session_minutes BETWEEN 15 AND 480", name=op.f("ck_availabilities_session_range")),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_availabilities_period_ordered")
        ),
        sa.ForeignKeyConstraint(["advisor_id"], ["users.id"], name=op.f("fk_availabilities_advisor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availabilities")),
        sa.UniqueConstraint("advisor_id", name=op.f("uq_availabilities_advisor_id")),
    )
    op.create_table(
        "weekly_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("availability_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint("ends > starts", name=op.f("ck_weekly_hours_ends_after_start")),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_weekly_hours_weekday_range")),
        sa.ForeignKeyConstraint(
            ["availability_id"], ["availabilities.id"],
            name=op.f("fk_weekly_hours_availability_id_availabilities"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_hours")),
    )
    op.create_index(op.f("ix_weekly_hours_availability_id"), "weekly_hours", ["availability_id"])
    op.create_table(
        "date_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("starts", sa.Time(), nullable=True),
        sa.Column("ends", sa.Time(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            f"({DAY_OFF} AND starts IS NULL AND ends IS NULL) OR (kind = 'extra' AND starts IS NOT NULL AND ends > starts)",
            name=op.f("ck_date_overrides_hours_fit_kind"),
        ),
        sa.CheckConstraint("kind IN ('extra', 'day_off')", name=op.f("ck_date_overrides_kind_known")),
        sa.ForeignKeyConstraint(["advisor_id"], ["users.id"], name=op.f("fk_date_overrides_advisor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_date_overrides")),
    )
    op.create_index("ix_date_overrides_advisor_day", "date_overrides", ["advisor_id", "day"])
    op.create_index(
        "uq_date_overrides_day_off", "date_overrides", ["advisor_id", "day"], unique=True,
        sqlite_where=sa.text(DAY_OFF), postgresql_where=sa.text(DAY_OFF),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE slots ADD COLUMN source VARCHAR(10) DEFAULT 'manual' NOT NULL "
            "CONSTRAINT ck_slots_source_known CHECK (source IN ('manual', 'generated'))"
        )
    else:
        op.add_column("slots", sa.Column("source", sa.String(length=10), server_default="manual", nullable=False))
        op.create_check_constraint(op.f("ck_slots_source_known"), "slots", "source IN ('manual', 'generated')")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE slots DROP COLUMN source")  # SQLite 3.35 or newer; the inline CHECK goes with it
    else:
        op.drop_constraint(op.f("ck_slots_source_known"), "slots", type_="check")
        op.drop_column("slots", "source")
    op.drop_index("uq_date_overrides_day_off", table_name="date_overrides")
    op.drop_index("ix_date_overrides_advisor_day", table_name="date_overrides")
    op.drop_table("date_overrides")
    op.drop_index(op.f("ix_weekly_hours_availability_id"), table_name="weekly_hours")
    op.drop_table("weekly_hours")
    op.drop_table("availabilities")
