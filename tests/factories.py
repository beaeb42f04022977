"""Factories with sensible defaults; every test names only what matters to it."""

import itertools
from datetime import UTC, datetime, timedelta

from werkzeug.security import generate_password_hash

from clinic.accounts.models import PRIVACY_NOTICE_VERSION, User
from clinic.bookings.models import Attendee, Booking
from clinic.extensions import db
from clinic.organisations.models import Department, Ministry, Topic
from clinic.records.models import ActionItem, ConsultationRecord, RecordRevision
from clinic.scheduling.models import Slot

# Wednesday 25 November 2026, 10:00 in Bangkok: a working day, no holiday.
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
# The factories' users carry a one-iteration PBKDF2 hash: checking it costs microseconds, where the scrypt hash
# that real accounts get (clinic.accounts.models.User.set_password) costs ~100 ms per sign-in, and the suite signs
# in ~150 times. Werkzeug checks either kind, so sign-in behaves the same; tests/test_accounts_service.py proves
# that accounts made by the service and the CLI are hashed with scrypt.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")

_counter = itertools.count(1)


def unique() -> int:
    return next(_counter)


def make_ministry(**overrides) -> Ministry:
    n = unique()
    values = {"code": f"TEST-M{n}", "name_th": f"กระทรวงทดสอบ {n}", "name_en": f"Ministry {n}", "abbreviation": f"ทส{n}."}
    ministry = Ministry(**{**values, **overrides})
    db.session.add(ministry)
    db.session.flush()
    return ministry


def make_department(ministry: Ministry | None = None, **overrides) -> Department:
    n = unique()
    values = {"code": f"TEST-D{n}", "name_th": f"กรมทดสอบ {n}", "name_en": f"Department {n}", "abbreviation": f"กท{n}."}
    department = Department(ministry=ministry or make_ministry(), **{**values, **overrides})
    db.session.add(department)
    db.session.flush()
    return department


def make_topic(**overrides) -> Topic:
    n = unique()
    topic = Topic(**{"code": f"TEST-T{n}", "name_th": f"หัวข้อ {n}", "name_en": f"Topic {n}", **overrides})
    db.session.add(topic)
    db.session.flush()
    return topic


def make_user(role: str = "officer", **overrides) -> User:
    n = unique()
    # Test people have read the privacy notice in force (tests of the notice pass privacy_notice_version=None).
    values = {"email": f"user{n}@example.go.th", "name": f"ผู้ใช้ {n}", "position": "นักวิเคราะห์", "role": role,
              "privacy_notice_version": PRIVACY_NOTICE_VERSION, "privacy_notice_acknowledged_at": NOW}
    values.update(overrides)
    if role == "officer" and "department" not in values and "department_id" not in values:
        values["department"] = make_department()
    if role == "coordinator" and "ministry" not in values and "ministry_id" not in values:
        values["ministry"] = make_ministry()
    expertise = values.pop("expertise", [])
    user = User(password_hash=PASSWORD_HASH, **values)
    user.expertise = list(expertise)
    db.session.add(user)
    db.session.flush()
    return user


def make_slot(advisor: User, starts_at: datetime | None = None, **overrides) -> Slot:
    starts_at = starts_at or NOW + timedelta(days=7)
    values = {
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "capacity": 1,
        "mode": "onsite",
        "location": "ห้องประชุม 1",
        "status": "open",
        "created_at": NOW,
    }
    slot = Slot(advisor=advisor, **{**values, **overrides})
    db.session.add(slot)
    db.session.flush()
    return slot


def make_booking(slot: Slot, officer: User, topic: Topic, **overrides) -> Booking:
    values = {
        "reference": f"OPDC-T-{unique():05d}",
        "seat_number": 1,
        "status": "pending",
        "request_details": "ขอคำปรึกษาเรื่องโครงสร้าง",
        "created_at": NOW,
    }
    values.update(overrides)
    booking = Booking(
        slot=slot, slot_capacity=slot.capacity, department_id=officer.department_id, topic=topic,
        booked_by=officer, attendees=[Attendee(name="นายทดสอบ ระบบ", position="นักวิเคราะห์")], **values,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def make_published_record(booking: Booking, advisor: User, guidance: str = "ควรทบทวนภารกิจ", items=()) -> ConsultationRecord:
    record = ConsultationRecord(booking=booking, created_by_id=advisor.id, created_at=NOW)
    db.session.add(record)
    db.session.flush()
    db.session.add(RecordRevision(record=record, number=1, guidance=guidance, issues_raised="ประเด็น",
                                  attendance="2 คน", author_id=advisor.id, created_at=NOW, updated_at=NOW,
                                  published_at=NOW, published_by_id=advisor.id))
    for description, owner in items:
        db.session.add(ActionItem(record=record, department_id=booking.department_id, description=description,
                                  owner=owner, due_on=(NOW + timedelta(days=14)).date(), status="open",
                                  created_at=NOW, updated_at=NOW, published_at=NOW))
    db.session.flush()
    db.session.expire(record)
    return record
