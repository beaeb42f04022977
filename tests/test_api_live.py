"""The API against a live gunicorn: a client GENERATED from the OpenAPI document (openapi-python-client) books, reads
and follows up a session; and many API clients racing for one seat get exactly one booking, as through the pages."""

import importlib
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.live import (
    api_booking,
    api_call,
    api_tokens,
    database_like_the_suite,
    gunicorn,
    scalar,
    seed,
    unique_tag,
)

pytestmark = pytest.mark.slow


def add_held_session(url: str, officer_email: str, advisor_email: str, topic_id: int) -> int:
    """A confirmed session of last week with a published record and one next step for the department; its id."""
    from clinic import create_app
    from clinic.accounts.models import User
    from clinic.extensions import db
    from clinic.organisations.models import Topic
    from tests import factories
    from tests.live import SECRET_KEY

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        officer = db.session.query(User).filter_by(email=officer_email).one()
        advisor = db.session.query(User).filter_by(email=advisor_email).one()
        held = factories.make_slot(advisor, datetime.now(UTC) - timedelta(days=7))
        booking = factories.make_booking(held, officer, db.session.get(Topic, topic_id), status="confirmed")
        factories.make_published_record(booking, advisor, items=[("ส่งร่างโครงสร้างใหม่", "department")])
        db.session.commit()
        booking_id = booking.id
        db.session.remove()
        db.engine.dispose()
    return booking_id


def generate_client(base: str, folder: Path):
    """openapi-python-client, run on the document the server serves, into `folder`; the imported package."""
    import urllib.request

    spec = folder / "openapi.json"
    with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=30) as response:
        spec.write_bytes(response.read())
    config = folder / "config.yaml"
    config.write_text("project_name_override: clinic-api-client\npackage_name_override: clinic_api_client\n")
    out = folder / "generated"
    command = [str(Path(sys.executable).with_name("openapi-python-client")), "generate", "--path", str(spec),
               "--output-path", str(out), "--config", str(config), "--meta", "none"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    (folder / "clinic_api_client").symlink_to(out, target_is_directory=True)
    importlib.invalidate_caches()
    return importlib.import_module("clinic_api_client")


def test_a_generated_client_books_reads_and_follows_up(tmp_path):
    tag = unique_tag()
    with database_like_the_suite(f"api_{tag}") as url:
        seeded = seed(url, officers=1, capacities=[1], tag=tag)
        held_id = add_held_session(url, seeded.emails[0], f"advisor.{tag}@bench.go.th", seeded.topic_id)
        [secret] = api_tokens(url, seeded.emails)
        with gunicorn(url) as server:
            package = generate_client(server.base, tmp_path)
            from clinic_api_client.api.bookings import create_booking, read_booking, read_record
            from clinic_api_client.api.next_steps import update_next_step
            from clinic_api_client.api.topics import list_open_slots
            from clinic_api_client.models import ActionStatus, AttendeeIn, BookingIn, NextStepUpdate

            client = package.AuthenticatedClient(base_url=server.base + "/api/v1", token=secret,
                                                  headers={"Accept-Language": "en"})
            with client as client:
                slots = list_open_slots.sync(topic_id=seeded.topic_id, client=client)
                assert [s.id for s in slots] == seeded.slot_ids
                made = create_booking.sync_detailed(client=client, body=BookingIn(
                    slot_id=slots[0].id, topic_id=seeded.topic_id, department_id=seeded.department_ids[0],
                    request_details="ขอคำปรึกษาการปรับโครงสร้างกอง",
                    attendees=[AttendeeIn(name="นายทดสอบ ระบบ", position="ผู้อำนวยการกอง")]))
                assert made.status_code == 201, made.content
                booking = read_booking.sync(booking_id=made.parsed.id, client=client)
                assert booking.reference == made.parsed.reference and booking.status.value == "pending"

                record = read_record.sync(booking_id=held_id, client=client)
                assert [r.number for r in record.revisions] == [1]
                step = record.next_steps[0]
                updated = update_next_step.sync(item_id=step.id, client=client, body=NextStepUpdate(
                    status=ActionStatus.IN_PROGRESS, note="ส่งร่างให้ ก.พ.ร. แล้ว"))
                assert updated.status == ActionStatus.IN_PROGRESS and updated.progress_note.startswith("ส่งร่าง")

                taken = create_booking.sync_detailed(client=client, body=BookingIn(
                    slot_id=slots[0].id, topic_id=seeded.topic_id, department_id=seeded.department_ids[0],
                    request_details="อีกครั้ง", attendees=[AttendeeIn(name="นาย ก", position="ข")]))
                assert taken.status_code == 409 and b"already" in taken.content  # one seat per department, in English
        assert scalar(url, "SELECT count(*) FROM audit_events WHERE action = 'api.called'") >= 6


RACERS = 30


@pytest.mark.parametrize("capacity", [1, 3])
def test_concurrent_api_bookings_of_one_slot_leave_exactly_its_capacity(capacity):
    """RACERS departments book the same slot through the API at once: exactly `capacity` bookings, every other
    call a clear 409 problem, no server error."""
    tag = unique_tag()
    with database_like_the_suite(f"apirace_{tag}") as url:
        seeded = seed(url, officers=RACERS, capacities=[capacity], tag=tag, migrations=False)
        secrets = api_tokens(url, seeded.emails)
        with gunicorn(url, workers=2, threads=8) as server:
            def book(n: int):
                return api_call(server.base, "POST", "/bookings", secrets[n], api_booking(seeded, seeded.slot_ids[0], n))

            with ThreadPoolExecutor(max_workers=RACERS) as pool:
                answers = list(pool.map(book, range(RACERS)))
        statuses = Counter(status for status, _body in answers)
        assert statuses == {201: capacity, 409: RACERS - capacity}, statuses
        assert all("เพิ่งถูกจอง" in body["detail"] for status, body in answers if status == 409)
        assert scalar(url, "SELECT count(*) FROM bookings WHERE status IN ('pending', 'confirmed')") == capacity
