"""booking rules: one active seat per department in a slot, and requests that expire

Adds the partial unique index on (slot_id, department_id) over active bookings and lets `status` be 'expired'.

Before the index is made, a department that already holds more than one active seat of a slot keeps its
earliest booking; the later ones are cancelled with a reason that says why (and the migration prints them).

The CHECK on `status` is replaced: on PostgreSQL by dropping and adding it. SQLite cannot alter a CHECK, and
rebuilding `bookings` (batch mode's copy) would drop the table while foreign keys are on, cascading into its
attendees, documents and records (see 7c1d2e3f4a5b). Instead the table's CREATE statement in sqlite_schema
is edited in place, the procedure SQLite documents for changing CHECK constraints
(https://www.sqlite.org/lang_altertable.html#otheralter: writable_schema, a new schema_version,
integrity_check): widening the list changes nothing on disk. Going down, expired requests become cancelled
(with the reason 'หมดอายุ') first, so every row satisfies the narrower CHECK.

Revision ID: e6f8a0b2c4d7
Revises: d5e7f9a1b3c6
Create Date: 2026-11-27 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e6f8a0b2c4d7"
down_revision = "d5e7f9a1b3c6"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('pending', 'confirmed')"
OLD_CHECK = "status IN ('pending', 'confirmed', 'declined', 'cancelled')"
NEW_CHECK = "status IN ('pending', 'confirmed', 'declined', 'cancelled', 'expired')"
CHECK_NAME = "ck_bookings_status_known"
DUPLICATE_REASON = "ยกเลิกโดยระบบ: ส่วนราชการหนึ่งจองได้ 1 ที่นั่งต่อช่วงเวลา (คงไว้รายการที่จองก่อน)"
EXPIRED_REASON = "หมดอายุ"


def upgrade():
    bind = op.get_bind()
    duplicates = bind.execute(sa.text(
        f"SELECT b.id, b.reference FROM bookings b WHERE b.{ACTIVE} AND EXISTS ("
        f" SELECT 1 FROM bookings e WHERE e.slot_id = b.slot_id AND e.department_id = b.department_id"
        f" AND e.{ACTIVE} AND e.id < b.id) ORDER BY b.id"
    )).all()
    for booking_id, reference in duplicates:
        bind.execute(
            sa.text("UPDATE bookings SET status = 'cancelled', cancelled_at = CURRENT_TIMESTAMP,"
                    " cancel_reason = :reason WHERE id = :id"),
            {"reason": DUPLICATE_REASON, "id": booking_id},
        )
        print(f"cancelled {reference}: a second active seat of its department in one slot")
    op.create_index("uq_bookings_active_department", "bookings", ["slot_id", "department_id"], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
    replace_status_check(OLD_CHECK, NEW_CHECK)


def downgrade():
    op.get_bind().execute(
        sa.text("UPDATE bookings SET status = 'cancelled', cancelled_at = COALESCE(decided_at, CURRENT_TIMESTAMP),"
                " cancel_reason = :reason WHERE status = 'expired'"),
        {"reason": EXPIRED_REASON},
    )
    replace_status_check(NEW_CHECK, OLD_CHECK)
    op.drop_index("uq_bookings_active_department", table_name="bookings")


def replace_status_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(CHECK_NAME), "bookings", type_="check")
        op.create_check_constraint(op.f(CHECK_NAME), "bookings", new)
        return
    sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'bookings'")).scalar_one()
    if sql.count(old) != 1:
        raise RuntimeError(f"bookings: expected the CHECK {old!r} once in its CREATE statement, found {sql.count(old)}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'bookings'"),
                 {"sql": sql.replace(old, new)})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"bookings: integrity check after changing its CHECK: {problems}")
