"""Ministries, departments and topics are named in the reader's language: English pages, the English report
and the English CSV show the English names (the Thai name where a thing has none); Thai ones the Thai names."""

import csv
import io
from datetime import timedelta

import flask_babel
import pytest
from sqlalchemy import select

from clinic.extensions import db
from clinic.i18n import local_name, local_name_column
from clinic.organisations.models import Topic
from clinic.reports.services import SessionFilters, filter_options, iter_sessions, session_page
from tests import factories
from tests.factories import NOW, make_published_record
from tests.helpers import counted_queries

MINISTRY_EN = "Ministry of Industry"
DEPARTMENT_EN = "Department of Industrial Works"
TOPIC_EN = "Restructuring of internal divisions"


@pytest.fixture
def english_names(ministry, department, topic):
    """The officer's ministry, department and topic with their real English names."""
    ministry.name_en, department.name_en, topic.name_en = MINISTRY_EN, DEPARTMENT_EN, TOPIC_EN
    db.session.commit()


def in_language(client, language: str):
    assert client.get(f"/language/{language}").status_code == 302
    flask_babel.refresh()  # the test's one application context would otherwise keep the first request's locale
    return client


def page(client, url: str, **query) -> str:
    response = client.get(url, query_string=query)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def english_and_thai(html: str, ministry, department, topic, *, expect_ministry: bool = True) -> None:
    """The page names the ministry, department and topic in English and never in Thai."""
    assert DEPARTMENT_EN in html and TOPIC_EN in html
    assert department.name_th not in html and topic.name_th not in html
    if expect_ministry:
        assert MINISTRY_EN in html and ministry.name_th not in html


def thai_only(html: str, ministry, department, topic, *, expect_ministry: bool = True) -> None:
    assert department.name_th in html and topic.name_th in html
    assert DEPARTMENT_EN not in html and TOPIC_EN not in html
    if expect_ministry:
        assert ministry.name_th in html and MINISTRY_EN not in html


# The filter and its SQL twin


def test_local_name_is_english_in_english_and_thai_otherwise(app, topic):
    topic.name_en = TOPIC_EN
    assert local_name(topic, "en") == TOPIC_EN
    assert local_name(topic, "th") == topic.name_th
    assert local_name(None, "en") == ""


def test_a_thing_without_an_english_name_keeps_its_thai_name_in_english(app, topic):
    topic.name_en = ""
    assert local_name(topic, "en") == topic.name_th


def test_local_name_follows_the_page_language_when_none_is_given(app, topic):
    topic.name_en = TOPIC_EN
    for language, name in (("en", TOPIC_EN), ("th", topic.name_th)):
        with app.test_request_context(f"/?lang={language}"):
            flask_babel.refresh()
            assert local_name(topic) == name


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_sql_column_names_things_as_the_filter_does(app, topic, other_topic, language):
    topic.name_en, other_topic.name_en = TOPIC_EN, ""
    db.session.commit()
    named = {id_: name for id_, name in db.session.execute(select(Topic.id, local_name_column(Topic, language)))}
    assert named == {t.id: local_name(t, language) for t in (topic, other_topic)}


# Pages


def test_receipt_names_the_department_ministry_and_topic_in_the_readers_language(
    login, officer, booking, ministry, department, topic, english_names
):
    client = login(officer)
    english = page(in_language(client, "en"), f"/bookings/{booking.id}")
    english_and_thai(english, ministry, department, topic)
    assert f"{DEPARTMENT_EN} ({MINISTRY_EN})" in english

    thai = page(in_language(client, "th"), f"/bookings/{booking.id}")
    thai_only(thai, ministry, department, topic)


