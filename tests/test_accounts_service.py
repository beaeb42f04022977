"""Real accounts are hashed with scrypt.

The factories give their users a cheap one-iteration hash so the suite's many sign-ins stay fast; these tests
make sure that is a test shortcut only: the account service (which the CLI and the demo data use too) hashes
with scrypt, and such an account signs in through the form. The CLI's own check is in test_migrations_and_cli.
"""

from clinic.accounts.services import authenticate, create_user
from clinic.extensions import db

PASSWORD = "a-long-enough-password"


def test_accounts_created_by_the_service_are_hashed_with_scrypt(department, now):
    user = create_user(None, email="New.Officer@DIW.go.th", name="นายใหม่ ทดสอบ", role="officer",
                       password=PASSWORD, now=now, department=department)
    db.session.commit()
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert authenticate("new.officer@diw.go.th", PASSWORD) is user
    assert authenticate("new.officer@diw.go.th", PASSWORD + "x") is None


def test_an_account_hashed_with_scrypt_signs_in_through_the_form(login, department, now):
    user = create_user(None, email="scrypt@diw.go.th", name="นางสาวรหัส ยาวพอ", role="officer",
                       password=PASSWORD, now=now, department=department)
    client = login(user, PASSWORD)
    assert user.password_hash.startswith("scrypt:")
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200 and "นางสาวรหัส ยาวพอ" in page.get_data(as_text=True)
