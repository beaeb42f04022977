"""Backups restore: a backup of the database, the uploaded documents and the secret key, restored into a wiped
site, gives back every row of every table and every file byte for byte. A damaged backup, one of the other kind of
database or of a newer schema, and one that would overwrite data unasked, are refused before anything changes."""

import json
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.pool import NullPool

from clinic import create_app
from clinic.audit.models import AuditEvent
from clinic.audit.services import record_event
from clinic.backup import BackupError, Site, create_backup, restore_backup
from clinic.bookings.documents import Upload
from clinic.bookings.models import Booking, Document
from clinic.bookings.rules import BookingRules
from clinic.bookings.services import book_slot, confirm_booking
from clinic.extensions import db
from tests import factories
from tests.databases import own_database
from tests.factories import NOW
from tests.test_bookings_service import MAX, PDF, ooxml, request_for


@pytest.fixture
def site_app(database_url, tmp_path):
    """An app on a migrated database of its own, with its own upload and instance folders."""
    with own_database(database_url, tmp_path) as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "backup", "SQLALCHEMY_DATABASE_URI": url,
                          "UPLOAD_FOLDER": str(tmp_path / "uploads"), "MAIL_FOLDER": str(tmp_path / "mail"),
                          "NOW": lambda: NOW})
        app.instance_path = str(tmp_path / "instance")
        Path(app.instance_path).mkdir()
        (Path(app.instance_path) / "secret_key").write_text("a" * 64)
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def site(site_app) -> Site:
    return Site(database_url=site_app.config["SQLALCHEMY_DATABASE_URI"],
                upload_folder=Path(site_app.config["UPLOAD_FOLDER"]), instance_path=Path(site_app.instance_path),
                migrations=site_app.extensions["migrate"].directory)


def make_case_file(site: Site) -> None:
    """Bookings with documents, a confirmation, a published record with an action item, audit events and e-mail."""
    topic = factories.make_topic()
    advisor = factories.make_user("advisor", expertise=[topic])
    admin = factories.make_user("admin")
    department = factories.make_department()
    officer = factories.make_user("officer", department=department)
    bookings = []
    for day, document in ((7, Upload("ผังโครงสร้าง.pdf", PDF)), (8, Upload("ร่างกฎกระทรวง.docx", ooxml("word/document.xml")))):
        slot = factories.make_slot(advisor, NOW + timedelta(days=day))
        request = request_for(slot, department, topic, document=document)
        bookings.append(book_slot(officer, request, NOW, str(site.upload_folder), MAX))
    confirm_booking(advisor, bookings[0], NOW)
    factories.make_published_record(bookings[0], advisor, items=[("ทบทวนภารกิจกอง", "department")])
    record_event(admin, "user.role_changed", officer, NOW, role="coordinator")
    db.session.commit()


