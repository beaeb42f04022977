"""The database goes away and comes back: every page answers 503 with Retry-After meanwhile (from a page that
needs no database), readiness says so, liveness does not, and the app recovers by itself when the database
returns. The database is a throwaway PostgreSQL cluster of this module's own, never the shared one."""

import os
from collections.abc import Iterator

import pytest

from clinic import create_app
from clinic.extensions import db
from tests import factories
from tests.factories import NOW, PASSWORD
from tests.live import Cluster, can_run_clusters, throwaway_cluster

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="a database restart is tested with the PostgreSQL suite",
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not can_run_clusters():
        pytest.skip("needs PostgreSQL's server binaries and root (to run them as the postgres user)")
    with throwaway_cluster() as running:
        yield running


@pytest.fixture
def outage_app(cluster, tmp_path):
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": cluster.url, "SECRET_KEY": "outage", "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"), "MAIL_FOLDER": str(tmp_path / "mail"), "NOW": lambda: NOW,
    })
    with app.app_context():
        db.drop_all()
        db.create_all()
        officer = factories.make_user("officer", email="officer@diw.go.th")
        factories.make_booking(factories.make_slot(factories.make_user("advisor")), officer, factories.make_topic())
        db.session.commit()
        db.session.remove()
    yield app  # each request has an app context of its own, as in production
    with app.app_context():
        db.engine.dispose()


def signed_in(app):
    client = app.test_client()
    response = client.post("/login", data={"email": "officer@diw.go.th", "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_pages_answer_503_while_the_database_is_down_and_recover_by_themselves(cluster, outage_app):
    client = signed_in(outage_app)
    assert client.get("/casefile").status_code == 200

    cluster.stop()
    try:
        response = client.get("/casefile")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert "ระบบไม่พร้อมให้บริการชั่วคราว" in response.get_data(as_text=True)
        english = client.get("/casefile?lang=en")
        assert english.status_code == 503 and "temporarily unavailable" in english.get_data(as_text=True)
        assert client.post("/bookings/1/cancel", data={"cancel-reason": "x"}).status_code == 503
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json["checks"]["database"] == "failed"
        assert client.get("/healthz").status_code == 200
    finally:
        cluster.start()

    assert [client.get("/casefile").status_code for _ in range(20)] == [200] * 20
    assert client.get("/readyz").json == {"status": "ok", "checks": {"database": "ok"}}


def test_a_quiet_restart_costs_no_request(cluster, outage_app):
    """Pooled connections die with the server; each is tested before use, so no page load gets a dead one."""
    clients = [signed_in(outage_app) for _ in range(3)]
    assert all(c.get("/casefile").status_code == 200 for c in clients)
    cluster.stop()
    cluster.start()
    assert [c.get("/casefile").status_code for c in clients for _ in range(7)] == [200] * 21
