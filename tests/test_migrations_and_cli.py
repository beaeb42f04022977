"""Migrations build the same schema as the models on the test database; the CLI makes accounts and demo data."""

import uuid
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from clinic import create_app
from clinic.accounts.models import User
from clinic.bookings.models import Booking
from clinic.extensions import db
from clinic.organisations.models import Department, Ministry
from clinic.records.search_index import compared_with_the_models
from clinic.scheduling.models import Slot


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database of its own: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"clinic_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield database_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migrated_app(empty_database, tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x",
                      "MAIL_FOLDER": str(tmp_path / "mail")})
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_migrations_match_the_models(migrated_app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": False,
            # The search index's FTS5 table and its shadow tables live outside the models (clinic/records/search_index.py).
            "include_object": lambda _obj, name, kind, _reflected, _other: compared_with_the_models(
                name, kind, conn.dialect.name),
        })
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrated_schema_refuses_overlapping_slots(migrated_app):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.exc import IntegrityError

    advisor = User(email="a@opdc.go.th", name="ก", role="advisor", password_hash="x")
    db.session.add(advisor)
    db.session.flush()
    start = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
    db.session.add(Slot(advisor_id=advisor.id, starts_at=start, ends_at=start + timedelta(hours=1), mode="onsite"))
    db.session.flush()
    db.session.add(Slot(advisor_id=advisor.id, starts_at=start + timedelta(minutes=30),
                        ends_at=start + timedelta(hours=2), mode="onsite"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_migrations_go_down_and_up_again(migrated_app):
    downgrade(revision="base")
    assert "bookings" not in inspect(db.engine).get_table_names()
    upgrade()
    assert "bookings" in inspect(db.engine).get_table_names()


def test_migrated_users_speak_thai_and_keep_their_expertise(migrated_app):
    downgrade(revision="53bb23e89dfb")  # before users had a language
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO topics (id, name_th, name_en, is_active) VALUES (1, 'หัวข้อ', 'Topic', :yes)"),
                     {"yes": True})
        conn.execute(text(
            "INSERT INTO users (id, email, name, position, role, password_hash, is_active, created_at) "
            "VALUES (1, 'a@opdc.go.th', 'ก', '', 'advisor', 'x', :yes, :now)"
        ), {"yes": True, "now": datetime(2026, 1, 5, tzinfo=UTC)})
        conn.execute(text("INSERT INTO advisor_topics (advisor_id, topic_id) VALUES (1, 1)"))
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT language FROM users")).scalars().all() == ["th"]
        assert conn.execute(text("SELECT count(*) FROM advisor_topics")).scalar() == 1
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("UPDATE users SET language = 'fr'"))
    downgrade(revision="53bb23e89dfb")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM advisor_topics")).scalar() == 1
    assert "language" not in {c["name"] for c in inspect(db.engine).get_columns("users")}


def test_bookings_keep_their_attendees_and_documents_when_they_gain_a_submission_key(migrated_app):
    downgrade(revision="704908dc1a38")  # before bookings had a submission key
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with db.engine.begin() as conn:
        for statement in (
            "INSERT INTO ministries (id, name_th, name_en, abbreviation) VALUES (1, 'ก', 'M', 'ก.')",
            "INSERT INTO departments (id, ministry_id, name_th, name_en, abbreviation) VALUES (1, 1, 'ก', 'D', 'ก.')",
            "INSERT INTO topics (id, name_th, name_en, is_active) VALUES (1, 'หัวข้อ', 'Topic', :yes)",
            "INSERT INTO users (id, email, name, position, role, department_id, password_hash, is_active, created_at)"
            " VALUES (1, 'o@d.go.th', 'ก', '', 'officer', 1, 'x', :yes, :now)",
            "INSERT INTO slots (id, advisor_id, starts_at, ends_at, capacity, mode, location, meeting_url, status,"
            " opened_on_closed_day, created_at) VALUES (1, 1, :now, :later, 1, 'onsite', 'ห้อง', '', 'open', :no, :now)",
            "INSERT INTO bookings (id, reference, slot_id, slot_capacity, seat_number, department_id, topic_id,"
            " booked_by_id, status, request_details, created_at, decline_reason, cancel_reason)"
            " VALUES (1, 'OPDC-1', 1, 1, 1, 1, 1, 1, 'pending', 'ขอ', :now, '', '')",
            "INSERT INTO attendees (id, booking_id, name, position) VALUES (1, 1, 'นาย ก', 'นัก')",
            "INSERT INTO documents (id, booking_id, filename, stored_name, kind, size, sha256, uploaded_by_id,"
            " uploaded_at) VALUES (1, 1, 'a.pdf', 'a.pdf', 'pdf', 1, 'x', 1, :now)",
        ):
            conn.execute(text(statement), {"yes": True, "no": False, "now": now, "later": now.replace(hour=1)})
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM attendees")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 1
        assert conn.execute(text("SELECT submission_key FROM bookings")).scalars().all() == [None]
    downgrade(revision="704908dc1a38")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM attendees")).scalar() == 1
    assert "submission_key" not in {c["name"] for c in inspect(db.engine).get_columns("bookings")}