def snapshot(site: Site) -> dict:
    """Every row of every table (the schema's version included) and every file, as bytes."""
    engine = create_engine(site.database_url, poolclass=NullPool)
    with engine.connect() as connection:
        tables = {
            name: sorted((tuple(row) for row in connection.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
            for name in sorted(inspect(connection).get_table_names())
        }
    engine.dispose()
    files = {path.relative_to(site.upload_folder.parent).as_posix(): path.read_bytes()
             for folder in (site.upload_folder, site.instance_path) if folder.is_dir()
             for path in sorted(folder.iterdir()) if path.is_file()}
    return {"tables": tables, "files": files}


def wipe(site: Site) -> None:
    """Lose everything: drop the whole schema (or delete the SQLite file), the uploaded files and the key."""
    db.session.remove()
    db.engine.dispose()
    if site.database_url.startswith("postgresql"):
        engine = create_engine(site.database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        path = Path(site.database_url.removeprefix("sqlite:///"))
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
    shutil.rmtree(site.upload_folder)
    (site.instance_path / "secret_key").unlink()


def test_a_backup_restores_every_row_and_every_file_after_the_site_is_wiped(site, tmp_path):
    make_case_file(site)
    before = snapshot(site)
    assert len(before["tables"]["bookings"]) == 2 and len(before["tables"]["audit_events"]) >= 4
    assert len([name for name in before["files"] if name.startswith("uploads/")]) == 2

    manifest = create_backup(tmp_path / "backup", site, NOW)
    wipe(site)
    assert snapshot(site)["files"] == {}
    restored = restore_backup(tmp_path / "backup", site)

    assert restored == manifest
    assert snapshot(site) == before
    # The restored database goes on working: its sequences came back too, so a new booking gets a new id.
    booking = db.session.scalars(select(Booking)).first()
    slot = factories.make_slot(booking.slot.advisor, NOW + timedelta(days=9))
    again = book_slot(booking.booked_by, request_for(slot, booking.department, booking.topic), NOW,
                      str(site.upload_folder), MAX)
    db.session.commit()
    assert again.id > max(row[0] for row in before["tables"]["bookings"])


def test_the_manifest_lists_every_file_with_its_size_and_checksum(site, tmp_path):
    make_case_file(site)
    create_backup(tmp_path / "backup", site, NOW)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    kind = "postgresql" if site.database_url.startswith("postgresql") else "sqlite"
    assert manifest["database_kind"] == kind and manifest["created_at"] == NOW.isoformat()
    assert manifest["alembic_revision"] and manifest["app_version"]
    paths = [entry["path"] for entry in manifest["files"]]
    assert paths[0] == ("database.pgdump" if kind == "postgresql" else "database.sqlite3")
    assert "instance/secret_key" in paths and len([p for p in paths if p.startswith("uploads/")]) == 2
    assert all(len(entry["sha256"]) == 64 and entry["size"] > 0 for entry in manifest["files"])


def test_a_tampered_file_is_refused_and_nothing_changes(site, tmp_path):
    make_case_file(site)
    create_backup(tmp_path / "backup", site, NOW)
    document = next((tmp_path / "backup" / "uploads").iterdir())
    damaged = bytearray(document.read_bytes())
    damaged[-1] ^= 1  # one bit
    document.write_bytes(bytes(damaged))
    factories.make_topic(name_th="หัวข้อหลังสำรองข้อมูล")  # the site moves on after the backup
    db.session.commit()
    before = snapshot(site)

    with pytest.raises(BackupError, match="does not match its checksum"):
        restore_backup(tmp_path / "backup", site, force=True)
    assert snapshot(site) == before


def test_a_backup_of_a_newer_schema_or_of_the_other_database_kind_is_refused(site, tmp_path):
    create_backup(tmp_path / "backup", site, NOW)
    manifest_path = tmp_path / "backup" / "manifest.json"
    original = json.loads(manifest_path.read_text())

    newer = {**original, "alembic_revision": "ffffffffffff", "app_version": "9.0.0"}
    manifest_path.write_text(json.dumps(newer))
    with pytest.raises(BackupError, match="revision ffffffffffff, which this version .* does not know"):
        restore_backup(tmp_path / "backup", site, force=True)

    other = "sqlite" if original["database_kind"] == "postgresql" else "postgresql"
    files = [{**entry, "path": "database.sqlite3" if other == "sqlite" else "database.pgdump"}
             if entry["path"].startswith("database.") else entry for entry in original["files"]]
    database_file = next(p for p in (tmp_path / "backup").iterdir() if p.name.startswith("database."))
    database_file.rename(database_file.with_name(files[0]["path"]))
    manifest_path.write_text(json.dumps({**original, "database_kind": other, "files": files}))
    with pytest.raises(BackupError, match=f"this is a backup of a {other} database"):
        restore_backup(tmp_path / "backup", site, force=True)


def test_restore_refuses_to_overwrite_data_unless_forced(site, tmp_path):
    make_case_file(site)
    create_backup(tmp_path / "backup", site, NOW)
    with pytest.raises(BackupError, match=r"the database is not empty \(table .* has rows\).*--force"):
        restore_backup(tmp_path / "backup", site)
    db.session.remove()
    restore_backup(tmp_path / "backup", site, force=True)


def test_create_refuses_a_directory_that_is_not_empty_and_restore_one_without_a_manifest(site, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("keep me")
    with pytest.raises(BackupError, match="already exists and is not empty"):
        create_backup(tmp_path / "backup", site, NOW)
    assert [p.name for p in (tmp_path / "backup").iterdir()] == ["notes.txt"]
    with pytest.raises(BackupError, match="no manifest.json in .*: not a backup, or one that did not finish"):
        restore_backup(tmp_path / "backup", site)


def test_a_manifest_that_points_outside_the_backup_is_refused(site, tmp_path):
    create_backup(tmp_path / "backup", site, NOW)
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"].append({"path": "../../etc/passwd", "size": 1, "sha256": "0" * 64})
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="outside the backup"):
        restore_backup(tmp_path / "backup", site, force=True)


def test_a_backup_taken_while_bookings_are_written_restores_a_consistent_state(site_app, site, tmp_path):
    """A writer commits bookings (each with its document and its audit event) while backups are taken: every
    backup restores to a state where every booking has its audit event and every document its file."""
    topic = factories.make_topic()
    advisor = factories.make_user("advisor", expertise=[topic])
    officer = factories.make_user("officer")
    slots = [factories.make_slot(advisor, NOW + timedelta(days=7, hours=2 * n), opened_on_closed_day=True)
             for n in range(40)]
    ids = (topic.id, officer.id, [slot.id for slot in slots])
    db.session.commit()
    db.session.remove()
    started = threading.Event()
    failures: list[BaseException] = []

    def write_bookings() -> None:
        from clinic.accounts.models import User
        from clinic.organisations.models import Topic
        from clinic.scheduling.models import Slot

        with site_app.app_context():
            try:
                for slot_id in ids[2]:
                    writer = db.session.get(User, ids[1])
                    request = request_for(db.session.get(Slot, slot_id), writer.department,
                                          db.session.get(Topic, ids[0]), document=Upload("ผัง.pdf", PDF))
                    book_slot(writer, request, NOW, str(site.upload_folder), MAX,
                              BookingRules(max_active_per_department=len(ids[2])))
                    db.session.commit()
                    started.set()
            except BaseException as error:  # reported by the test, not lost in the thread
                failures.append(error)
                started.set()
            finally:
                db.session.remove()

    writer = threading.Thread(target=write_bookings)
    writer.start()
    assert started.wait(60)
    backups = []
    for n in range(3):
        backups.append(tmp_path / f"backup-{n}")
        create_backup(backups[-1], site, NOW)
    writer.join(120)
    assert not failures, failures

    for backup in backups:
        wipe(site)
        restore_backup(backup, site)
        bookings = db.session.scalars(select(Booking)).all()
        created = set(db.session.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "booking.created")))
        assert bookings and {booking.id for booking in bookings} == created
        for stored_name in db.session.scalars(select(Document.stored_name)):
            assert (site.upload_folder / stored_name).read_bytes() == PDF
        db.session.remove()


def test_flask_backup_create_and_restore(site_app, site, tmp_path):
    make_case_file(site)
    before = snapshot(site)
    runner = site_app.test_cli_runner()
    created = runner.invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert created.exit_code == 0, created.output
    assert "files" in created.output and str(tmp_path / "backup") in created.output

    again = runner.invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert again.exit_code == 1
    assert again.output.strip().splitlines() == [
        f"Error: {tmp_path / 'backup'} already exists and is not empty: choose a new directory for each backup"]

    refused = runner.invoke(args=["backup", "restore", str(tmp_path / "backup")])
    assert refused.exit_code == 1 and "add --force" in refused.output
    forced = runner.invoke(args=["backup", "restore", "--force", str(tmp_path / "backup")])
    assert forced.exit_code == 0, forced.output
    assert snapshot(site) == before


def test_a_backup_that_fails_leaves_nothing_behind(site, tmp_path):
    broken = Site(database_url=site.database_url.rsplit("/", 1)[0] + "/clinic_backup_missing"
                  if site.database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'missing.sqlite3'}",
                  upload_folder=site.upload_folder, instance_path=site.instance_path, migrations=site.migrations)
    with pytest.raises(BackupError):
        create_backup(tmp_path / "backup", broken, NOW)
    assert not (tmp_path / "backup").exists()
