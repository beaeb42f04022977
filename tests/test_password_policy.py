"""Which passwords are accepted (NIST SP 800-63B): 12 to 128 characters, no composition rules, nothing common,
breached, repetitive, sequential or personal; the same rule wherever a password is set."""

import time

import pytest
from sqlalchemy import func, select

from clinic.accounts.models import User
from clinic.accounts.passwords import (
    COMMON,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PATTERN,
    PERSONAL,
    TOO_LONG,
    TOO_SHORT,
    common_passwords,
    password_problem,
)
from clinic.accounts.services import create_user
from clinic.errors import DomainError
from clinic.extensions import db

EMAIL, NAME = "somchai.advisor@opdc.go.th", "นายสมชาย ใจดี"


@pytest.mark.parametrize("password", [
    "correct horse battery",  # a passphrase: no digits, no symbols, no capitals, and fine
    "7h9Kq2mP4xZ1",  # 12 random characters
    "ขอให้วันนี้เป็นวันที่ดี",  # Thai counts its characters like any other script
    "x" * 3 + "a slow green river" + "!",
    "a" * 2 + "b" * 2 + "cdefg " * 20,  # 126 characters
])
def test_long_enough_uncommon_passwords_are_accepted_without_composition_rules(app, password):
    assert password_problem(password, EMAIL, NAME) is None


def test_too_short_says_the_minimum(app):
    assert password_problem("k7#pQ2vL9z", EMAIL, NAME) == str(TOO_SHORT)
    assert str(MIN_PASSWORD_LENGTH) in str(TOO_SHORT)
    assert password_problem("", EMAIL, NAME) == str(TOO_SHORT)


def test_too_long_says_the_maximum_and_costs_nothing(app):
    huge = "q" + "7h9Kq2mP4xZ1" * 17_000  # about 200 KB
    started = time.perf_counter()
    assert password_problem(huge, EMAIL, NAME) == str(TOO_LONG)
    assert time.perf_counter() - started < 0.01
    assert str(MAX_PASSWORD_LENGTH) in str(TOO_LONG)
    assert password_problem("7h9Kq2mP4xZ1" * 11, EMAIL, NAME) == str(TOO_LONG)  # 132


@pytest.mark.parametrize("password", [
    "password1234", "P@ssw0rd2024!", "iloveyou1234", "qwerty123456", "passwordpassword", "monkeymonkey",
    "Opdc-Clinic-2024", "opdc2569!!!!", "CLINIC123456", "l;ylfu123456",  # สวัสดี, keyboard in English
    "สวัสดีครับ12345678", "tomyumkung2566", "iydot iydot 99",  # รักนะ twice
])
def test_common_and_breached_passwords_and_their_padded_variants_are_refused(app, password):
    assert password_problem(password, EMAIL, NAME) == str(COMMON)


@pytest.mark.parametrize("password", [
    "aaaaaaaaaaaa", "abababababab", "123123123123", "1234567890123", "0987654321098", "abcdefghijkl",
    "zyxwvutsrqpo", "qwertyuiop[]", "1qaz2wsx3edc", "1q2w3e4r5t6y", "๑๒๓๔๕๖๗๘๙๐๑๒", "a b a b a b a b a b",
])
def test_repeated_characters_sequences_and_keyboard_walks_are_refused(app, password):
    assert password_problem(password, EMAIL, NAME) == str(PATTERN)


@pytest.mark.parametrize(("password", "email", "name"), [
    ("somchai is my name ok", EMAIL, NAME),
    ("the somchai.advisor account", EMAIL, NAME),
    ("สมชายรักงานราชการ", EMAIL, NAME),  # the name without its title
    ("vo6=k is my name", "officer@diw.go.th", "นายอนุชา โรงงานดี"),  # อนุชา typed with the keyboard in English
    ("my officer password", "officer@diw.go.th", "นายอนุชา โรงงานดี"),
])
def test_the_persons_own_email_and_name_are_refused(app, password, email, name):
    assert password_problem(password, email, name) == str(PERSONAL)


def test_the_shipped_list_says_where_it_comes_from_and_holds_the_known_entries(app):
    from importlib.resources import files

    header = files("clinic.accounts").joinpath("common_passwords.txt").read_text(encoding="utf-8")[:2000]
    assert "Royce Williams" in header and "Django 5.2.19" in header and "keyboard walks" in header
    common = common_passwords()
    assert len(common) > 20_000
    for entry in ("123456", "password", "iloveyou", "qwertyuiop", "opdc", "l;ylfu", "คลินิก", "#1pimp"):
        assert entry in common, entry
    assert not any(entry.startswith("# ") for entry in common)


def test_messages_are_in_the_readers_language(app):
    with app.test_request_context("/?lang=en"):
        assert password_problem("short", EMAIL, NAME) == "The password must be at least 12 characters long."
        assert "common or breached" in password_problem("password1234", EMAIL, NAME)


def test_creating_an_account_applies_the_policy_and_changes_nothing_when_refused(app, department, now):
    with pytest.raises(DomainError) as refused:
        create_user(None, email="new@diw.go.th", name="นายใหม่ ทดสอบ", role="officer", password="password1234",
                    now=now, department=department)
    assert refused.value.field == "password" and refused.value.message == str(COMMON)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_the_command_line_applies_the_policy(app):
    runner = app.test_cli_runner()
    for password, message in (("qwerty123456", "รหัสผ่านนี้มีในรายการ"), ("short", "อย่างน้อย 12"),
                              ("x" * 300, "ไม่เกิน 128")):
        result = runner.invoke(args=["users", "create", "--email", "root@opdc.go.th", "--name", "ผู้ดูแลระบบ",
                                     "--role", "admin", "--password-stdin"], input=password + "\n")
        assert result.exit_code != 0 and message in result.output, result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
