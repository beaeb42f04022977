"""Uploaded files follow the database: a transaction that fails takes its files with it, and
`flask files check` finds files no document refers to, and documents whose file is gone."""

import os
import time

from sqlalchemy import func, select

from clinic.bookings.documents import Upload
from clinic.bookings.models import Booking, Document
from clinic.extensions import db
from tests.factories import NOW
from tests.test_bookings_service import PDF, book, request_for


def test_a_rolled_back_booking_leaves_no_file_behind(officer, department, topic, slot, tmp_path):
    book(officer, request_for(slot, department, topic, document=Upload("ผัง.pdf", PDF)), tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    db.session.rollback()  # the commit failed, or a later step refused
    assert list(tmp_path.iterdir()) == []


def test_a_committed_booking_keeps_its_file_through_later_rollbacks(officer, department, topic, slot, tmp_path):
    booking = book(officer, request_for(slot, department, topic, document=Upload("ผัง.pdf", PDF)), tmp_path)
    db.session.commit()
    db.session.rollback()
    stored = db.session.scalar(select(Document.stored_name).where(Document.booking_id == booking.id))
    assert (tmp_path / stored).read_bytes() == PDF


def test_a_commit_that_fails_removes_the_file(officer, department, topic, slot, tmp_path, colleague):
    """The booking is written, then the commit is refused (here: the seat was taken by a row that only appears
    at commit time); the file written for it goes too."""
    book(officer, request_for(slot, department, topic, document=Upload("ผัง.pdf", PDF)), tmp_path)
    db.session.add(Booking(  # the same seat: the unique index refuses it when the commit flushes
        reference="OPDC-T-SEAT", slot_id=slot.id, slot_capacity=1, seat_number=1, department_id=department.id,
        topic_id=topic.id, booked_by_id=colleague.id, request_details="ซ้ำ", created_at=NOW,
    ))
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
    else:  # pragma: no cover - the database must refuse the second seat holder
        raise AssertionError("two active bookings held one seat")
    assert list(tmp_path.iterdir()) == []
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_files_check_reports_orphans_and_missing_files_and_fix_removes_orphans(app, booking, tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir(exist_ok=True)
    db.session.add(Document(booking_id=booking.id, filename="ผัง.pdf", stored_name="kept.pdf", kind="pdf", size=3,
                            sha256="0" * 64, uploaded_by_id=booking.booked_by_id))
    db.session.add(Document(booking_id=booking.id, filename="หาย.pdf", stored_name="gone.pdf", kind="pdf", size=3,
                            sha256="0" * 64, uploaded_by_id=booking.booked_by_id))
    db.session.commit()
    (folder / "kept.pdf").write_bytes(PDF)
    old_orphan = folder / "orphan.pdf"
    old_orphan.write_bytes(PDF)
    an_hour_ago = time.time() - 2 * 3600
    os.utime(old_orphan, (an_hour_ago, an_hour_ago))
    in_flight = folder / "uploading.pdf"  # written a moment ago: its booking may not have committed yet
    in_flight.write_bytes(PDF)
    runner = app.test_cli_runner()

    report = runner.invoke(args=["files", "check"])
    assert report.exit_code == 1
    assert f"orphan {old_orphan}" in report.output and "missing gone.pdf" in report.output
    assert "uploading.pdf" not in report.output and old_orphan.exists()

    fixed = runner.invoke(args=["files", "check", "--fix"])
    assert f"removed {old_orphan}" in fixed.output
    assert not old_orphan.exists() and in_flight.exists() and (folder / "kept.pdf").exists()
    assert fixed.exit_code == 1  # a document's file is still missing: that needs a person (restore it from backup)
