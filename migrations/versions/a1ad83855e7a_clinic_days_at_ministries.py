"""clinic days held at a ministry: room, hours, session length, capacity, who may book, status, advisors, topics

Adds columns to `clinic_days` in place on both databases (existing rows: 09:00-16:00, sessions of 60 minutes,
one seat, open to all departments, open), and two tables: the advisors who sit on a clinic day and its topics.
On SQLite each CHECK and the foreign key go with their column (ALTER TABLE ADD COLUMN); no table is rebuilt.

Revision ID: a1ad83855e7a
Revises: 6014f7507647
Create Date: 2026-11-26 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a1ad83855e7a"
down_revision = "6014f7507647"
branch_labels = None
depends_on = None

CHECKS = {
    "session_minutes": ("session_range", "session_minutes BETWEEN 15 AND 480"),
    "capacity": ("capacity_range", "capacity BETWEEN 1 AND 20"),
    "access": ("access_known", "access IN ('host_ministry', 'all')"),
    "status": ("status_known", "status IN ('open', 'cancelled')"),
}
COLUMNS = [
    ("room", "VARCHAR(300) DEFAULT '' NOT NULL", sa.String(length=300), ""),
    ("starts", "TIME DEFAULT '09:00:00' NOT NULL", sa.Time(), "09:00:00"),
    ("ends", "TIME DEFAULT '16:00:00' NOT NULL", sa.Time(), "16:00:00"),
    ("session_minutes", "INTEGER DEFAULT '60' NOT NULL", sa.Integer(), "60"),
    ("capacity", "INTEGER DEFAULT '1' NOT NULL", sa.Integer(), "1"),
    ("access", "VARCHAR(20) DEFAULT 'all' NOT NULL", sa.String(length=20), "all"),
    ("status", "VARCHAR(10) DEFAULT 'open' NOT NULL", sa.String(length=10), "open"),
    ("cancel_reason", "TEXT DEFAULT '' NOT NULL", sa.Text(), ""),
]


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, sqlite_type, column_type, default in COLUMNS:
        check = CHECKS.get(name)
        if sqlite:
            inline = f" CONSTRAINT ck_clinic_days_{check[0]} CHECK ({check[1]})" if check else ""
            op.execute(f"ALTER TABLE clinic_days ADD COLUMN {name} {sqlite_type}{inline}")
        else:
            op.add_column("clinic_days", sa.Column(name, column_type, server_default=default, nullable=False))
            if check:
                op.create_check_constraint(op.f(f"ck_clinic_days_{check[0]}"), "clinic_days", check[1])
    if sqlite:
        op.execute("ALTER TABLE clinic_days ADD COLUMN created_by_id INTEGER"
                   " CONSTRAINT fk_clinic_days_created_by_id_users REFERENCES users (id)")
    else:
        op.add_column("clinic_days", sa.Column("created_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_clinic_days_created_by_id_users"), "clinic_days", "users",
                              ["created_by_id"], ["id"])
    op.add_column("clinic_days", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "clinic_day_advisors",
        sa.Column("clinic_day_id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["advisor_id"], ["users.id"], name=op.f("fk_clinic_day_advisors_advisor_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["clinic_day_id"], ["clinic_days.id"],
                                name=op.f("fk_clinic_day_advisors_clinic_day_id_clinic_days"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("clinic_day_id", "advisor_id", name=op.f("pk_clinic_day_advisors")),
    )
    op.create_table(
        "clinic_day_topics",
        sa.Column("clinic_day_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_day_id"], ["clinic_days.id"],
                                name=op.f("fk_clinic_day_topics_clinic_day_id_clinic_days"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_clinic_day_topics_topic_id_topics"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("clinic_day_id", "topic_id", name=op.f("pk_clinic_day_topics")),
    )


def downgrade():
    op.drop_table("clinic_day_topics")
    op.drop_table("clinic_day_advisors")
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_column("clinic_days", "updated_at")
    if sqlite:
        op.execute("ALTER TABLE clinic_days DROP COLUMN created_by_id")
    else:
        op.drop_constraint(op.f("fk_clinic_days_created_by_id_users"), "clinic_days", type_="foreignkey")
        op.drop_column("clinic_days", "created_by_id")
    for name, _sqlite_type, _column_type, _default in reversed(COLUMNS):
        check = CHECKS.get(name)
        if sqlite:
            op.execute(f"ALTER TABLE clinic_days DROP COLUMN {name}")  # SQLite 3.35 or newer; its CHECK goes too
        else:
            if check:
                op.drop_constraint(op.f(f"ck_clinic_days_{check[0]}"), "clinic_days", type_="check")
            op.drop_column("clinic_days", name)
