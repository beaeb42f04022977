"""next steps: published with their record (action_items.published_at), 'dropped', a history of updates
(action_item_updates) and evidence files (documents.action_item_id)

Revision ID: b91d6f2a7c04
Revises: a8c41e7d93b2
Create Date: 2026-11-26 17:40:00

A step already in the database becomes published at the first publication of its record at or after its creation
(none yet: it stays a draft's). The CHECK on `status` is widened as in e6f8a0b2c4d7: on SQLite by editing the
table's CREATE statement in place (widening changes nothing on disk); going down, dropped steps become done.
"""
import sqlalchemy as sa
from alembic import op

revision = "b91d6f2a7c04"
down_revision = "a8c41e7d93b2"
branch_labels = None
depends_on = None

OLD_CHECK = "status IN ('open', 'in_progress', 'done')"
NEW_CHECK = "status IN ('open', 'in_progress', 'done', 'dropped')"
CHECK_NAME = "ck_action_items_status_known"


def upgrade():
    op.add_column("action_items", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE action_items SET published_at = (SELECT MIN(r.published_at) FROM record_revisions r"
        " WHERE r.record_id = action_items.record_id AND r.published_at IS NOT NULL"
        " AND r.published_at >= action_items.created_at)"
    )
    replace_status_check(OLD_CHECK, NEW_CHECK)
    op.create_table(
        "action_item_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_item_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(NEW_CHECK, name=op.f("ck_action_item_updates_status_known")),
        sa.ForeignKeyConstraint(["action_item_id"], ["action_items.id"], ondelete="CASCADE",
                                name=op.f("fk_action_item_updates_action_item_id_action_items")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_action_item_updates_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_item_updates")),
    )
    op.create_index(op.f("ix_action_item_updates_action_item_id"), "action_item_updates", ["action_item_id"])
    if op.get_bind().dialect.name == "sqlite":
        # In place: SQLite adds a column with an inline REFERENCES clause without copying the table.
        op.execute("ALTER TABLE documents ADD COLUMN action_item_id INTEGER"
                   " CONSTRAINT fk_documents_action_item_id_action_items REFERENCES action_items (id)")
    else:
        op.add_column("documents", sa.Column("action_item_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_documents_action_item_id_action_items"), "documents", "action_items",
                              ["action_item_id"], ["id"])
    op.create_index(op.f("ix_documents_action_item_id"), "documents", ["action_item_id"])


def downgrade():
    op.drop_index(op.f("ix_documents_action_item_id"), table_name="documents")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE documents DROP COLUMN action_item_id")
    else:
        op.drop_constraint(op.f("fk_documents_action_item_id_action_items"), "documents", type_="foreignkey")
        op.drop_column("documents", "action_item_id")
    op.drop_index(op.f("ix_action_item_updates_action_item_id"), table_name="action_item_updates")
    op.drop_table("action_item_updates")
    op.execute("UPDATE action_items SET status = 'done' WHERE status = 'dropped'")
    replace_status_check(NEW_CHECK, OLD_CHECK)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE action_items DROP COLUMN published_at")
    else:
        op.drop_column("action_items", "published_at")


def replace_status_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(CHECK_NAME), "action_items", type_="check")
        op.create_check_constraint(op.f(CHECK_NAME), "action_items", new)
        return
    sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'action_items'")).scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError(f"action_items: expected the CHECK {old!r} once in its CREATE statement, found {sql.count(old)}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'action_items'"),
                 {"sql": sql.replace(old, new)})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"action_items: integrity check after changing its CHECK: {problems}")
