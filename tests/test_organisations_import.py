"""`flask org import`: ministries, departments and topics from CSV or XLSX, matched by code, all or nothing."""

import csv
import io
from collections import Counter

import openpyxl
import pytest
from sqlalchemy import func, select

from clinic.accounts.models import User
from clinic.bookings.models import Booking
from clinic.extensions import db
from clinic.organisations.importer import COLUMNS, builtin_path, read_file
from clinic.organisations.models import Department, Ministry, Topic
from tests.factories import make_booking, make_slot, make_topic, make_user

HEADER = "kind,code,ministry_code,name_th,name_en,abbreviation,active"
SMALL = [
    "ministry,MIND,,กระทรวงอุตสาหกรรม,Ministry of Industry,อก.,",
    "department,MIND-DIW,MIND,กรมโรงงานอุตสาหกรรม,Department of Industrial Works,กรอ.,",
    "department,MIND-DPIM,MIND,กรมอุตสาหกรรมพื้นฐานและการเหมืองแร่,Department of Primary Industries and Mines,กพร.,",
    "ministry,MOL,,กระทรวงแรงงาน,Ministry of Labour,รง.,",
    "department,MOL-DSD,MOL,กรมพัฒนาฝีมือแรงงาน,Department of Skill Development,กพร.,",
    "topic,DELEGATION,,การมอบอำนาจ,Delegation of authority,,1",
    "topic,REFORM,,แผนปฏิรูปองค์การ,Organisational reform plan,,0",
]


def write_csv(tmp_path, lines, name="orgs.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def write_xlsx(tmp_path, lines, name="orgs.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for cells in csv.reader(io.StringIO("\n".join(lines))):
        sheet.append([int(c) if c.isdigit() else (c or None) for c in cells])
    path = tmp_path / name
    workbook.save(path)
    return path


def run(app, *args):
    db.session.commit()  # what the test set up is visible to the command's own session
    result = app.test_cli_runner(mix_stderr=False).invoke(args=["org", "import", *args]) \
        if _runner_takes_mix_stderr() else app.test_cli_runner().invoke(args=["org", "import", *args])
    db.session.expire_all()
    return result


def _runner_takes_mix_stderr():
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def state():
    """Every organisation row, as the database holds it."""
    return (
        sorted((m.id, m.code, m.name_th, m.name_en, m.abbreviation) for m in db.session.scalars(select(Ministry))),
        sorted((d.id, d.code, d.ministry_id, d.name_th, d.name_en, d.abbreviation)
               for d in db.session.scalars(select(Department))),
        sorted((t.id, t.code, t.name_th, t.name_en, t.is_active) for t in db.session.scalars(select(Topic))),
    )


def test_import_creates_then_a_second_run_changes_nothing(app, tmp_path):
    path = write_csv(tmp_path, [HEADER, *SMALL])
    first = run(app, str(path))
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        "ministries: 2 created, 0 updated, 0 unchanged",
        "departments: 3 created, 0 updated, 0 unchanged",
        "topics: 2 created, 0 updated, 0 unchanged",
    ]
    before = state()
    # กพร. is two departments of two ministries: abbreviations are not keys
    assert [d[1] for d in before[1] if d[5] == "กพร."] == ["MIND-DPIM", "MOL-DSD"]
    assert [t[4] for t in before[2]] == [True, False]
    second = run(app, str(path))
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines() == [
        "ministries: 0 created, 0 updated, 2 unchanged",
        "departments: 0 created, 0 updated, 3 unchanged",
        "topics: 0 created, 0 updated, 2 unchanged",
    ]
    assert state() == before


def test_a_rename_keeps_the_row_and_its_bookings(app, tmp_path):
    assert run(app, str(write_csv(tmp_path, [HEADER, *SMALL]))).exit_code == 0
    diw = db.session.scalar(select(Department).where(Department.code == "MIND-DIW"))
    officer = make_user("officer", department=diw)
    booking = make_booking(make_slot(make_user("advisor")), officer, make_topic())
    booking_id, diw_id = booking.id, diw.id

    renamed = [line.replace("กรมโรงงานอุตสาหกรรม,Department of Industrial Works,กรอ.",
                            "กรมโรงงานและความปลอดภัยอุตสาหกรรม,Department of Industrial Works and Safety,กรอ.ป.")
               for line in SMALL]
    renamed = [line.replace("Ministry of Labour,รง.", "Ministry of Labour,รง") for line in renamed]
    result = run(app, str(write_csv(tmp_path, [HEADER, *renamed])))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ministries: 0 created, 1 updated, 1 unchanged",
        "departments: 0 created, 1 updated, 2 unchanged",
        "topics: 0 created, 0 updated, 2 unchanged",
    ]
    department = db.session.get(Department, diw_id)
    assert (department.code, department.name_th, department.name_en, department.abbreviation) == (
        "MIND-DIW", "กรมโรงงานและความปลอดภัยอุตสาหกรรม", "Department of Industrial Works and Safety", "กรอ.ป.")
    assert db.session.scalar(select(func.count(Department.id))) == 3
    assert db.session.get(Booking, booking_id).department_id == diw_id
    assert db.session.get(User, officer.id).department_id == diw_id


