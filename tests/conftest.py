"""Fixtures: a fresh database per test (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set),
an app pinned to a fixed time, and the people of the tests."""

import os
from datetime import timedelta

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import text

from clinic import create_app
from clinic.config import normalise_database_url
from clinic.extensions import db, limiter
from tests import factories
from tests.factories import NOW, PASSWORD


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def schema(database_url, tmp_path_factory):
    """Create the schema once per run, from the models (migrations are tested on their own)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        db.engine.dispose()
    return database_url


def test_config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20, "max_overflow": 220}
        if database_url.startswith("postgresql")
        else {},
        "SECRET_KEY": "test secret, long enough for a production check",
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "NOW": lambda: NOW,
    }


def empty_all_tables() -> None:
    """Delete every row, children first, and on PostgreSQL restart every sequence, so the next test starts as
    if from a new schema. On PostgreSQL the DELETEs go in one round trip: TRUNCATE of all tables takes 40-300 ms
    (it makes new files for every table and index), DELETE of a test's few rows a few milliseconds."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        statements = [f"DELETE FROM {t.name}" for t in tables]
        statements.append(
            "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
        )
        db.session.execute(text("; ".join(statements)))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


class CompiledTemplates(BytecodeCache):
    """Templates compiled once for the whole run, not once per test's new app (5 ms a template). Jinja checks
    each template's source against the checksum kept with its code, so an edited template is compiled again."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def new_app(config: dict):
    app = create_app(config)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


@pytest.fixture(scope="session")
def shared_app(schema, tmp_path_factory):
    """One app for every test that needs no configuration of its own. Building an app per test cost more than
    its routes: a new engine compiles every SQL statement again, and the URL map compiles every rule again."""
    app = new_app(test_config(schema, tmp_path_factory.mktemp("shared")))
    # Flask-Limiter is one object for the process: any app built later (a test's own, or one a test makes
    # with Redis configured) rebinds its storage. The shared app's tests put the shared app's back.
    app.extensions["tests.limiter_state"] = dict(limiter.__dict__)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(schema, tmp_path, request):
    """The app of one test, in an app context (so a session of its own), and every table empty when it ends.

    A test marked `config(...)` (settings read when the app is built) or `own_app` (it changes the app itself,
    adding routes), and every test when rate limits are not kept in memory, gets a new app. The others share
    one: for each test it gets this test's folders for uploads and mail, and empty rate-limit counters; its
    settings are put back when the test ends."""
    config = test_config(schema, tmp_path)
    marker = request.node.get_closest_marker("config")
    own = bool(marker or request.node.get_closest_marker("own_app"))
    if marker:
        config.update(marker.kwargs)
    if not own:
        app = request.getfixturevalue("shared_app")
        own = not app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
    if own:
        app = new_app(config)
    else:
        saved = app.config.copy()
        app.config.update(config)
        limiter.__dict__.update(app.extensions["tests.limiter_state"])
        limiter.reset()
    with app.app_context():
        yield app
        db.session.rollback()
        empty_all_tables()
        db.session.remove()
        if own or db.engine.pool.checkedin() > 2:
            # A test's own app goes, and so do the idle connections a test of many threads left in the shared
            # pool (a PostgreSQL server other runs share has few to spare). The shared engine keeps its cache
            # of compiled statements: disposing of an engine only replaces its pool.
            db.engine.dispose()
    if not own:
        app.config.clear()
        app.config.update(saved)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    def sign_in(user, password: str = PASSWORD):
        db.session.commit()  # what the test set up is real before any request (a request may roll back)
        client.post("/logout")
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def topic(app):
    return factories.make_topic(name_th="การปรับปรุงโครงสร้างการแบ่งส่วนราชการภายในกรม")


@pytest.fixture
def other_topic(app):
    return factories.make_topic(name_th="รางวัลเลิศรัฐ")


@pytest.fixture
def ministry(app):
    return factories.make_ministry(name_th="กระทรวงอุตสาหกรรม", abbreviation="อก.")


@pytest.fixture
def department(ministry):
    return factories.make_department(ministry, name_th="กรมโรงงานอุตสาหกรรม", abbreviation="กรอ.")


@pytest.fixture
def sister_department(ministry):
    return factories.make_department(ministry, name_th="กรมส่งเสริมอุตสาหกรรม", abbreviation="กสอ.")


@pytest.fixture
def officer(department):
    return factories.make_user("officer", department=department, name="นายอนุชา โรงงานดี", email="officer@diw.go.th")


@pytest.fixture
def colleague(department):
    return factories.make_user("officer", department=department, name="นางสาวสุดา ร่วมกรม")


@pytest.fixture
def sister_officer(sister_department):
    return factories.make_user("officer", department=sister_department, name="นางพิมพ์ ส่งเสริม")


@pytest.fixture
def other_department_officer(app):
    return factories.make_user("officer", name="นายธนากร ต่างกรม")


@pytest.fixture
def coordinator(ministry):
    return factories.make_user("coordinator", ministry=ministry, name="นางรัตนา ประสานงาน")


@pytest.fixture
def advisor(topic):
    return factories.make_user("advisor", name="นายสมชาย ใจดี", email="somchai@opdc.go.th", expertise=[topic])


@pytest.fixture
def other_advisor(topic):
    return factories.make_user("advisor", name="นางวิไล รักษ์ดิจิทัล", expertise=[topic])


@pytest.fixture
def admin(app):
    return factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล", email="admin@opdc.go.th")


@pytest.fixture
def slot(advisor):
    return factories.make_slot(advisor, NOW + timedelta(days=7))


@pytest.fixture
def booking(slot, officer, topic):
    return factories.make_booking(slot, officer, topic)