def test_case_file_names_things_in_the_readers_language(
    login, coordinator, booking, advisor, ministry, department, sister_department, topic, english_names
):
    sister_department.name_en = "Department of Industrial Promotion"
    make_published_record(booking, advisor, items=[("จัดทำตาราง", "department")])
    client = login(coordinator)

    english = page(in_language(client, "en"), "/casefile", department=department.id)
    english_and_thai(english, ministry, department, topic)
    assert f"<title>Case file {DEPARTMENT_EN}" in english
    assert ">Department of Industrial Promotion</option>" in english  # the coordinator's choice of department
    assert sister_department.name_th not in english

    thai = page(in_language(client, "th"), "/casefile", department=department.id)
    thai_only(thai, ministry, department, topic)
    assert f">{sister_department.name_th}</option>" in thai


def test_officer_chooses_a_topic_and_a_slot_in_english(login, officer, slot, ministry, department, topic,
                                                       english_names):
    client = in_language(login(officer), "en")
    assert TOPIC_EN in page(client, "/book")
    for url in (f"/book/{topic.id}", f"/book/{topic.id}/slots/{slot.id}"):
        html = page(client, url)
        assert TOPIC_EN in html and topic.name_th not in html, url

    html = page(in_language(client, "th"), f"/book/{topic.id}")
    assert topic.name_th in html and TOPIC_EN not in html


def test_advisor_sessions_and_record_editor_in_english(login, advisor, officer, topic, ministry, department,
                                                      english_names):
    upcoming = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=2)), officer, topic)
    held = factories.make_booking(factories.make_slot(advisor, NOW - timedelta(days=2)), officer, topic,
                                  status="confirmed")
    client = in_language(login(advisor), "en")

    html = page(client, "/advisor/sessions")
    assert upcoming.reference in html and held.reference in html
    english_and_thai(html, ministry, department, topic)

    html = page(client, f"/bookings/{held.id}/record")
    english_and_thai(html, ministry, department, topic, expect_ministry=False)

    thai_only(page(in_language(client, "th"), "/advisor/sessions"), ministry, department, topic)


# The report and its CSV


def test_report_page_and_its_filters_are_in_english(login, admin, booking, ministry, department, topic,
                                                    english_names):
    client = in_language(login(admin), "en")
    html = page(client, "/admin/reports/sessions")
    english_and_thai(html, ministry, department, topic)
    assert f'<optgroup label="{MINISTRY_EN}">' in html
    for name in (MINISTRY_EN, DEPARTMENT_EN, TOPIC_EN):
        assert f">{name}</option>" in html, name
    row = html.split(f'data-reference="{booking.reference}"')[1].split("</tr>")[0]
    assert DEPARTMENT_EN in row and MINISTRY_EN in row and TOPIC_EN in row

    html = page(in_language(client, "th"), "/admin/reports/sessions")
    thai_only(html, ministry, department, topic)
    assert f'<optgroup label="{ministry.name_th}">' in html


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"), newline="")))


def test_csv_export_names_things_in_the_language_asked_for(login, admin, booking, ministry, department, topic,
                                                           english_names):
    client = login(admin)
    header, row = csv_rows(client.get("/admin/reports/sessions.csv", query_string={"lang": "en"}))
    named = dict(zip(header, row, strict=True))
    assert (named["Ministry"], named["Department"], named["Topic"]) == (MINISTRY_EN, DEPARTMENT_EN, TOPIC_EN)

    flask_babel.refresh()
    header, row = csv_rows(client.get("/admin/reports/sessions.csv", query_string={"lang": "th"}))
    named = dict(zip(header, row, strict=True))
    assert (named["กระทรวง"], named["ส่วนราชการ"], named["หัวข้อ"]) == (
        ministry.name_th, department.name_th, topic.name_th,
    )


def test_report_rows_fall_back_to_the_thai_name_where_there_is_no_english_one(
    admin, booking, ministry, department, topic
):
    ministry.name_en, department.name_en, topic.name_en = "", DEPARTMENT_EN, ""
    db.session.commit()
    [row] = session_page(admin, SessionFilters(), language="en").rows
    assert (row.ministry, row.department, row.topic) == (ministry.name_th, DEPARTMENT_EN, topic.name_th)
    [streamed] = iter_sessions(admin, SessionFilters(), language="en")
    assert streamed == row
    [thai] = session_page(admin, SessionFilters()).rows
    assert (thai.ministry, thai.department, thai.topic) == (ministry.name_th, department.name_th, topic.name_th)


