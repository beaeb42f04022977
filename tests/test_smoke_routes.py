import pytest


def test_home_page_is_public_and_thai(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "คลินิกให้คำปรึกษา" in response.get_data(as_text=True)


def test_pages_need_login(client):
    response = client.get("/casefile")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_officer_sees_case_file(login, officer, booking):
    client = login(officer)
    page = client.get("/casefile").get_data(as_text=True)
    assert booking.reference in page


def test_advisor_pages(login, advisor, booking):
    client = login(advisor)
    assert booking.reference in client.get("/advisor/sessions").get_data(as_text=True)
    assert client.get("/advisor/week?start=2026-12-02").status_code == 200
    assert client.get("/advisor/slots/new").status_code == 200
    assert client.get(f"/bookings/{booking.id}").status_code == 200


def test_liveness_and_readiness_are_public(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "checks": {"database": "ok"}}
    assert ready.headers["Cache-Control"] == "no-store"


@pytest.mark.own_app
def test_a_domain_error_no_route_catches_is_its_status_and_message_not_a_500(app, client):
    from clinic.errors import Conflict

    @app.get("/__refuse")
    def refuse():
        raise Conflict("ช่วงเวลานี้เพิ่งถูกจองไป")

    from clinic.web import PUBLIC_ENDPOINTS

    PUBLIC_ENDPOINTS.add("refuse")
    try:
        response = client.get("/__refuse")
    finally:
        PUBLIC_ENDPOINTS.discard("refuse")
    assert response.status_code == 409
    assert "ช่วงเวลานี้เพิ่งถูกจองไป" in response.get_data(as_text=True)


@pytest.mark.own_app
def test_a_statement_error_stays_a_500_and_is_not_called_an_outage(app, client):
    from sqlalchemy import text

    from clinic.extensions import db

    @app.get("/__broken")
    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))
        return "never"

    from clinic.web import PUBLIC_ENDPOINTS

    PUBLIC_ENDPOINTS.add("broken")
    app.testing = False  # let the 500 handler answer instead of re-raising into the test
    try:
        response = client.get("/__broken")
    finally:
        PUBLIC_ENDPOINTS.discard("broken")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
