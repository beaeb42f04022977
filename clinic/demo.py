"""Demo data that looks like the real thing: ministries, departments, topics, advisors, slots over the next
four weeks, and past sessions with published records. Loading it twice changes nothing."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from clinic.accounts.models import Role, User
from clinic.accounts.services import create_user
from clinic.bookings.clinic_days import ClinicDayInput, create_clinic_day
from clinic.bookings.models import Attendee, Booking, BookingStatus
from clinic.extensions import db
from clinic.i18n import BANGKOK, bangkok_today
from clinic.organisations.importer import builtin_path, read_file
from clinic.organisations.models import Department, Ministry, Topic
from clinic.organisations.services import import_organisations
from clinic.records.models import ActionItem, ConsultationRecord, RecordRevision
from clinic.scheduling.models import ClinicDayAccess, Slot, SlotMode
from clinic.scheduling.queries import closed_day_name, holiday_name
from clinic.scheduling.services import SlotPlan, create_slots

DEMO_PASSWORD = "clinic-demo-2569"

# The demo's organisations come from the built-in list (clinic/organisations/data/thai_government.csv), with its
# codes, so `flask org import --builtin` after `flask demo` finds them in place and changes none of them.
DEMO_MINISTRIES = ("MIND", "MOI", "MOT")
DEMO_DEPARTMENTS = ("MIND-OPS", "MIND-DIW", "MIND-DIPROM", "MIND-DPIM", "MIND-TISI", "MIND-OIE", "MIND-OCSB",
                    "MOI-DOPA", "MOI-DLA", "MOT-DOH", "MOT-DLT")
TOPIC_CODES = ("STRUCTURE", "EGOV-ACT", "PMQA", "EXCELLENCE-AWARDS", "KPI", "SERVICE", "DELEGATION", "OPEN-GOV",
               "GOV4", "LICENSING", "REG-REVIEW", "REFORM")

# (email, name, position, topic indexes, mode, room or link, weekday, start hour)
ADVISORS = [
    ("somchai.advisor@opdc.go.th", "นายสมชาย ใจดี", "ผู้อำนวยการกองพัฒนาโครงสร้างส่วนราชการ", [0, 6, 11],
     "onsite", "ห้องประชุม 1 ชั้น 8 อาคาร ก.พ.ร.", 1, 9),
    ("wilai.advisor@opdc.go.th", "นางวิไล รักษ์ดิจิทัล", "นักพัฒนาระบบราชการชำนาญการพิเศษ", [1, 8, 9],
     "online", "https://meet.opdc.go.th/clinic-wilai", 2, 13),
    ("prasert.advisor@opdc.go.th", "นายประเสริฐ มั่นคง", "ผู้เชี่ยวชาญด้านพัฒนาระบบราชการ", [2, 3, 4],
     "onsite", "ห้องประชุม 2 ชั้น 9 อาคาร ก.พ.ร.", 3, 10),
    ("kanya.advisor@opdc.go.th", "นางสาวกัญญา พัฒนาบริการ", "นักพัฒนาระบบราชการชำนาญการ", [0, 1, 5, 7, 10],
     "online", "https://meet.opdc.go.th/clinic-kanya", 4, 14),
]

DEMO_LOGINS = [
    ("admin@opdc.go.th", "ผู้ดูแลระบบ", "admin"),
    ("somchai.advisor@opdc.go.th", "ที่ปรึกษา ก.พ.ร.", "advisor"),
    ("officer@diw.go.th", "เจ้าหน้าที่ กรมโรงงานอุตสาหกรรม", "officer"),
    ("coordinator@industry.go.th", "ผู้ประสานงาน กระทรวงอุตสาหกรรม", "coordinator"),
]


def load_demo(now: datetime) -> bool:
    """Load the demo data unless it is there already. Returns True when it loaded something."""
    if db.session.scalar(select(User.id).where(User.email == "admin@opdc.go.th")) is not None:
        return False
    wanted = set(DEMO_MINISTRIES) | set(DEMO_DEPARTMENTS) | set(TOPIC_CODES)
    import_organisations([row for row in read_file(builtin_path()) if row.code in wanted])
    ministries = {m.code: m for m in db.session.scalars(select(Ministry).where(Ministry.code.in_(DEMO_MINISTRIES)))}
    departments = {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(DEMO_DEPARTMENTS)))}
    by_code = {t.code: t for t in db.session.scalars(select(Topic).where(Topic.code.in_(TOPIC_CODES)))}
    topics = [by_code[code] for code in TOPIC_CODES]

    admin = create_user(None, email="admin@opdc.go.th", name="นางสาวดวงใจ ผู้ดูแล", role=Role.ADMIN,
                        password=DEMO_PASSWORD, now=now, position="เจ้าหน้าที่บริหารระบบ")
    officers = [
        create_user(admin, email="officer@diw.go.th", name="นายอนุชา โรงงานดี", role=Role.OFFICER,
                    department=departments["MIND-DIW"], password=DEMO_PASSWORD, now=now,
                    position="นักจัดการงานทั่วไปชำนาญการ"),
        create_user(admin, email="officer@diprom.go.th", name="นางสาวพิมพ์ชนก ส่งเสริม", role=Role.OFFICER,
                    department=departments["MIND-DIPROM"], password=DEMO_PASSWORD, now=now,
                    position="นักวิเคราะห์นโยบายและแผนชำนาญการ"),
        create_user(admin, email="officer@dla.go.th", name="นายธนากร ท้องถิ่น", role=Role.OFFICER,
                    department=departments["MOI-DLA"], password=DEMO_PASSWORD, now=now,
                    position="นักทรัพยากรบุคคลชำนาญการ"),
    ]
    create_user(admin, email="coordinator@industry.go.th", name="นางรัตนา ประสานงาน", role=Role.COORDINATOR,
                ministry=ministries["MIND"], password=DEMO_PASSWORD, now=now,
                position="ผู้อำนวยการกองยุทธศาสตร์และแผนงาน")

    advisors = []
    for email, name, position, topic_ids, mode, where, weekday, hour in ADVISORS:
        advisor = create_user(admin, email=email, name=name, role=Role.ADVISOR, password=DEMO_PASSWORD,
                              now=now, position=position)
        advisor.expertise = [topics[i] for i in topic_ids]
        advisors.append(advisor)
        db.session.flush()
        create_demo_slots(advisor, mode, where, weekday, hour, now)

    create_past_sessions(advisors, officers, topics, now)
    create_demo_clinic_day(admin, ministries["MIND"], [advisors[0], advisors[3]], topics[:2], now)
    db.session.flush()
    return True


def create_demo_clinic_day(admin: User, ministry: Ministry, advisors: list[User], topics: list[Topic],
                           now: datetime) -> None:
    """OPDC's clinic at the Ministry of Industry: a Wednesday two to three weeks ahead, for its departments."""
    day = next_open_weekday(bangkok_today(now) + timedelta(days=14), 2)
    while closed_day_name(day):
        day += timedelta(days=7)
    create_clinic_day(admin, ClinicDayInput(
        ministry_id=ministry.id, day=day, venue="กระทรวงอุตสาหกรรม ถนนพระรามที่ 6 แขวงทุ่งพญาไท เขตราชเทวี",
        room="ห้องประชุม 1 ชั้น 2 อาคารสำนักงานปลัดกระทรวง", starts=time(9), ends=time(12), session_minutes=60,
        capacity=2, access=ClinicDayAccess.HOST_MINISTRY, advisor_ids=[a.id for a in advisors],
        topic_ids=[t.id for t in topics], note="จอดรถได้ที่อาคารจอดรถด้านหลังกระทรวง",
    ), now)