def test_filter_choices_are_named_and_sorted_in_the_language_asked_for(app):
    # Thai order and English order differ: ก < ข in Thai, but Zeta > Alpha in English.
    first = factories.make_ministry(name_th="กระทรวงแรก", name_en="Zeta Ministry")
    second = factories.make_ministry(name_th="กระทรวงที่สอง", name_en="Alpha Ministry")
    factories.make_department(first, name_th="กรมแรก", name_en="Zulu Department")
    factories.make_department(second, name_th="กรมที่สอง", name_en="")
    db.session.commit()

    english = filter_options("en")
    assert [name for _, name in english.ministries] == ["Alpha Ministry", "Zeta Ministry"]
    assert [(name, ministry) for _, name, ministry in english.departments] == [
        ("กรมที่สอง", "Alpha Ministry"), ("Zulu Department", "Zeta Ministry"),
    ]
    thai = filter_options("th")
    assert [name for _, name in thai.ministries] == sorted(["กระทรวงแรก", "กระทรวงที่สอง"])


def test_report_page_in_english_issues_as_many_queries_as_in_thai(login, admin, booking, english_names):
    client = login(admin)

    def queries(language: str) -> int:
        in_language(client, language)
        db.session.expire_all()
        with counted_queries() as statements:
            page(client, "/admin/reports/sessions")
        return len(statements)

    assert queries("en") == queries("th")


# One table macro, with its empty state


def render_table(app, items) -> str:
    source = (
        '{% from "macros.html" import data_table %}'
        "{% call(x) data_table(items, ['Name', {'text': 'Count', 'class': 'text-end', 'title': 'How many'}, ''],"
        " 'Nothing here', testid='things') %}<tr><td>{{ x }}</td></tr>{% endcall %}"
    )
    with app.test_request_context("/"):
        return app.jinja_env.from_string(source).render(items=items)


def test_table_macro_shows_its_rows_under_the_header(app):
    html = render_table(app, ["one", "two"])
    assert 'data-testid="things"' in html
    assert '<th scope="col">Name</th>' in html
    assert '<th scope="col" class="text-end" title="How many">Count</th>' in html
    assert html.count("<tr><td>") == 2
    assert "Nothing here" not in html and "data-empty" not in html


def test_table_macro_shows_the_empty_message_instead_of_a_table_when_there_are_no_rows(app):
    html = render_table(app, [])
    assert '<p class="text-muted" data-empty="things">Nothing here</p>' in html
    assert "<table" not in html


def test_empty_pages_say_there_is_nothing_yet(login, officer, advisor, admin, topic):
    html = page(login(officer), "/casefile")
    assert '<p class="text-muted" data-empty="case-bookings">ยังไม่มีการจอง</p>' in html
    assert '<p class="text-muted" data-empty="action-items-table">ยังไม่มีขั้นตอนต่อไป</p>' in html
    assert "<table" not in html

    html = page(login(officer), f"/book/{topic.id}")
    assert 'data-empty="open-slots">ยังไม่มีช่วงเวลาว่างสำหรับหัวข้อนี้ในช่วง 8 สัปดาห์ข้างหน้า</p>' in html
    assert 'data-testid="open-slots"' not in html

    html = page(login(advisor), "/advisor/sessions")
    assert 'data-empty="upcoming">ยังไม่มีนัดหมาย</p>' in html

    html = page(in_language(login(admin), "en"), "/admin/reports/sessions")
    assert 'data-empty="report-rows">No consultations match the selected filters.</p>' in html
    assert 'data-testid="report-rows"' not in html
