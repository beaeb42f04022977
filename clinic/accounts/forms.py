from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from clinic.forms import Form


class LoginForm(Form):
    email = EmailField(_l("อีเมล"), validators=[DataRequired(_l("กรอกอีเมล")), Email(_l("อีเมลไม่ถูกต้อง")), Length(max=254)])
    password = PasswordField(_l("รหัสผ่าน"), validators=[DataRequired(_l("กรอกรหัสผ่าน")), Length(max=200)])
