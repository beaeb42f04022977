"""One fixed scenario, built once for a whole test module, with every kind of person signed in: the authorization
matrix and the hostile-input properties send all their requests against it.

Department D (ministry M) has a pending booking with a document and a past confirmed booking with a published
record, an action item and an internal note; D's sister department E has a booking of its own; ministry N has a
department F. Marker strings planted in D's and E's data let a test search every answer for a leak.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import update

from clinic import create_app
from clinic.accounts.models import User
from clinic.bookings.models import Attendee, Document
from clinic.extensions import db
from clinic.records.models import InternalNote
from tests import conftest, factories
from tests.factories import NOW, PASSWORD
from tests.snapshots import Baseline, take

D_MARKERS = {
    "reference": "OPDC-ZQREFD-0001",
    "request details": "ZQ-DETAILS-D-7F3A",
    "attendee": "ZQ-ATTENDEE-D-19C2",
    "document name": "ZQ-FILENAME-D-55B1",
    "record booking details": "ZQ-DETAILS-D2-0E7D",
    "record attendee": "ZQ-ATTENDEE-D2-A4F0",
    "guidance": "ZQ-GUIDANCE-D-3C8E",
    "issues raised": "ZQ-ISSUES-D-B61D",
    "action item": "ZQ-ITEM-D-92AF",
    "action item progress": "ZQ-PROGRESS-D-4D07",
}
NOTE_MARKER = "ZQ-INTERNAL-NOTE-D-E2C9"
E_MARKERS = {"reference": "OPDC-ZQREFE-0001", "request details": "ZQ-DETAILS-E-6B3F", "attendee": "ZQ-ATTENDEE-E-C5A8"}

PDF = b"%PDF-1.4\n%%EOF\n"

# The people, by the names the tests use for them.
PEOPLE = (
    "anonymous",  # nobody signed in
    "officer",  # an officer of D
    "other_officer",  # an officer of E, D's sister department in the same ministry
    "coordinator",  # the coordinator of D's ministry
    "other_coordinator",  # the coordinator of another ministry
    "advisor",  # the advisor whose slots the bookings are on
    "other_advisor",
    "admin",
    "deactivated",  # an officer of D who signed in, then was deactivated: their old session cookie is used
)


class World:
    """The app, the scenario's ids, each person's session cookie and e-mail, and every row as built."""

    def __init__(self, app: Flask, ids: dict[str, int], cookies: dict[str, str | None], baseline: Baseline,
                 upload_folder: str, emails: dict[str, str]) -> None:
        self.app, self.ids, self.cookies, self.baseline = app, ids, cookies, baseline
        self.upload_folder, self.emails = upload_folder, emails

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example: keep the cookies out
        return f"World(ids={self.ids})"


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    text: str  # the body, decoded, and the headers


def build_scenario(upload_folder: str) -> dict[str, Any]:
    m = factories.make_ministry(name_th="กระทรวงอุตสาหกรรม", abbreviation="อก.")
    d = factories.make_department(m, name_th="กรมโรงงานอุตสาหกรรม", abbreviation="กรอ.")
    e = factories.make_department(m, name_th="กรมส่งเสริมอุตสาหกรรม", abbreviation="กสอ.")
    n = factories.make_ministry(name_th="กระทรวงการคลัง", abbreviation="กค.")
    factories.make_department(n, name_th="กรมบัญชีกลาง", abbreviation="บก.")
    topic = factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")
    people = {
        "officer": factories.make_user("officer", department=d, name="นายอนุชา โรงงานดี"),
        "other_officer": factories.make_user("officer", department=e, name="นางพิมพ์ ส่งเสริม"),
        "coordinator": factories.make_user("coordinator", ministry=m, name="นางรัตนา ประสานงาน"),
        "other_coordinator": factories.make_user("coordinator", ministry=n, name="นายคลัง ประสาน"),
        "advisor": factories.make_user("advisor", name="นายสมชาย ใจดี", expertise=[topic]),
        "other_advisor": factories.make_user("advisor", name="นางวิไล รักษ์ดิจิทัล", expertise=[topic]),
        "admin": factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล"),
        "deactivated": factories.make_user("officer", department=d, name="นายพ้น ตำแหน่ง"),
    }
    officer, advisor = people["officer"], people["advisor"]

    slot = factories.make_slot(advisor, NOW + timedelta(days=7), capacity=3)
    pending = factories.make_booking(slot, officer, topic, reference=D_MARKERS["reference"],
                                     request_details=f"ขอคำปรึกษา {D_MARKERS['request details']}")
    pending.attendees[0].name = f"นาย {D_MARKERS['attendee']}"
    with open(os.path.join(upload_folder, "d.pdf"), "wb") as file:
        file.write(PDF)
    document = Document(booking=pending, filename=f"{D_MARKERS['document name']}.pdf", stored_name="d.pdf",
                        kind="pdf", size=len(PDF), sha256="0" * 64, uploaded_by_id=officer.id, uploaded_at=NOW)
    db.session.add(document)

    held = factories.make_slot(advisor, NOW - timedelta(days=2))
    recorded = factories.make_booking(held, officer, topic, status="confirmed",
                                      request_details=f"ขอคำปรึกษา {D_MARKERS['record booking details']}")
    recorded.attendees.append(Attendee(name=f"นาง {D_MARKERS['record attendee']}", position="ผู้อำนวยการกอง"))
    record = factories.make_published_record(recorded, advisor, guidance=f"ควร {D_MARKERS['guidance']}",
                                             items=[(f"ส่ง {D_MARKERS['action item']}", "department")])
    revision = record.revisions[0]
    revision.issues_raised = f"ประเด็น {D_MARKERS['issues raised']}"
    item = record.action_items[0]
    item.progress_note = f"คืบหน้า {D_MARKERS['action item progress']}"
    db.session.add(InternalNote(booking_id=recorded.id, author_id=advisor.id, body=f"ลับ {NOTE_MARKER}",
                                created_at=NOW))

    sister = factories.make_booking(slot, people["other_officer"], topic, seat_number=2,
                                    reference=E_MARKERS["reference"],
                                    request_details=f"ขอคำปรึกษา {E_MARKERS['request details']}")
    sister.attendees[0].name = f"นาย {E_MARKERS['attendee']}"
    db.session.flush()
    ids = {"topic": topic.id, "slot": slot.id, "pending": pending.id, "recorded": recorded.id,
           "document": document.id, "revision": revision.id, "item": item.id, "department": d.id,
           "sister": sister.id, "attendee": recorded.attendees[0].id, "user": officer.id, "advisor": advisor.id,
           "admin": people["admin"].id, "ministry": d.ministry_id}
    db.session.commit()
    return {"ids": ids, "people": {name: (user.id, user.email) for name, user in people.items()}}


@contextmanager
def open_world(schema: str, folder: str, **config: Any) -> Iterator[World]:
    """An app of its own with the scenario committed and everyone signed in (the deactivated officer was
    deactivated after signing in); every table is emptied at the end."""
    app = create_app({**conftest.test_config(schema, folder), **config})
    uploads = app.config["UPLOAD_FOLDER"]
    os.makedirs(uploads, exist_ok=True)
    try:
        with app.app_context():
            built = build_scenario(uploads)
        cookies: dict[str, str | None] = {"anonymous": None}
        for person, (_user_id, email) in built["people"].items():
            client = app.test_client()
            response = client.post("/login", data={"email": email, "password": PASSWORD})
            assert response.status_code == 302, person
            cookies[person] = client.get_cookie("session").value
        with app.app_context():
            deactivated = built["people"]["deactivated"][0]
            db.session.execute(update(User).where(User.id == deactivated).values(is_active_account=False))
            db.session.commit()
            baseline = take()
        yield World(app=app, ids=built["ids"], cookies=cookies, baseline=baseline, upload_folder=uploads,
                    emails={person: email for person, (_id, email) in built["people"].items()})
    finally:
        with app.app_context():
            db.session.rollback()
            conftest.empty_all_tables()
            db.session.remove()
            db.engine.dispose()


def send(world: World, person: str, method: str, url: str, **options: Any) -> Answer:
    """One request as `person`, from a new client carrying their session cookie (so what one request changes in
    the cookie, such as the language or a sign-out, does not follow into the next), in an app context of its own."""
    client = world.app.test_client()
    cookie = world.cookies[person]
    if cookie is not None:
        client.set_cookie("session", cookie)
    response = client.open(url, method=method, **options)
    try:
        text = response.get_data().decode("utf-8", "replace") + "\n" + str(response.headers)
    finally:
        response.close()
        if hasattr(options.get("input_stream"), "close"):
            options["input_stream"].close()
    return Answer(response.status_code, response.headers.get("Location", ""), text)
