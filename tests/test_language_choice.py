"""A user's language: chosen with the switch, kept on the account, back at the next sign-in, and the language of the
e-mails the user gets."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from clinic.accounts.services import create_user, set_language
from clinic.audit.models import AuditEvent
from clinic.errors import DomainError, NotAllowed
from clinic.extensions import db
from tests.factories import NOW, PASSWORD


def session_language(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("lang")


def stored_language(user) -> str:
    db.session.expire(user)
    return user.language


# -- the column ------------------------------------------------------------------------------------------------------


def test_a_new_user_speaks_thai(app, department):
    user = create_user(None, email="new@diw.go.th", name="นายใหม่", role="officer", password="a-new-officers-passphrase", now=NOW,
                       department=department)
    db.session.flush()
    assert stored_language(user) == "th"


def test_the_database_fills_in_thai_and_refuses_an_unknown_language(app):
    db.session.execute(text(
        "INSERT INTO users (email, name, position, role, password_hash, is_active, created_at) "
        "VALUES ('raw@opdc.go.th', 'ดิบ', '', 'advisor', 'x', :yes, :now)"
    ), {"yes": True, "now": NOW})
    assert db.session.scalar(text("SELECT language FROM users WHERE email = 'raw@opdc.go.th'")) == "th"
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("UPDATE users SET language = 'fr' WHERE email = 'raw@opdc.go.th'"))


# -- the service -----------------------------------------------------------------------------------------------------


def test_a_user_sets_their_own_language_and_the_change_is_audited(officer):
    set_language(officer, officer, "en", NOW)
    assert stored_language(officer) == "en"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.language_changed"))
    assert event.actor_id == officer.id and event.object_id == officer.id
    assert event.details == {"language": "en", "previous_language": "th"}

    set_language(officer, officer, "en", NOW)  # no change, no second event
    assert len(db.session.scalars(select(AuditEvent)).all()) == 1


def test_nobody_sets_another_users_language_but_an_administrator(officer, colleague, admin):
    with pytest.raises(NotAllowed):
        set_language(colleague, officer, "en", NOW)
    assert stored_language(officer) == "th"
    set_language(admin, officer, "en", NOW)
    assert stored_language(officer) == "en"


def test_an_unknown_language_is_refused(officer):
    with pytest.raises(DomainError):
        set_language(officer, officer, "fr", NOW)
    assert stored_language(officer) == "th"


# -- the switch and signing in ---------------------------------------------------------------------------------------


def test_the_language_switch_stores_the_choice_on_the_signed_in_user(login, officer):
    client = login(officer)
    assert client.get("/language/en").status_code == 302
    assert session_language(client) == "en"
    assert stored_language(officer) == "en"

    client.get("/language/th")
    assert stored_language(officer) == "th"


def test_an_unknown_language_in_the_switch_changes_nothing(login, officer):
    client = login(officer)
    assert client.get("/language/fr").status_code == 302
    assert stored_language(officer) == "th" and session_language(client) == "th"


def test_signing_in_brings_back_the_language_the_user_chose(app, login, officer):
    client = login(officer)
    client.get("/language/en")
    client.post("/logout")

    fresh = app.test_client()  # another day, another browser
    response = fresh.post("/login", data={"email": officer.email, "password": PASSWORD}, follow_redirects=True)
    assert session_language(fresh) == "en"
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_a_language_chosen_before_signing_in_is_kept_and_stored(client, officer):
    client.get("/language/en")
    client.post("/login", data={"email": officer.email, "password": PASSWORD})
    assert session_language(client) == "en"
    assert stored_language(officer) == "en"


def test_the_previous_users_language_does_not_overwrite_the_next_users(client, officer, colleague):
    colleague.language = "en"
    db.session.commit()
    client.post("/login", data={"email": colleague.email, "password": PASSWORD})
    assert session_language(client) == "en"
    client.post("/logout")  # the sign-in page stays English for whoever comes next
    assert session_language(client) == "en"

    client.post("/login", data={"email": officer.email, "password": PASSWORD})
    assert session_language(client) == "th"
    assert stored_language(officer) == "th"


def test_the_switch_works_signed_out_without_writing(client):
    assert client.get("/language/en").status_code == 302
    assert session_language(client) == "en"
    assert db.session.scalars(select(AuditEvent)).all() == []
