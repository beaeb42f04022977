from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from clinic.forms import Form


class AcknowledgeNoticeForm(Form):
    """'I have read the notice': the version the page showed, and where to go next."""

    version = HiddenField(validators=[DataRequired(_l("ไม่พบฉบับของประกาศ กรุณาโหลดหน้าใหม่")), Length(max=20)])
    next = HiddenField(validators=[Length(max=2000)])