def test_demo_loads_once_and_prints_the_logins(migrated_app):
    runner = migrated_app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@opdc.go.th" in first.output and "officer@diw.go.th" in first.output
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Ministry, Department, User, Slot, Booking)]
    assert counts[0] == 3 and counts[1] == 11 and counts[2] >= 9
    db.session.rollback()  # on SQLite every transaction takes the write lock: end ours before the next command

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert [db.session.scalar(select(func.count()).select_from(m))
            for m in (Ministry, Department, User, Slot, Booking)] == counts


def test_users_create_makes_the_first_administrator(migrated_app):
    runner = migrated_app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--email", "Root@OPDC.go.th", "--name", "ผู้ดูแลระบบ", "--role", "admin",
              "--password-stdin"],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "root@opdc.go.th"))
    assert user.role == "admin" and user.check_password("a-long-enough-password")
    assert user.password_hash.startswith("scrypt:")


def test_users_create_refuses_bad_input(migrated_app):
    runner = migrated_app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "--email", "a@b.go.th", "--name", "ก", "--role", "admin",
                                "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "รหัสผ่าน" in short.output
    no_department = runner.invoke(args=["users", "create", "--email", "a@b.go.th", "--name", "ก", "--role",
                                        "officer", "--password-stdin"], input="long-enough-password\n")
    assert no_department.exit_code != 0
    unknown = runner.invoke(args=["users", "create", "--email", "a@b.go.th", "--name", "ก", "--role", "officer",
                                  "--department", "กรมที่ไม่มี", "--password-stdin"], input="long-enough-password\n")
    assert unknown.exit_code != 0 and "no department" in unknown.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_existing_slots_and_their_bookings_stay_and_become_manual_when_slots_learn_their_source(migrated_app):
    downgrade(revision="b3c5d7e9f1a2")  # before availability
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with db.engine.begin() as conn:
        for statement in (
            "INSERT INTO ministries (id, name_th, name_en, abbreviation) VALUES (1, 'ก', 'M', 'ก.')",
            "INSERT INTO departments (id, ministry_id, name_th, name_en, abbreviation) VALUES (1, 1, 'ก', 'D', 'ก.')",
            "INSERT INTO topics (id, name_th, name_en, is_active) VALUES (1, 'หัวข้อ', 'Topic', :yes)",
            "INSERT INTO users (id, email, name, position, role, department_id, password_hash, is_active, created_at,"
            " language, session_version) VALUES (1, 'o@d.go.th', 'ก', '', 'officer', 1, 'x', :yes, :now, 'th', 0)",
            "INSERT INTO slots (id, advisor_id, starts_at, ends_at, capacity, mode, location, meeting_url, status,"
            " opened_on_closed_day, created_at) VALUES (1, 1, :now, :later, 1, 'onsite', 'ห้อง', '', 'open', :no, :now)",
            "INSERT INTO bookings (id, reference, slot_id, slot_capacity, seat_number, department_id, topic_id,"
            " booked_by_id, status, request_details, created_at, decline_reason, cancel_reason)"
            " VALUES (1, 'OPDC-1', 1, 1, 1, 1, 1, 1, 'pending', 'ขอ', :now, '', '')",
            "INSERT INTO attendees (id, booking_id, name, position) VALUES (1, 1, 'นาย ก', 'นัก')",
        ):
            conn.execute(text(statement), {"yes": True, "no": False, "now": now, "later": now.replace(hour=1)})
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT source FROM slots")).scalars().all() == ["manual"]
        assert conn.execute(text("SELECT count(*) FROM bookings")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM attendees")).scalar() == 1
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("UPDATE slots SET source = 'imported'"))
    downgrade(revision="b3c5d7e9f1a2")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bookings")).scalar() == 1
    assert "source" not in {c["name"] for c in inspect(db.engine).get_columns("slots")}
    assert "availabilities" not in inspect(db.engine).get_table_names()