def test_a_department_moves_to_another_ministry_by_its_code(app, tmp_path):
    assert run(app, str(write_csv(tmp_path, [HEADER, *SMALL]))).exit_code == 0
    moved = [line.replace("department,MOL-DSD,MOL,", "department,MOL-DSD,MIND,") for line in SMALL]
    assert run(app, str(write_csv(tmp_path, [HEADER, *moved]))).exit_code == 0
    department = db.session.scalar(select(Department).where(Department.code == "MOL-DSD"))
    assert department.ministry.code == "MIND"


def test_rows_made_before_codes_are_adopted_by_their_thai_name(app, tmp_path):
    ministry = Ministry(code="M1", name_th="กระทรวงอุตสาหกรรม", name_en="Industry", abbreviation="อก.")
    department = Department(code="D1", ministry=ministry, name_th="กรมโรงงานอุตสาหกรรม", name_en="DIW", abbreviation="")
    db.session.add_all([ministry, department])
    db.session.flush()
    ids = (ministry.id, department.id)
    result = run(app, str(write_csv(tmp_path, [HEADER, *SMALL])))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == ["ministries: 1 created, 1 updated, 0 unchanged",
                                              "departments: 2 created, 1 updated, 0 unchanged"]
    assert db.session.get(Ministry, ids[0]).code == "MIND"
    assert db.session.get(Department, ids[1]).code == "MIND-DIW"


def test_xlsx_and_csv_give_the_same_result(app, tmp_path):
    lines = [HEADER, *SMALL]
    assert read_file(write_xlsx(tmp_path, lines)) == read_file(write_csv(tmp_path, lines))
    result = run(app, str(write_xlsx(tmp_path, lines)))
    assert result.exit_code == 0, result.output
    from_xlsx = state()
    again = run(app, str(write_csv(tmp_path, lines)))
    assert "0 created, 0 updated" in again.stdout and state() == from_xlsx


def test_a_csv_saved_by_excel_with_a_bom_imports(app, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([HEADER, *SMALL]).encode() + b"\r\n")
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Ministry.id))) == 2


def refused(app, path, *expected):
    before = state()
    result = run(app, str(path))
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [*expected, f"nothing imported: {len(expected)} problem"
                                          f"{'' if len(expected) == 1 else 's'}"]
    assert result.stdout == ""
    assert state() == before


@pytest.fixture
def loaded(app, tmp_path):
    """The small file imported: a refused file must leave it exactly as it is."""
    assert run(app, str(write_csv(tmp_path, [HEADER, *SMALL], name="first.csv"))).exit_code == 0


def test_a_missing_column_is_refused(app, tmp_path, loaded):
    header = HEADER.replace(",name_en", "")
    lines = [header] + [",".join(c for i, c in enumerate(line.split(",")) if i != 4) for line in SMALL]
    refused(app, write_csv(tmp_path, lines), "orgs.csv: row 1: missing column name_en")


def test_an_unknown_ministry_code_is_refused(app, tmp_path, loaded):
    refused(app, write_csv(tmp_path, [HEADER, *SMALL, "department,MXX-A,MXX,กรมใหม่,New Department,กม.,"]),
            "orgs.csv: row 9: unknown ministry_code MXX: no ministry row in the file and no ministry in the database "
            "has that code")


def test_an_empty_thai_name_is_refused(app, tmp_path, loaded):
    lines = [HEADER, *SMALL]
    lines[2] = "department,MIND-DIW,MIND,,Department of Industrial Works,กรอ.,"
    refused(app, write_csv(tmp_path, lines), "orgs.csv: row 3: name_th (Thai name) is empty")


def test_a_duplicate_code_is_refused(app, tmp_path, loaded):
    lines = [HEADER, *SMALL, "department,MIND-DIW,MIND,กรมใหม่,New Department,กม.,"]
    refused(app, write_csv(tmp_path, lines), "orgs.csv: row 9: department code MIND-DIW is already used on row 3")


