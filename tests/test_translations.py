"""English: the catalogue covers every message in the sources, the committed .mo matches the .po, placeholders
survive translation, and pages read in English after /language/en (and in Thai again after /language/th).

When one of the catalogue tests fails, update the catalogue as README.md ("Translations") describes."""

import re
from collections import Counter
from functools import cache
from pathlib import Path

import flask_babel
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from tests.factories import make_published_record

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "clinic" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
HOW_TO_FIX = "update the catalogue as README.md, 'Translations', describes"

THAI = re.compile(r"[\u0e00-\u0e7f]")
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\*|\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]")


def msgid_key(message_id) -> str:
    """A plural message is a (singular, plural) pair; the catalogue keys it by the singular."""
    return message_id[0] if isinstance(message_id, tuple | list) else message_id


def as_strings(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


@cache
def source_messages() -> dict[str, list[str]]:
    """Every msgid in clinic/**.py and templates/**.html, as babel.cfg extracts them, with where it was found."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config, str(ROOT / "babel.cfg"))
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        found.setdefault(msgid_key(message), []).append(f"{filename}:{lineno}")
    return found


@cache
def po_catalogue():
    with open(PO, "rb") as f:
        return read_po(f, locale="en")


def translated(catalogue) -> dict[str, tuple[str, ...]]:
    return {msgid_key(m.id): as_strings(m.string) for m in catalogue if m.id}


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


# -- the catalogue ------------------------------------------------------------------------------------------------


def test_the_sources_are_marked_for_translation():
    assert len(source_messages()) > 200
    assert "แฟ้มเรื่องของส่วนราชการ" in source_messages()  # a template string
    assert "รอยืนยัน" in source_messages()  # an _l() string in clinic/i18n.py


def test_every_message_in_the_sources_has_an_english_translation():
    catalogue = po_catalogue()
    missing = []
    for msgid, where in source_messages().items():
        message = catalogue.get(msgid)
        if message is None or not all(s.strip() for s in as_strings(message.string)):
            missing.append(f"{msgid!r} ({', '.join(where[:2])})")
    assert not missing, f"untranslated; {HOW_TO_FIX}:\n" + "\n".join(missing)


def test_no_translation_is_fuzzy():
    catalogue = po_catalogue()
    assert not catalogue.fuzzy, "the .po header is fuzzy, so pybabel compile would skip the whole file"
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries are not compiled; check and unmark them: {fuzzy}"


def test_the_catalogue_and_template_follow_the_sources():
    with open(POT, "rb") as f:
        template = {msgid_key(m.id) for m in read_po(f) if m.id}
    sources = set(source_messages())
    assert template == sources, f"messages.pot is stale; {HOW_TO_FIX}"
    stale = set(translated(po_catalogue())) - sources
    assert not stale, f"translations of strings no longer in the sources; {HOW_TO_FIX}: {sorted(stale)}"


def test_the_committed_mo_is_compiled_from_the_po():
    with open(MO, "rb") as f:
        compiled = read_mo(f)
    assert translated(compiled) == translated(po_catalogue()), f"messages.mo is stale; {HOW_TO_FIX}"
    # and gettext, as Flask-Babel uses it, finds them in the .mo
    runtime = Translations.load(str(TRANSLATIONS), ["en"])
    for msgid, (msgstr, *_plural) in translated(po_catalogue()).items():
        assert runtime.gettext(msgid) == msgstr


def test_placeholders_survive_translation():
    wrong = []
    for message in po_catalogue():
        if not message.id:
            continue
        ids, strings = as_strings(message.id), as_strings(message.string)
        expected = placeholders(ids[0])
        for msgstr in strings:
            if placeholders(msgstr) != expected:
                wrong.append(f"{message.id!r}: {msgstr!r}")
                continue
            names = {name: 1 for name in re.findall(r"%\((\w+)\)", msgstr)}
            if names:
                msgstr % names  # a stray % would raise here, as it would at run time
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)
    errors = [(m.id, [str(e) for e in errs]) for m, errs in po_catalogue().check()]
    assert not errors, errors


# -- pages in English ---------------------------------------------------------------------------------------------


def switch_language(client, code: str):
    assert client.get(f"/language/{code}").status_code == 302
    # The app fixture keeps one application context, and so one `g`, for the whole test, and Flask-Babel caches
    # the chosen locale on `g`: forget it, as a real request, which has an application context of its own, does.
    flask_babel.refresh()
    return client


def in_english(client):
    return switch_language(client, "en")


def in_thai(client):
    return switch_language(client, "th")


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_login_page_switches_to_english_and_back(client):
    html = page(in_english(client), "/login")
    assert '<html lang="en">' in html
    assert "Sign in" in html and "Email" in html and "Password" in html
    assert "OPDC Consultation Clinic" in html
    assert "Office of the Public Sector Development Commission (OPDC)" in html
    assert not THAI.search(html.replace("ภาษาไทย", "")), "a Thai string on the English login page is not translated"

    html = page(in_thai(client), "/login")
    assert '<html lang="th">' in html
    assert "เข้าสู่ระบบ" in html and "Sign in" not in html


def test_home_and_error_pages_are_wholly_english(client):
    html = page(in_english(client), "/")
    assert "Government agencies book consultations with OPDC advisors" in html
    assert not THAI.search(html.replace("ภาษาไทย", ""))
    assert "Page not found" in page(client, "/no-such-page", 404)


def test_login_form_errors_are_english(client, officer):
    in_english(client)
    response = client.post("/login", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email address." in html and "Enter your password." in html
    assert "กรอกอีเมล" not in html

    html = client.post("/login", data={"email": officer.email, "password": "wrong"}).get_data(as_text=True)
    assert "Incorrect email address or password." in html

    html = in_thai(client).post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "กรอกอีเมล" in html and "Enter your email address." not in html


def test_officer_reads_the_case_file_and_booking_in_english(login, officer, advisor, booking):
    make_published_record(booking, advisor, items=[("จัดทำตาราง", "department")])
    client = in_english(login(officer))

    html = page(client, "/casefile")
    assert '<html lang="en">' in html
    assert "Department case file" in html
    assert "Bookings and consultations" in html
    assert "Next steps for the department" in html
    assert "Pending" in html  # the booking's status label
    assert "Not started" in html  # the action item's status label
    assert "Awaiting acknowledgement" in html
    assert booking.department.name_en in html  # the department's English name
    assert "Department officer" in html  # the role in the navigation bar
    assert "แฟ้มเรื่องของส่วนราชการ" not in html and "รอยืนยัน" not in html

    html = page(client, f"/bookings/{booking.id}")
    assert "Consultation request receipt, reference" in html
    assert "Matter on which advice is sought" in html
    assert "Consultation record" in html and "Issues discussed" in html
    assert "Acknowledge the guidance" in html
    assert "Cancel booking" in html
    assert "Pending" in html and "รอยืนยัน" not in html

    html = page(in_thai(client), "/casefile")
    assert '<html lang="th">' in html
    assert "แฟ้มเรื่องของส่วนราชการ" in html and "รอยืนยัน" in html and "Department case file" not in html
    assert booking.department.name_th in html


def test_flash_messages_and_status_after_an_action_are_english(login, officer, booking):
    client = in_english(login(officer))
    response = client.post(f"/bookings/{booking.id}/cancel", data={"cancel-reason": ""})
    assert response.status_code == 422
    assert "Give the reason for the cancellation." in response.get_data(as_text=True)

    response = client.post(f"/bookings/{booking.id}/cancel", data={"cancel-reason": "ติดภารกิจ"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The booking has been cancelled." in html
    assert "Cancelled" in html and "Reason for cancellation" in html


def test_advisor_sessions_and_calendar_are_english(login, advisor, booking):
    client = in_english(login(advisor))
    html = page(client, "/advisor/sessions")
    assert '<html lang="en">' in html
    assert "Upcoming appointments" in html
    assert "Past appointments (last 30 days)" in html
    assert "Weekly calendar" in html and "Add time slots" in html
    assert "Pending" in html
    assert "OPDC advisor" in html
    assert "นัดหมายที่กำลังจะมาถึง" not in html

    html = page(client, "/advisor/week")
    assert "Previous week" in html and "This week" in html

    html = page(in_thai(client), "/advisor/sessions")
    assert "นัดหมายที่กำลังจะมาถึง" in html and "Upcoming appointments" not in html


SLOT_FORM = {
    "first_day": "2026-12-01",
    "start": "09:00",
    "end": "10:30",
    "mode": "onsite",
    "location": "Room 1",
    "capacity": "1",
    "weeks": "1",
}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"capacity": "five"}, "Not a valid integer value."),  # WTForms' own message, untranslated in English
        ({"start": "25:00"}, "Not a valid time value."),
        ({"capacity": "0"}, "Must be between 1 and 20."),
        ({"location": ""}, "Enter the meeting room."),
        ({"end": "08:00"}, "The end time must be after the start time."),
    ],
)
def test_slot_form_errors_are_english(login, advisor, overrides, message):
    client = in_english(login(advisor))
    response = client.post("/advisor/slots/new", data={**SLOT_FORM, **overrides})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "Add consultation time slots" in html


def test_wtforms_messages_stay_thai_in_thai(login, advisor):
    response = login(advisor).post("/advisor/slots/new", data={**SLOT_FORM, "capacity": "five"})
    html = response.get_data(as_text=True)
    assert "ระบุเป็นตัวเลข" in html and "Not a valid integer value." not in html


def test_admin_report_and_export_are_english(login, admin, booking):
    client = in_english(login(admin))
    html = page(client, "/admin/reports/sessions")
    assert "Consultation report" in html and "Clear filters" in html and "Results: 1" in html
    header = page(client, "/admin/reports/sessions.csv").splitlines()[0]
    assert "Reference" in header and "Advisor" in header and "Fiscal year" in header
    assert not THAI.search(header)


def test_the_chosen_language_survives_signing_in(client, officer):
    from tests.factories import PASSWORD

    client.get("/language/en")
    client.post("/login", data={"email": officer.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert session["lang"] == "en"
