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