def next_open_weekday(start: date, weekday: int) -> date:
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    return day if day > start else day + timedelta(days=7)


def create_demo_slots(advisor: User, mode: str, where: str, weekday: int, hour: int, now: datetime) -> None:
    """Two sessions on the advisor's clinic day each week for four weeks, skipping public holidays."""
    first = next_open_weekday(bangkok_today(now), weekday)
    for week in range(4):
        day = first + timedelta(weeks=week)
        if holiday_name(day):
            continue
        for start_hour in (hour, hour + 2):
            plan = SlotPlan(
                first_day=day, start=time(start_hour, 0), end=time(start_hour + 1, 30), mode=mode,
                location=where if mode == SlotMode.ONSITE else "", meeting_url=where if mode == SlotMode.ONLINE else "",
                capacity=1,
            )
            create_slots(advisor, advisor, plan, now)


PAST_SESSIONS = [
    # advisor, officer, topic, days ago, request, guidance, action items
    (0, 0, 0, 21,
     "ขอคำปรึกษาการจัดตั้งกองตรวจและกำกับโรงงานตามร่างกฎกระทรวงแบ่งส่วนราชการฉบับใหม่",
     "ควรจัดทำการวิเคราะห์ภารกิจและปริมาณงานของกองที่ขอจัดตั้งให้ครบ 3 ปีย้อนหลัง และทบทวนภารกิจที่ซ้ำซ้อนกับสำนักงานอุตสาหกรรมจังหวัด",
     [("จัดทำตารางวิเคราะห์ภารกิจและปริมาณงาน 3 ปีย้อนหลัง", "department", 14, "in_progress"),
      ("ส่งตัวอย่างแบบฟอร์มวิเคราะห์ภารกิจให้ส่วนราชการ", "opdc", 3, "done")]),
    (1, 1, 1, 14,
     "ขอแนวทางการรับคำขอและออกใบอนุญาตทางอิเล็กทรอนิกส์ตาม พ.ร.บ.การปฏิบัติราชการทางอิเล็กทรอนิกส์ พ.ศ. 2565",
     "ประกาศช่องทางอิเล็กทรอนิกส์ให้ประชาชนทราบ ยกเลิกการเรียกสำเนาเอกสารที่ราชการออกให้เอง และจัดให้มีหลักฐานการรับคำขอที่มีเลขที่และเวลา",
     [("ประกาศช่องทางการยื่นคำขอทางอิเล็กทรอนิกส์บนเว็บไซต์กรม", "department", 30, "open")]),
    (3, 2, 5, 7,
     "ขอคำปรึกษาการลดขั้นตอนการอนุญาตก่อสร้างอาคารขององค์กรปกครองส่วนท้องถิ่น",
     "ให้จัดทำแผนภาพกระบวนงานปัจจุบันและระบุขั้นตอนที่ไม่เพิ่มคุณค่า เพื่อพิจารณาลดระยะเวลาอย่างน้อยร้อยละ 30",
     [("จัดทำแผนภาพกระบวนงานปัจจุบัน", "department", 21, "open")]),
]


