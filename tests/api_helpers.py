"""Tokens and calls for the API tests."""

from clinic.api.services import create_personal_token, create_service_token
from clinic.extensions import db
from tests.factories import NOW

ALL_SCOPES = ("read", "book", "follow-up")


def personal_token(user, scopes=ALL_SCOPES, days=90) -> str:
    made = create_personal_token(user, "test", scopes, days, NOW)
    db.session.commit()
    return made.secret


def service_token(admin, ministry=None, department=None, scopes=ALL_SCOPES) -> str:
    made = create_service_token(admin, "i-Industry", scopes, 90, NOW, ministry=ministry, department=department)
    db.session.commit()
    return made.secret


def bearer(secret: str, language: str = "th") -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Accept-Language": language}


def booking_body(slot, topic, department, **overrides) -> dict:
    body = {"slot_id": slot.id, "topic_id": topic.id, "department_id": department.id,
            "request_details": "ขอคำปรึกษาการปรับโครงสร้างกอง",
            "attendees": [{"name": "นายอนุชา โรงงานดี", "position": "ผู้อำนวยการกอง"}]}
    body.update(overrides)
    return body
