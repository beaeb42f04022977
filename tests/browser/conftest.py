"""Browser tests: Playwright drives Debian's Chromium against the app served from a thread.

The app is the one the unit tests use (same database, same pinned clock NOW), with CSRF on, because the
browser submits the real forms. Data is set up with tests.factories and committed; every test ends with
empty tables.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import WSGIRequestHandler, make_server

from clinic import create_app
from clinic.extensions import db
from tests.conftest import empty_all_tables, test_config
from tests.factories import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium fonts-thai-tlwg)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {
        **browser_context_args,
        "locale": "th-TH",
        "timezone_id": "Asia/Bangkok",
        "viewport": {"width": 1280, "height": 900},
        "accept_downloads": True,
    }


class QuietHandler(WSGIRequestHandler):
    """No access log: a failing test's output shows the assertion, not every static file."""

    def log_request(self, code="-", size="-") -> None:
        pass


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture(scope="session")
def live_server(schema, tmp_path_factory) -> Iterator[LiveServer]:
    """The app on a free port of 127.0.0.1, served by werkzeug in a daemon thread for the whole run."""
    config = test_config(schema, tmp_path_factory.mktemp("browser"))
    config["WTF_CSRF_ENABLED"] = True
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-playwright gives every browser context this base URL, so tests go to '/login'."""
    return live_server.url


@pytest.fixture(autouse=True)
def live(live_server: LiveServer) -> Iterator[LiveServer]:
    """Autouse, so it is set up before `page` and torn down after it: the tables are emptied once the
    browser context is closed and no request is in flight."""
    yield live_server
    with live_server.app.app_context():
        db.session.rollback()
        empty_all_tables()
        db.session.remove()


@pytest.fixture
def data(live: LiveServer):
    """`with data():` runs factory code in an app context and commits it, so the server thread sees it.
    The objects are detached afterwards: keep the ids, emails and references you need inside the block."""

    @contextmanager
    def setting_up():
        with live.app.app_context():
            yield db.session
            db.session.commit()
            db.session.expunge_all()

    return setting_up


def shot(page: Page, name: str) -> None:
    """A full-page screenshot into tests/screenshots/ (gitignored), for a person to look at."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def log_in(page: Page, email: str, password: str = PASSWORD, screenshot: str | None = None) -> None:
    """Sign in through the login form, as a person would."""
    page.goto("/login")
    expect(page.get_by_role("heading", name="เข้าสู่ระบบ")).to_be_visible()
    page.get_by_label("อีเมล").fill(email)
    page.get_by_label("รหัสผ่าน").fill(password)
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page.get_by_test_id("who")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_test_id("who").click()  # the user's menu
    page.get_by_role("button", name="ออกจากระบบ").click()
    expect(page.get_by_role("link", name="เข้าสู่ระบบ")).to_be_visible()


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, with a 10 s limit on each action so a missing element fails fast."""
    page.set_default_timeout(10_000)
    return page