def create_past_sessions(advisors: list[User], officers: list[User], topics: list[Topic], now: datetime) -> None:
    """Sessions that already happened, with published records: written directly, since no service books the past."""
    for advisor_i, officer_i, topic_i, days_ago, request, guidance, items in PAST_SESSIONS:
        advisor, officer = advisors[advisor_i], officers[officer_i]
        day = bangkok_today(now) - timedelta(days=days_ago)
        while day.weekday() >= 5 or holiday_name(day):  # sessions happen on working days
            day -= timedelta(days=1)
        starts_at = datetime.combine(day, time(10, 0), BANGKOK)
        slot = Slot(advisor=advisor, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1, minutes=30),
                    capacity=1, mode=SlotMode.ONSITE, location="ห้องประชุม 1 ชั้น 8 อาคาร ก.พ.ร.",
                    created_at=starts_at - timedelta(days=14))
        booking = Booking(
            reference=f"OPDC-DEMO-{days_ago:02d}", slot=slot, slot_capacity=1, seat_number=1,
            department_id=officer.department_id, topic=topics[topic_i], booked_by=officer, status=BookingStatus.CONFIRMED,
            request_details=request, created_at=starts_at - timedelta(days=10),
            decided_at=starts_at - timedelta(days=9), decided_by=advisor,
            attendees=[Attendee(name=officer.name, position=officer.position, attended=True),
                       Attendee(name="นางสาวศิริพร วางแผน", position="นักวิเคราะห์นโยบายและแผน", attended=True)],
        )
        record = ConsultationRecord(booking=booking, created_by_id=advisor.id, created_at=starts_at)
        published = starts_at + timedelta(days=1)
        db.session.add_all([slot, booking, record])
        db.session.flush()
        db.session.add(RecordRevision(
            record=record, number=1, attendance="ผู้แทนส่วนราชการ 2 คน ที่ปรึกษา ก.พ.ร. 1 คน",
            issues_raised=request, guidance=guidance, author_id=advisor.id, created_at=starts_at,
            updated_at=published, published_at=published, published_by_id=advisor.id,
        ))
        for description, owner, due_in, status in items:
            db.session.add(ActionItem(
                record=record, department_id=officer.department_id, description=description, owner=owner,
                due_on=day + timedelta(days=due_in), status=status, created_at=published, updated_at=published,
                updated_by_id=advisor.id,
            ))
