"""Search across requests, records and next steps, by substring (Thai has no spaces between words): each person
finds only what they may read; drafts stay OPDC's; matches are ranked, highlighted (escaped) and paged; a query
too short for the index gets a message, not a scan."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.errors import DomainError
from clinic.extensions import db
from clinic.records.models import RecordRevision
from clinic.records.search import highlight, search
from tests import factories
from tests.factories import NOW
from tests.helpers import counted_queries


@pytest.fixture
def cases(officer, sister_officer, other_department_officer, advisor, topic):
    """Requests of three departments; a published record with a next step, and a draft revision."""
    slot = factories.make_slot(advisor, NOW + timedelta(days=7), capacity=3)
    held = factories.make_slot(advisor, NOW - timedelta(days=3), capacity=3)
    mine = factories.make_booking(slot, officer, topic, request_details="ขอปรึกษาการจัดตั้งกองยุทธศาสตร์และแผนงาน")
    sister = factories.make_booking(slot, sister_officer, topic, seat_number=2,
                                    request_details="ทบทวนกองยุทธศาสตร์ของกรมส่งเสริม")
    elsewhere = factories.make_booking(slot, other_department_officer, topic, seat_number=3,
                                       request_details="กองยุทธศาสตร์ของกระทรวงอื่น")
    recorded = factories.make_booking(held, officer, topic, status="confirmed", request_details="ขอคำปรึกษาทั่วไป")
    record = factories.make_published_record(recorded, advisor, guidance="ควรแยกงานกองยุทธศาสตร์ออกจากกองกลาง",
                                             items=[("ส่งร่างผังกองยุทธศาสตร์ภายใน 30 วัน", "department")])
    db.session.add(RecordRevision(record_id=record.id, number=2, guidance="ร่างลับ: ยุบกองยุทธศาสตร์",
                                  issues_raised="", author_id=advisor.id, created_at=NOW, updated_at=NOW))
    db.session.commit()
    return {"mine": mine, "sister": sister, "elsewhere": elsewhere, "recorded": recorded}


def found(page) -> set[tuple[str, str]]:
    return {(hit.kind, hit.booking.reference) for hit in page.hits}


def test_opdc_finds_every_department_and_drafts(cases, advisor, admin):
    for person in (advisor, admin):
        page = search(person, "กองยุทธศาสตร์")
        kinds = [hit.kind for hit in page.hits]
        assert page.total == 6 and kinds.count("request") == 3 and kinds.count("record") == 2 and "step" in kinds


def test_an_officer_finds_only_their_department_and_published_records(cases, officer):
    page = search(officer, "กองยุทธศาสตร์")
    assert found(page) == {("request", cases["mine"].reference), ("record", cases["recorded"].reference),
                           ("step", cases["recorded"].reference)}
    assert all("ร่างลับ" not in hit.text for hit in page.hits)


def test_a_coordinator_finds_their_ministrys_departments(cases, coordinator):
    references = {hit.booking.reference for hit in search(coordinator, "กองยุทธศาสตร์").hits}
    assert cases["sister"].reference in references and cases["mine"].reference in references
    assert cases["elsewhere"].reference not in references


def test_a_booking_reference_is_found_by_part_of_it(cases, advisor):
    reference = cases["mine"].reference
    assert ("request", reference) in found(search(advisor, reference[-5:]))


def test_an_edited_text_is_found_by_its_new_words_only(cases, advisor):
    booking = cases["sister"]
    booking.request_details = "เปลี่ยนเป็นเรื่องรางวัลเลิศรัฐ"
    db.session.commit()
    assert found(search(advisor, "รางวัลเลิศรัฐ")) == {("request", booking.reference)}
    assert ("request", booking.reference) not in found(search(advisor, "กองยุทธศาสตร์"))


@pytest.mark.parametrize("query", ["", "  ", "กอ", "ab", "x" * 101])
def test_a_query_too_short_or_too_long_is_refused_at_the_box(cases, advisor, query):
    with pytest.raises(DomainError) as refused:
        search(advisor, query)
    assert refused.value.field == "q"


def test_the_best_match_comes_first_and_pages_hold_twenty(advisor, officer, topic):
    slots = [factories.make_slot(advisor, NOW + timedelta(days=7, hours=h)) for h in range(25)]
    for i, slot in enumerate(slots):
        factories.make_booking(slot, officer, topic, request_details=f"เรื่องที่ {i} งานสารบรรณทั่วไป " + "ข" * 200)
    exact = factories.make_booking(factories.make_slot(advisor, NOW + timedelta(days=9)), officer, topic,
                                   request_details="งานสารบรรณ")
    db.session.commit()
    first = search(advisor, "งานสารบรรณ")
    assert first.total == 26 and len(first.hits) == 20 and first.pages == 2
    assert first.hits[0].booking.id == exact.id
    second = search(advisor, "งานสารบรรณ", page=2)
    assert len(second.hits) == 6 and not {h.booking.id for h in first.hits} & {h.booking.id for h in second.hits}
    past_the_end = search(advisor, "งานสารบรรณ", page=99)
    assert (past_the_end.page, len(past_the_end.hits), past_the_end.total) == (2, 6, 26)


def test_a_page_of_results_costs_a_fixed_number_of_queries(cases, advisor):
    assert advisor.role  # loaded, in a transaction begun: what is counted is the search's own
    with counted_queries() as statements:
        search(advisor, "กองยุทธศาสตร์")
    assert len(statements) == 4  # the page with its total, its bookings, revisions and next steps


def test_matches_are_marked_and_everything_else_escaped():
    marked = highlight('<script>alert("x")</script> กองยุทธศาสตร์ & กองยุทธศาสตร์', "กองยุทธ")
    assert "<script>" not in marked and "&lt;script&gt;" in marked and "&amp;" in marked
    assert str(marked).count("<mark>กองยุทธ</mark>") == 2


def test_special_characters_are_searched_as_text(cases, advisor):
    for query in ('"กอง"', "100%", "a_b", "ก\\ข", "* OR 1"):
        search(advisor, query)  # no error, whatever the characters


def test_the_search_page(cases, login, officer, advisor):
    client = login(officer)
    page = client.get("/search?q=กองยุทธศาสตร์").get_data(as_text=True)
    assert cases["mine"].reference in page and cases["sister"].reference not in page
    assert "<mark>กองยุทธศาสตร์</mark>" in page
    short = client.get("/search?q=กอ")
    assert short.status_code == 422 and 'data-field-error="q"' in short.get_data(as_text=True)
    assert client.get("/search").status_code == 200
    client = login(advisor)
    assert cases["sister"].reference in client.get("/search?q=กองยุทธศาสตร์").get_data(as_text=True)


def test_the_index_holds_what_the_tables_hold(cases):
    """SQLite keeps its FTS table in step by triggers: one entry per request, revision and next step. PostgreSQL
    searches the tables themselves, through trigram indexes on lower(column)."""
    if db.engine.dialect.name == "postgresql":
        names = set(db.session.scalars(db.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_trgm'")))
        assert len(names) == 6 and "ix_bookings_request_details_trgm" in names
        return
    entries = db.session.execute(select(db.text("count(*)")).select_from(db.text("search_index"))).scalar()
    assert entries == 4 + 2 + 1
