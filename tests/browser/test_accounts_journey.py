"""An administrator invites an officer; the officer opens the link in the e-mail (an .eml file, as the embedded
default delivers it), sets a password, signs in, and later changes the password."""

import email
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clinic.database import utcnow
from clinic.extensions import db
from clinic.notifications.services import FileTransport, deliver_due
from tests import factories
from tests.browser.conftest import log_in, log_out, shot

pytestmark = pytest.mark.browser

FIRST_PASSWORD = "ลมหนาวมาถึงเชียงราย"
SECOND_PASSWORD = "a quiet river at dawn"


def deliver_mail(live) -> list[email.message.EmailMessage]:
    """Run the outbox worker once, as `flask outbox send` would, and read the .eml files it wrote."""
    folder = Path(live.app.config["MAIL_FOLDER"])
    with live.app.app_context():
        deliver_due(FileTransport(str(folder)), live.app.config["MAIL_FROM"], utcnow())
        db.session.commit()
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(folder.glob("*.eml"))]


def test_an_invited_officer_sets_a_password_signs_in_and_changes_it(page: Page, data, live):
    with data():
        industry = factories.make_ministry(name_th="กระทรวงอุตสาหกรรม", name_en="Ministry of Industry")
        factories.make_department(industry, name_th="กรมโรงงานอุตสาหกรรม", name_en="Department of Industrial Works")
        for n, name in enumerate(("นายสมชาย ใจดี", "นางวิไล รักษ์ดิจิทัล")):
            factories.make_user("advisor", name=name, email=f"advisor{n}@opdc.go.th")
        factories.make_user("coordinator", ministry=industry, name="นางรัตนา ประสานงาน")
        admin_email = factories.make_user("admin", name="นางสาวดวงใจ ผู้ดูแล", email="admin@opdc.go.th").email

    log_in(page, admin_email)
    page.get_by_test_id("manage-menu").click()
    page.get_by_role("link", name="ผู้ใช้", exact=True).click()
    expect(page.get_by_role("heading", name="ผู้ใช้", exact=True)).to_be_visible()
    expect(page.get_by_test_id("users")).to_contain_text("นางรัตนา ประสานงาน")
    shot(page, "admin-users")

    page.get_by_role("link", name="เชิญผู้ใช้").click()
    page.get_by_label("อีเมล", exact=True).fill("anucha@diw.go.th")
    page.get_by_label("ชื่อ-นามสกุล").fill("นายอนุชา โรงงานดี")
    page.get_by_label("ตำแหน่ง").fill("นักวิเคราะห์นโยบายและแผนชำนาญการ")
    page.get_by_label("บทบาท", exact=True).select_option(label="เจ้าหน้าที่ส่วนราชการ")
    page.get_by_label("ส่วนราชการ (เจ้าหน้าที่ส่วนราชการ)").select_option(label="กรมโรงงานอุตสาหกรรม")
    shot(page, "admin-invite")
    page.get_by_role("button", name="ส่งคำเชิญ").click()
    expect(page.get_by_role("alert")).to_contain_text("ส่งคำเชิญไปที่ anucha@diw.go.th แล้ว")
    expect(page.locator("[data-user-status=invited]")).to_be_visible()
    log_out(page)

    [invitation] = deliver_mail(live)
    assert invitation["To"] == "anucha@diw.go.th"
    assert invitation["Subject"] == "[OPDC Clinic] คำเชิญเข้าใช้ระบบคลินิกให้คำปรึกษา สำนักงาน ก.พ.ร."
    link = re.search(r"http://127\.0\.0\.1:5000(/account/invitation/\S+)", invitation.get_body(preferencelist=("plain",)).get_content()).group(1)

    page.goto(link)
    expect(page.get_by_role("heading", name="ตั้งรหัสผ่านเพื่อเริ่มใช้งาน")).to_be_visible()
    expect(page.get_by_test_id("account")).to_contain_text("กรมโรงงานอุตสาหกรรม")
    page.get_by_label("รหัสผ่านใหม่", exact=True).fill("password1234")
    page.get_by_label("ยืนยันรหัสผ่านใหม่").fill("password1234")
    page.get_by_role("button", name="ตั้งรหัสผ่าน").click()
    expect(page.locator("[data-field-error=new_password]")).to_contain_text("รหัสผ่านที่ใช้กันมาก")
    page.get_by_label("รหัสผ่านใหม่", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("ยืนยันรหัสผ่านใหม่").fill(FIRST_PASSWORD)
    shot(page, "invitation-set-password")
    page.get_by_role("button", name="ตั้งรหัสผ่าน").click()
    expect(page.get_by_role("alert")).to_contain_text("ตั้งรหัสผ่านแล้ว")

    log_in(page, "anucha@diw.go.th", FIRST_PASSWORD)
    expect(page.get_by_test_id("who")).to_contain_text("นายอนุชา โรงงานดี")
    page.get_by_test_id("who").click()
    page.get_by_role("link", name="เปลี่ยนรหัสผ่าน").click()
    page.get_by_label("รหัสผ่านปัจจุบัน").fill(FIRST_PASSWORD)
    page.get_by_label("รหัสผ่านใหม่", exact=True).fill(SECOND_PASSWORD)
    page.get_by_label("ยืนยันรหัสผ่านใหม่").fill(SECOND_PASSWORD)
    page.get_by_role("button", name="เปลี่ยนรหัสผ่าน").click()
    expect(page.get_by_role("alert")).to_contain_text("เปลี่ยนรหัสผ่านแล้ว")
    expect(page.get_by_test_id("who")).to_be_visible()  # this browser stays signed in
    shot(page, "password-changed")

    notice = deliver_mail(live)[-1]
    assert notice["Subject"] == "[OPDC Clinic] รหัสผ่านของคุณถูกเปลี่ยนแล้ว"
    log_out(page)
    log_in(page, "anucha@diw.go.th", SECOND_PASSWORD)

    page.goto(link)  # the invitation was used up
    expect(page.get_by_role("heading", name="ใช้ลิงก์นี้ไม่ได้")).to_be_visible()
