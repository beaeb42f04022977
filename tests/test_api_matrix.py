"""Who gets what from every API route, in the spirit of tests/test_authorization_matrix.py: the same scenario and
the same nine people, each calling with a personal token of their own (all scopes), plus a department's and a
ministry's service token. The API takes no cookie, so the cookie-based matrix leaves /api to this one.

A refused call changes nothing but the audit log (the call itself, and a 403's refusal); the answers of people outside
a department never show the markers planted in its data.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.accounts.models import User
from clinic.api.services import create_personal_token, create_service_token
from clinic.extensions import db
from clinic.organisations.models import Department
from tests.scenario import D_MARKERS, E_MARKERS, NOTE_MARKER, PEOPLE, open_world
from tests.snapshots import changes, restore, take

# Columns: the nine people of the scenario with personal tokens (anonymous: no token; deactivated: a token made
# before the account was deactivated), then `dept` (a service token of D) and `min` (of D's ministry).
EXPECTED = """
case            anon officer other_off coord other_coord advisor other_adv admin deact dept min
openapi         200  200     200       200   200         200     200       200   200   200  200
docs            200  200     200       200   200         200     200       200   200   200  200
topics          401  200     200       200   200         200     200       200   401   200  200
organisations   401  200     200       200   200         200     200       200   401   200  200
open_slots      401  200     200       200   200         403     403       403   401   200  200
book            401  422     422       422   422         403     403       403   401   422  422
booking         401  200     404       200   404         200     200       200   401   200  200
cancel          401  422     404       422   404         422     403       422   401   422  422
record          401  200     404       200   404         200     200       200   401   200  200
next_step       401  200     404       200   404         200     200       200   401   200  200
next_step_post  401  422     404       422   404         422     422       403   401   422  422
report          401  403     403       403   403         403     403       200   401   403  403
"""
COLUMNS = [*PEOPLE, "dept", "min"]

CASES = {
    "openapi": ("GET", "api.openapi", "/api/v1/openapi.json", None),
    "docs": ("GET", "api.docs", "/api/v1/docs", None),
    "topics": ("GET", "api.list_topics", "/api/v1/topics", None),
    "organisations": ("GET", "api.list_organisations", "/api/v1/organisations", None),
    "open_slots": ("GET", "api.list_open_slots", "/api/v1/topics/{topic}/slots", None),
    "book": ("POST", "api.create_booking", "/api/v1/bookings", {"request_details": ""}),
    "booking": ("GET", "api.read_booking", "/api/v1/bookings/{pending}", None),
    "cancel": ("POST", "api.cancel", "/api/v1/bookings/{pending}/cancel", {"reason": ""}),
    "record": ("GET", "api.read_record", "/api/v1/bookings/{recorded}/record", None),
    "next_step": ("GET", "api.read_next_step", "/api/v1/next-steps/{item}", None),
    # a valid status with a note too long: the service checks the policy first, then refuses the note
    "next_step_post": ("POST", "api.update_next_step", "/api/v1/next-steps/{item}/status",
                       {"status": "open", "note": "ก" * 1001}),
    "report": ("GET", "api.sessions_report", "/api/v1/reports/sessions", None),
}

FORBIDDEN = {
    "other_officer": {**D_MARKERS, "note": NOTE_MARKER},
    "other_coordinator": {**D_MARKERS, **{f"E {k}": v for k, v in E_MARKERS.items()}, "note": NOTE_MARKER},
    "officer": {"note": NOTE_MARKER, **{f"E {k}": v for k, v in E_MARKERS.items()}},
    "coordinator": {"note": NOTE_MARKER},
    "dept": {"note": NOTE_MARKER, **{f"E {k}": v for k, v in E_MARKERS.items()}},
    "min": {"note": NOTE_MARKER},
}


def parse(table: str) -> dict[str, dict[str, int]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    assert len(header) - 1 == len(COLUMNS)
    return {row[0]: dict(zip(COLUMNS, (int(v) for v in row[1:]), strict=True)) for row in rows}


EXPECTATIONS = parse(EXPECTED)


@pytest.fixture(scope="module")
def world(schema, tmp_path_factory):
    with open_world(schema, tmp_path_factory.mktemp("api-matrix")) as world:
        app = world.app
        with app.app_context():
            now = app.config["NOW"]()
            tokens: dict[str, str | None] = {"anonymous": None}
            admin = db.session.scalar(select(User).where(User.email == world.emails["admin"]))
            for person in PEOPLE[1:]:
                user = db.session.scalar(select(User).where(User.email == world.emails[person]))
                user.is_active_account = True  # the deactivated officer's token is made while the account worked
                tokens[person] = create_personal_token(user, "matrix", ("read", "book", "follow-up"), 90,
                                                       now - timedelta(days=1)).secret
            department = db.session.get(Department, world.ids["department"])
            tokens["dept"] = create_service_token(admin, "D", ("read", "book", "follow-up"), 90, now,
                                                  department=department).secret
            tokens["min"] = create_service_token(admin, "M", ("read", "book", "follow-up"), 90, now,
                                                 ministry=department.ministry).secret
            db.session.scalar(select(User).where(User.email == world.emails["deactivated"])).is_active_account = False
            db.session.commit()
            baseline = take()
        yield world, tokens, baseline


def call(world, token: str | None, method: str, url: str, body):
    client = world.app.test_client()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.open(url.format(**world.ids), method=method, json=body, headers=headers)
    return response.status_code, response.get_data(as_text=True), response.mimetype


def test_every_api_rule_has_a_case(world):
    app = world[0].app
    covered = {(endpoint, method) for method, endpoint, _url, _body in CASES.values()}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (rule.endpoint, method) in covered, f"no API expectation for {method} {rule.rule}"
    assert set(CASES) == set(EXPECTATIONS)


@pytest.mark.parametrize("name", list(CASES))
def test_each_token_gets_what_its_users_role_and_scope_allow(world, name):
    world, tokens, baseline = world
    method, _endpoint, url, body = CASES[name]
    for person in COLUMNS:
        status, text, mimetype = call(world, tokens[person], method, url, body)
        what = f"{method} {url} as {person}"
        assert status == EXPECTATIONS[name][person], (what, status, text[:300])
        if status >= 400:
            assert mimetype == "application/problem+json", (what, mimetype)
        leaked = {label for label, marker in FORBIDDEN.get(person, {}).items() if marker in text}
        assert not leaked, (what, "shows", leaked)
        with world.app.app_context():
            changed = changes(baseline)
            if changed:
                restore(baseline)
            others = [c for c in changed if not c.startswith("+audit_events(")]
            assert not others, (what, "wrote", others)
