"""departments keep their history: former names after a rename, and a retired department that was merged into
another (retired_at, merged_into_id)

Revision ID: e8c1fed37431
Revises: d7f3b1e06a59
Create Date: 2026-11-26 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e8c1fed37431"
down_revision = "d7f3b1e06a59"
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    # In place on both databases: batch mode would copy `departments` on SQLite, and dropping it cascades.
    op.add_column("departments", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    if sqlite:  # SQLite adds a column with its REFERENCES clause, but no constraint afterwards
        op.execute("ALTER TABLE departments ADD COLUMN merged_into_id INTEGER REFERENCES departments (id)")
    else:
        op.add_column("departments", sa.Column("merged_into_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_departments_merged_into_id_departments", "departments", "departments",
                              ["merged_into_id"], ["id"])
    op.create_table(
        "former_department_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("name_th", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("abbreviation", sa.String(length=30), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("name_th <> ''", name=op.f("ck_former_department_names_name_th_given")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_former_department_names_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_former_department_names")),
    )
    op.create_index("ix_former_department_names_department_id", "former_department_names", ["department_id"])


def downgrade():
    op.drop_index("ix_former_department_names_department_id", table_name="former_department_names")
    op.drop_table("former_department_names")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE departments DROP COLUMN merged_into_id")
    else:
        op.drop_constraint("fk_departments_merged_into_id_departments", "departments", type_="foreignkey")
        op.drop_column("departments", "merged_into_id")
    op.drop_column("departments", "retired_at")