def test_a_name_too_long_is_refused(app, tmp_path, loaded):
    lines = [HEADER, *SMALL, "department,MIND-NEW,MIND," + "ก" * 201 + ",New Department,กม.,"]
    refused(app, write_csv(tmp_path, lines), "orgs.csv: row 9: name_th is 201 characters long; at most 200")


def test_a_csv_that_is_not_utf8_is_refused(app, tmp_path, loaded):
    path = tmp_path / "orgs.csv"
    path.write_bytes("\n".join([HEADER, *SMALL]).encode("cp874") + b"\n")  # Thai Windows: what Excel saves as "CSV"
    refused(app, path, 'orgs.csv: row 2: the file is not UTF-8 (byte 0xa1); in Excel save it as "CSV UTF-8 '
                       '(Comma delimited)", or import the .xlsx')


def test_every_problem_is_listed_with_its_row(app, tmp_path, loaded):
    lines = [HEADER, *SMALL,
             "agency,X1,,ก,X,,",
             "topic,T-X,,หัวข้อ,Topic,,maybe",
             "ministry,MIND,,กระทรวงอื่น,Other,อน.,"]
    refused(app, write_csv(tmp_path, lines),
            "orgs.csv: row 9: kind must be ministry, department or topic (got 'agency')",
            "orgs.csv: row 10: active must be 1 or 0 (got 'maybe')",
            "orgs.csv: row 11: ministry code MIND is already used on row 2")


def test_a_name_held_by_another_record_is_refused(app, tmp_path, loaded):
    lines = [HEADER, "department,MIND-OTHER,MIND,กรมโรงงานอุตสาหกรรม,Another,อน.,"]
    refused(app, write_csv(tmp_path, lines),
            "orgs.csv: row 2: name_th 'กรมโรงงานอุตสาหกรรม' already belongs to the department with code MIND-DIW "
            "in the database")


def test_the_builtin_list_imports_cleanly(app):
    result = run(app, "--builtin")
    assert result.exit_code == 0, result.output
    ministries = list(db.session.scalars(select(Ministry)))
    departments = list(db.session.scalars(select(Department)))
    assert len(ministries) >= 20 and len(departments) >= 100
    assert db.session.scalar(select(func.count(Topic.id))) == 12
    assert all(d.ministry in ministries for d in departments)
    assert max(Counter((d.ministry_id, d.name_th) for d in departments).values()) == 1
    industry = db.session.scalar(select(Ministry).where(Ministry.name_th == "กระทรวงอุตสาหกรรม"))
    assert [(d.name_th, d.abbreviation) for d in industry.departments] == [
        ("สำนักงานปลัดกระทรวงอุตสาหกรรม", "สป.อก."), ("กรมโรงงานอุตสาหกรรม", "กรอ."), ("กรมส่งเสริมอุตสาหกรรม", "กสอ."),
        ("กรมอุตสาหกรรมพื้นฐานและการเหมืองแร่", "กพร."), ("สำนักงานมาตรฐานผลิตภัณฑ์อุตสาหกรรม", "สมอ."),
        ("สำนักงานเศรษฐกิจอุตสาหกรรม", "สศอ."), ("สำนักงานคณะกรรมการอ้อยและน้ำตาลทราย", "สอน.")]
    before = state()
    again = run(app, "--builtin")
    assert "0 created, 0 updated" in again.stdout and state() == before
    assert set(read_file(builtin_path())[0].__dict__) >= {c for c in COLUMNS}


def test_demo_then_builtin_import_leaves_the_demo_intact(app):
    from clinic.demo import load_demo
    from tests.factories import NOW

    load_demo(NOW)
    db.session.commit()
    officers = {u.email: (u.department_id, u.department.name_th) for u in db.session.scalars(
        select(User).where(User.department_id.is_not(None)))}
    demo_state = state()
    result = run(app, "--builtin")
    assert result.exit_code == 0, result.output
    assert ", 0 updated," in result.stdout.splitlines()[0] and ", 0 updated," in result.stdout.splitlines()[1]
    after = state()
    assert all(row in after[0] for row in demo_state[0]) and all(row in after[1] for row in demo_state[1])
    assert after[2] == demo_state[2]
    assert {u.email: (u.department_id, u.department.name_th) for u in db.session.scalars(
        select(User).where(User.department_id.is_not(None)))} == officers


def test_import_needs_a_file_or_builtin(app):
    result = run(app)
    assert result.exit_code == 2
