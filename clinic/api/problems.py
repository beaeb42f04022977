"""RFC 9457 problem details: every refusal of the API is `application/problem+json`, in the language the client's
Accept-Language chose, with the same messages as the pages. Never an HTML page, a redirect or a CSRF failure."""

from typing import Any

from flask import Response, current_app, json, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from clinic.i18n import API_PREFIX, current_language

PROBLEM_TYPE = "application/problem+json"

# Titles by status, as short as the error pages' headings.
TITLES = {
    400: _l("คำขอไม่ถูกต้อง"),
    401: _l("ต้องใช้โทเค็นที่ใช้งานได้"),
    403: _l("คุณไม่มีสิทธิ์ใช้งานส่วนนี้"),
    404: _l("ไม่พบรายการที่ต้องการ"),
    405: _l("ไม่รองรับวิธีเรียกนี้"),
    409: _l("ข้อมูลเปลี่ยนไปแล้ว"),
    413: _l("คำขอใหญ่เกินไป"),
    415: _l("ส่งข้อมูลเป็น JSON (Content-Type: application/json)"),
    422: _l("ข้อมูลไม่ถูกต้อง"),
    429: _l("เรียกใช้บ่อยเกินไป กรุณารอสักครู่"),
    500: _l("ระบบขัดข้อง"),
    503: _l("ระบบยังไม่พร้อมให้บริการ กรุณาลองใหม่ภายหลัง"),
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def problem(status: int, detail: str | None = None, headers: dict[str, str] | None = None,
            **extensions: Any) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(TITLES.get(status, TITLES[400 if status < 500 else 500])),
        "status": status,
    }
    if detail:
        body["detail"] = str(detail)
    body["instance"] = request.path
    body.update(extensions)
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    response.headers["Content-Language"] = current_language()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {}
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return problem(status, headers=headers)
