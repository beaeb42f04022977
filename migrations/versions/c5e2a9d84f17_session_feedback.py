"""a department's rating of a held session: session_feedback, one per record

Revision ID: c5e2a9d84f17
Revises: b91d6f2a7c04
Create Date: 2026-11-26 17:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "c5e2a9d84f17"
down_revision = "b91d6f2a7c04"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "session_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("given_by_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_session_feedback_rating_1_to_5")),
        sa.ForeignKeyConstraint(["record_id"], ["consultation_records.id"],
                                name=op.f("fk_session_feedback_record_id_consultation_records")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_session_feedback_department_id_departments")),
        sa.ForeignKeyConstraint(["given_by_id"], ["users.id"], name=op.f("fk_session_feedback_given_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_feedback")),
        sa.UniqueConstraint("record_id", name=op.f("uq_session_feedback_record_id")),
    )
    op.create_index(op.f("ix_session_feedback_department_id"), "session_feedback", ["department_id"])
    op.create_index(op.f("ix_session_feedback_created_at"), "session_feedback", ["created_at"])


def downgrade():
    op.drop_index(op.f("ix_session_feedback_created_at"), table_name="session_feedback")
    op.drop_index(op.f("ix_session_feedback_department_id"), table_name="session_feedback")
    op.drop_table("session_feedback")