def test_booking_rules_migration_keeps_bookings_allows_expired_and_one_seat_per_department(migrated_app):
    downgrade(revision="d5e7f9a1b3c6")  # before the booking rules
    now = datetime(2026, 1, 5, tzinfo=UTC)
    booking = ("INSERT INTO bookings (id, reference, slot_id, slot_capacity, seat_number, department_id, topic_id,"
               " booked_by_id, status, request_details, created_at, decline_reason, cancel_reason)"
               " VALUES (:id, :ref, 1, 3, :seat, 1, 1, 1, :status, 'ขอ', :now, '', '')")
    with db.engine.begin() as conn:
        for statement in (
            "INSERT INTO ministries (id, code, name_th, name_en, abbreviation) VALUES (1, 'M1', 'ก', 'M', 'ก.')",
            "INSERT INTO departments (id, code, ministry_id, name_th, name_en, abbreviation)"
            " VALUES (1, 'D1', 1, 'ก', 'D', 'ก.')",
            "INSERT INTO topics (id, code, name_th, name_en, is_active) VALUES (1, 'T1', 'หัวข้อ', 'Topic', :yes)",
            "INSERT INTO users (id, email, name, position, role, department_id, password_hash, is_active, created_at,"
            " language, session_version) VALUES (1, 'o@d.go.th', 'ก', '', 'officer', 1, 'x', :yes, :now, 'th', 0)",
            "INSERT INTO slots (id, advisor_id, starts_at, ends_at, capacity, mode, location, meeting_url, status,"
            " opened_on_closed_day, created_at, source)"
            " VALUES (1, 1, :now, :later, 3, 'onsite', 'ห้อง', '', 'open', :no, :now, 'manual')",
        ):
            conn.execute(text(statement), {"yes": True, "no": False, "now": now, "later": now.replace(hour=1)})
        for id_, seat, status in ((1, 1, "confirmed"), (2, 2, "pending"), (3, 3, "declined")):
            conn.execute(text(booking), {"id": id_, "ref": f"OPDC-{id_}", "seat": seat, "status": status, "now": now})
        conn.execute(text("INSERT INTO attendees (id, booking_id, name, position) VALUES (1, 1, 'นาย ก', 'นัก')"))
    upgrade()
    with db.engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT id, status FROM bookings ORDER BY id")).all())
        assert statuses == {1: "confirmed", 2: "cancelled", 3: "declined"}  # the second seat of one department
        assert conn.execute(text("SELECT count(*) FROM attendees")).scalar() == 1
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text(booking), {"id": 4, "ref": "OPDC-4", "seat": 2, "status": "pending", "now": now})
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE bookings SET status = 'expired' WHERE id = 1"))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("UPDATE bookings SET status = 'lost' WHERE id = 3"))
    downgrade(revision="d5e7f9a1b3c6")
    with db.engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT id, status FROM bookings ORDER BY id")).all())
        assert statuses == {1: "cancelled", 2: "cancelled", 3: "declined"}
        assert conn.execute(text("SELECT count(*) FROM attendees")).scalar() == 1
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("UPDATE bookings SET status = 'expired' WHERE id = 3"))
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bookings")).scalar() == 3
