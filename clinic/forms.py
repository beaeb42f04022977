"""The base form: WTForms ships no Thai catalogue, so its built-in messages are translated here."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.i18n import current_language

WTFORMS_THAI = {
    "Not a valid date value.": "ระบุวันที่ให้ถูกต้อง",
    "Not a valid time value.": "ระบุเวลาให้ถูกต้อง",
    "Not a valid datetime value.": "ระบุวันเวลาให้ถูกต้อง",
    "Not a valid integer value.": "ระบุเป็นตัวเลข",
    "Not a valid decimal value.": "ระบุเป็นตัวเลข",
    "Not a valid float value.": "ระบุเป็นตัวเลข",
    "Not a valid choice.": "ตัวเลือกไม่ถูกต้อง",
    "Invalid Choice: could not coerce.": "ตัวเลือกไม่ถูกต้อง",
    "Choices cannot be None.": "ตัวเลือกไม่ถูกต้อง",
    "This field is required.": "กรอกข้อมูลช่องนี้",
    "Invalid input.": "ข้อมูลไม่ถูกต้อง",
    "Invalid email address.": "อีเมลไม่ถูกต้อง",
    "Invalid URL.": "ลิงก์ไม่ถูกต้อง",
    "Invalid choice(s): one or more data inputs could not be coerced.": "ตัวเลือกไม่ถูกต้อง",
    "'%(value)s' is not a valid choice for this field.": "ตัวเลือกไม่ถูกต้อง",
    "'%(value)s' are not valid choices for this field.": "ตัวเลือกไม่ถูกต้อง",
    "Number must be between %(min)s and %(max)s.": "ตัวเลขต้องอยู่ระหว่าง %(min)s ถึง %(max)s",
    "Field must be between %(min)d and %(max)d characters long.": "ต้องยาว %(min)d ถึง %(max)d ตัวอักษร",
    "Field cannot be longer than %(max)d character.": "ยาวได้ไม่เกิน %(max)d ตัวอักษร",
    "Field cannot be longer than %(max)d characters.": "ยาวได้ไม่เกิน %(max)d ตัวอักษร",
    "The CSRF session token is missing.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
    "The CSRF token is missing.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
    "The CSRF token is invalid.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
    "The CSRF token has expired.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
    "The CSRF tokens do not match.": "แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่",
}


class WTFormsTranslations:
    def gettext(self, string: str) -> str:
        return WTFORMS_THAI.get(string, string) if current_language() == "th" else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


TRANSLATIONS = WTFormsTranslations()


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
