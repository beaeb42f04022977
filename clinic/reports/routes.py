import tempfile

from flask import Blueprint, Response, render_template, request, stream_with_context

from clinic.database import begin_read_only
from clinic.extensions import db
from clinic.i18n import current_language
from clinic.reports import exports
from clinic.reports.forms import SessionReportForm
from clinic.reports.policies import can_export_reports
from clinic.reports.services import (
    SessionFilters,
    export_rows,
    filter_options,
    record_sessions_export,
    session_page,
)
from clinic.web import acting_user, guard_blueprint, page_number, request_now, unit_of_work, writes_on_get

CHUNK_BYTES = 256 * 1024
bp = Blueprint("reports", __name__, url_prefix="/admin/reports")
guard_blueprint(bp, can_export_reports)


def read_filters() -> tuple[SessionReportForm, SessionFilters | None]:
    """The filter form from the query string; the filters when it is valid, else None."""
    form = SessionReportForm(request.args)
    form.set_options(filter_options(current_language()))
    return form, form.filters() if form.validate() else None


def render_report(form: SessionReportForm, filters: SessionFilters | None, status: int = 422) -> tuple[str, int]:
    """The page with one page of rows; without valid filters, the form with its messages and no rows."""
    report = None
    if filters is not None:
        with unit_of_work(form, reads_only=True) as work:
            report = session_page(acting_user(), filters, page_number(), language=current_language())
        status = work.status
    return render_template(
        "reports/sessions.html",
        form=form,
        report=report,
        query=filters.query_args() if filters is not None and report is not None else {},
    ), status


@bp.get("/sessions")
def sessions() -> tuple[str, int]:
    form, filters = read_filters()
    return render_report(form, filters)


@bp.get("/sessions.csv")
@writes_on_get
def sessions_csv() -> Response | tuple[str, int]:
    form, filters = read_filters()
    if filters is None:
        return render_report(form, None)
    now, language = request_now(), current_language()
    with unit_of_work(form) as work:  # the audit event is saved before the first byte leaves
        record_sessions_export(acting_user(), filters, now)
        rows = export_rows(acting_user(), filters, language=language)
    if not work.ok:
        return render_report(form, None, work.status)
    begin_read_only(db.session)  # the export only reads from here on: on SQLite, writers go on meanwhile
    vocabulary = exports.vocabulary(language)

    def body():
        try:
            yield from exports.sessions_csv(rows, vocabulary)
        finally:
            db.session.rollback()  # the read-only transaction ends with the file

    response = Response(stream_with_context(body()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.export_filename(now)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sessions.xlsx")
@writes_on_get
def sessions_xlsx() -> Response | tuple[str, int]:
    return send_sessions_file("xlsx")


@bp.get("/sessions.pdf")
@writes_on_get
def sessions_pdf() -> Response | tuple[str, int]:
    return send_sessions_file("pdf")


def send_sessions_file(file_format: str) -> Response | tuple[str, int]:
    """XLSX and PDF are written whole before they are sent (a ZIP and a PDF end with their index): the rows stream
    from the database into a temporary file on disk, never into memory, and the file is sent from there."""
    form, filters = read_filters()
    if filters is None:
        return render_report(form, None)
    now, language = request_now(), current_language()
    with unit_of_work(form) as work:  # the audit event is saved before the file is made
        record_sessions_export(acting_user(), filters, now, file_format)
        rows = export_rows(acting_user(), filters, language=language)
    if not work.ok:
        return render_report(form, None, work.status)
    begin_read_only(db.session)
    spool = tempfile.TemporaryFile(prefix="opdc-export-")  # noqa: SIM115  (closed by `sent`; gone from disk)
    try:
        exports.write_sessions(file_format, rows, exports.vocabulary(language), spool, now, acting_user(), filters)
    except BaseException:
        spool.close()
        raise
    finally:
        db.session.rollback()  # the read-only transaction ends with the file
    size = spool.tell()
    spool.seek(0)

    def sent():
        with spool:
            while chunk := spool.read(CHUNK_BYTES):
                yield chunk

    response = Response(sent(), mimetype=exports.MIME_TYPES[file_format])
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.export_filename(now, file_format)}"'
    response.headers["Cache-Control"] = "no-store"
    return response
