"""Command-line tools: `flask users create`, `flask demo`, `flask outbox send|retry`, `flask files check`,
`flask doctor`, `flask backup create|restore`, `flask slots generate`, `flask org import`,
`flask bookings expire`."""

import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from clinic.accounts.models import Role
from clinic.backup import BackupError, Site, create_backup, restore_backup
from clinic.database import utcnow
from clinic.errors import DomainError
from clinic.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued e-mail.")
files_cli = AppGroup("files", help="Uploaded documents on disk.")
backup_cli = AppGroup("backup", help="Back up and restore the database, uploaded documents and secret key.")
slots_cli = AppGroup("slots", help="Advisors' slots generated from their availability.")
org_cli = AppGroup("org", help="Ministries, departments and topics.")
bookings_cli = AppGroup("bookings", help="Bookings' lifecycle.")
retention_cli = AppGroup("retention", help="Personal data kept no longer than RETENTION_DAYS (PDPA).")
export_cli = AppGroup("export", help="Reports to files, for scheduled jobs.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--position", default="")
@click.option("--department", "department_name", help="Department name (Thai), for officers.")
@click.option("--ministry", "ministry_name", help="Ministry name (Thai), for coordinators.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email, name, role, position, department_name, ministry_name, password_stdin):
    """Create an account; the password is prompted for, or read from standard input."""
    import clinic.models  # noqa: F401
    from clinic.accounts.services import create_user
    from clinic.organisations.models import Department, Ministry

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    department = ministry = None
    if department_name:
        department = db.session.scalar(select(Department).where(Department.name_th == department_name))
        if department is None:
            raise click.ClickException(f"no department named {department_name!r}")
    if ministry_name:
        ministry = db.session.scalar(select(Ministry).where(Ministry.name_th == ministry_name))
        if ministry is None:
            raise click.ClickException(f"no ministry named {ministry_name!r}")
    try:
        user = create_user(None, email=email, name=name, role=role, password=password, now=utcnow(),
                           department=department, ministry=ministry, position=position)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep delivering (a worker); SIGTERM or SIGINT stops it after the message in hand.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between looks at the outbox when idle.")
@click.option("--batch", default=10, show_default=True, help="Messages claimed at a time.")
def send_outbox(loop: bool, interval: float, batch: int):
    """Deliver due e-mail from the outbox; failures are retried with back-off (see clinic/notifications/worker.py)."""
    import logging
    import signal
    import threading
    from datetime import timedelta

    from clinic.notifications.services import transport_for
    from clinic.notifications.worker import OutboxWorker

    config = current_app.config
    current_app.logger  # noqa: B018  (sets up Flask's log handler, which the worker's "clinic.outbox" log reaches)
    logging.getLogger("clinic.outbox").setLevel(logging.INFO)
    stop = threading.Event()

    def on_signal(signum, _frame):
        if stop.is_set():
            raise SystemExit(128 + signum)  # a second signal: stop at once
        click.echo(f"{signal.Signals(signum).name}: stopping after the message in hand", err=True)
        stop.set()

    previous = {number: signal.signal(number, on_signal) for number in (signal.SIGTERM, signal.SIGINT)}
    worker = OutboxWorker(transport_for(config), config["MAIL_FROM"], batch=batch, stop=stop,
                          lease=timedelta(seconds=float(config.get("MAIL_CLAIM_SECONDS", 600))))
    try:
        if loop:
            worker.run(interval, report=lambda sent, failed: click.echo(f"sent {sent}, failed {failed}"))
            click.echo(f"stopped: sent {worker.sent}, failed {worker.failed}")
        else:
            sent, failed = worker.deliver_all()
            click.echo(f"sent {sent}, failed {failed}")
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@outbox_cli.command("retry")
@click.option("--id", "message_ids", type=int, multiple=True, help="A message to send again (repeatable).")
@click.option("--all-failed", is_flag=True, help="Every message that was given up.")
def retry_outbox(message_ids: tuple[int, ...], all_failed: bool):
    """Queue failed e-mail again: due at once, its attempts counted afresh (an audit event records it)."""
    from clinic.notifications.models import OutboxMessage
    from clinic.notifications.services import requeue, requeue_failed

    if bool(message_ids) == all_failed:
        raise click.UsageError("give --id N (one or more) or --all-failed")
    now = utcnow()
    try:
        if all_failed:
            requeued = requeue_failed(None, now)
        else:
            requeued = []
            for message_id in message_ids:
                message = db.session.get(OutboxMessage, message_id)
                if message is None:
                    raise click.ClickException(f"no message {message_id}")
                requeue(None, message, now)
                requeued.append(message_id)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"requeued {len(requeued)}: {', '.join(map(str, requeued)) or '-'}")


@files_cli.command("check")
@click.option("--fix", is_flag=True, help="Remove the orphaned files.")
@click.option("--older-than", "minutes", default=60, show_default=True,
              help="Count a file without a document as orphaned only after this many minutes (an upload in flight).")
def check_files_command(fix: bool, minutes: int):
    """Report uploaded files that no document refers to, and documents whose file is missing."""
    from clinic.bookings.documents import check_files
    from clinic.bookings.models import Document

    folder = current_app.config["UPLOAD_FOLDER"]
    # retention deleted the files of anonymised documents on purpose
    stored = set(db.session.scalars(select(Document.stored_name).where(Document.anonymised_at.is_(None))))
    report = check_files(folder, stored, time.time() - minutes * 60)
    for path in report.orphans:
        if fix:
            path.unlink(missing_ok=True)
        click.echo(f"{'removed' if fix else 'orphan'} {path}")
    for name in report.missing:
        click.echo(f"missing {name}")
    click.echo(f"{len(stored)} documents, {len(report.orphans)} orphaned files"
               f"{' removed' if fix and report.orphans else ''}, {len(report.missing)} missing files")
    if report.missing or (report.orphans and not fix):
        sys.exit(1)


@slots_cli.command("generate")
@click.option("--advisor", "email", help="Only this advisor (e-mail); every advisor with availability otherwise.")
@click.option("--weeks", type=click.IntRange(1, 52), help="Weeks ahead; SLOT_HORIZON_WEEKS by default.")
def generate_slots_command(email: str | None, weeks: int | None):
    """Bring generated slots in line with each advisor's availability for the coming weeks (for cron: running it
    again changes nothing). Slots holding bookings are never touched; they are reported as conflicts."""
    from clinic.accounts.models import User
    from clinic.bookings.queries import slots_holding_bookings
    from clinic.scheduling.models import Availability
    from clinic.scheduling.services import Regeneration, regenerate_slots
    from clinic.web import request_now  # the clock, which a test may pin (NOW)

    regeneration = Regeneration(weeks or current_app.config["SLOT_HORIZON_WEEKS"], slots_holding_bookings)
    query = (
        select(User)
        .join(Availability, Availability.advisor_id == User.id)
        .where(User.role == Role.ADVISOR, User.is_active_account.is_(True))  # a deactivated advisor gets no new slots
        .order_by(User.id)
    )
    if email:
        query = query.where(User.email == email.strip().lower())
    advisors = list(db.session.scalars(query))
    if email and not advisors:
        raise click.ClickException(f"no advisor with availability has the e-mail {email!r}")
    failed = 0
    for advisor in advisors:
        label = advisor.email
        try:
            plan = regenerate_slots(None, advisor, request_now(), regeneration)
        except DomainError as error:
            db.session.rollback()
            failed += 1
            click.echo(f"{label}: not regenerated: {error.message}", err=True)
            continue
        db.session.commit()  # one advisor at a time: a refusal for one leaves the others done
        click.echo(f"{label}: created {len(plan.create)}, withdrawn {len(plan.withdraw)}, "
                   f"conflicts {len(plan.conflicts)}, skipped {len(plan.skipped)}")
    if failed:
        sys.exit(1)


@org_cli.command("import")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--builtin", is_flag=True, help="The list shipped with the app: Thai ministries, departments, OPDC topics.")
@click.option("--dry-run", is_flag=True, help="Check the file and print what would change; write nothing.")
def import_organisations_command(file: Path | None, builtin: bool, dry_run: bool) -> None:
    """Load ministries, departments and topics from FILE (.csv in UTF-8, or .xlsx), matched by code: running it
    again changes nothing. All or nothing: any problem is printed with its row number and nothing is written."""
    from clinic.organisations.importer import ImportProblems, builtin_path, read_file
    from clinic.organisations.services import import_organisations

    if (file is None) == (not builtin):
        raise click.UsageError("give a FILE (.csv or .xlsx) or --builtin")
    path = builtin_path() if builtin else file
    assert path is not None
    try:
        summary = import_organisations(read_file(path))
    except ImportProblems as refused:
        db.session.rollback()
        for problem in refused.problems:
            click.echo(f"{path.name}: {problem}", err=True)
        click.echo(f"nothing imported: {len(refused.problems)} problem{'' if len(refused.problems) == 1 else 's'}",
                   err=True)
        sys.exit(1)
    except IntegrityError as error:  # a change the checks did not foresee (e.g. two departments swapping names)
        db.session.rollback()
        click.echo(f"{path.name}: the database refused the import, nothing imported: "
                   f"{str(error.orig).splitlines()[0]}", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in summary.lines():
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing written")


@bookings_cli.command("expire")
def expire_bookings_command() -> None:
    """Mark requests still pending when their session began as expired, freeing their seats and telling the
    department (for cron: running it again changes nothing)."""
    from clinic.bookings.offers import expire_offers
    from clinic.bookings.rules import BookingRules
    from clinic.bookings.services import expire_pending
    from clinic.web import request_now  # the clock, which a test may pin (NOW)

    rules = BookingRules.from_config(current_app.config)
    expired = expire_pending(request_now(), rules)
    lapsed = expire_offers(request_now(), rules)  # waitlist offers that passed unclaimed go to the next in line
    db.session.commit()
    click.echo(f"expired {len(expired)}" + "".join(f"\n{booking.reference}" for booking in expired))
    if lapsed:
        click.echo(f"waitlist offers lapsed {len(lapsed)}")


reminders_cli = AppGroup("reminders", help="Reminders of sessions and next steps.")


@reminders_cli.command("queue")
def queue_reminders_command() -> None:
    """Queue the reminders due now: sessions on the next working day, next steps due in three days or overdue.
    Each is queued once however often this runs (cron it daily or hourly); `flask outbox send` delivers them."""
    from clinic.bookings.reminders import queue_session_reminders
    from clinic.records.reminders import queue_action_item_reminders
    from clinic.web import request_now  # the clock, which a test may pin (NOW)

    now = request_now()
    sessions = queue_session_reminders(now)
    steps = queue_action_item_reminders(now)
    db.session.commit()
    click.echo(f"queued {sessions} session reminder(s), {steps} next-step reminder(s)")


@click.command("demo")
def demo_command():
    """Apply migrations, load the demo data once, and print the demo logins."""
    from clinic.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo

    upgrade()
    loaded = load_demo(utcnow())
    db.session.commit()
    click.echo("Demo data loaded." if loaded else "Demo data already present; nothing changed.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, label, _role in DEMO_LOGINS:
        click.echo(f"  {label:<40} {email}")


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Print what is configured and whether each part answers; exit 1 when one does not."""
    from clinic.doctor import configured, run_checks

    click.echo("configured:")
    for part, description in configured(current_app.config):
        click.echo(f"  {part:<12} {description}")
    click.echo("checks:")
    checks = run_checks(current_app.config, current_app.extensions["migrate"].directory)
    for check in checks:
        click.echo(f"  {'ok' if check.ok else 'FAILED':<7}{check.part:<12} {check.detail}")
    failed = [check.part for check in checks if not check.ok]
    click.echo(f"{', '.join(failed)} did not answer" if failed else "every part answers")
    sys.exit(1 if failed else 0)


def files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


def backup_site(app: Flask) -> Site:
    return Site(database_url=app.config["SQLALCHEMY_DATABASE_URI"], upload_folder=Path(app.config["UPLOAD_FOLDER"]),
                instance_path=Path(app.instance_path), migrations=app.extensions["migrate"].directory)


@backup_cli.command("create")
@click.argument("directory", type=click.Path(path_type=Path))
def create_backup_command(directory: Path) -> None:
    """Back up into DIRECTORY (new, or empty): the database, the uploaded documents, the secret key, a manifest."""
    db.session.remove()  # our own transaction must not hold a lock while SQLite is copied
    try:
        manifest = create_backup(directory, backup_site(current_app), utcnow())
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    size = sum(entry.size for entry in manifest.files)
    click.echo(f"backed up the {manifest.database_kind} database (revision {manifest.alembic_revision}) and "
               f"{files(len(manifest.files) - 1)}, {size:,} bytes in all, to {directory}")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_backup_command(directory: Path, force: bool) -> None:
    """Restore the backup in DIRECTORY, after checking every file's checksum. Stop the app first."""
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the database while it is replaced
    try:
        manifest = restore_backup(directory, backup_site(current_app), force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored the {manifest.database_kind} database (revision {manifest.alembic_revision}) and "
               f"{files(len(manifest.files) - 1)} from {directory}, made {manifest.created_at}")
    click.echo("next: flask db upgrade (if this version is newer), flask files check, flask doctor")


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="Print what would be anonymised and change nothing.")
def apply_retention_command(dry_run: bool):
    """Anonymise the personal data of sessions held more than RETENTION_DAYS ago: attendees' names, request text,
    e-mail bodies, uploaded files (the statistics the reports need stay). Running it again changes nothing."""
    from clinic.privacy.retention import apply_retention, delete_files
    from clinic.web import request_now  # the clock, which a test may pin (NOW)

    report = apply_retention(request_now(), current_app.config["RETENTION_DAYS"], current_app.config["UPLOAD_FOLDER"],
                             dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
        delete_files(report)
    for line in report.lines(dry_run):
        click.echo(line)


@export_cli.command("sessions")
@click.option("--format", "file_format", required=True, type=click.Choice(["csv", "xlsx", "pdf"]))
@click.option("--fiscal-year", type=int, help="Thai fiscal year in BE (October to September), e.g. 2569.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="First day, YYYY-MM-DD (CE), Bangkok.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Last day, YYYY-MM-DD (CE), inclusive.")
@click.option("--include-cancelled", is_flag=True, help="Also cancelled, declined and expired sessions.")
@click.option("--language", default="th", show_default=True, type=click.Choice(["th", "en"]))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The file to write.")
def export_sessions_command(file_format, fiscal_year, date_from, date_to, include_cancelled, language, output):
    """Write the sessions report to a file, as the administrator's export does; audited as a system action.
    The file appears whole or not at all (written beside it, then renamed)."""
    import clinic.models  # noqa: F401
    from clinic.reports.exports import write_sessions_file
    from clinic.reports.services import SessionFilters, record_sessions_export

    filters = SessionFilters(date_from=date_from.date() if date_from else None,
                             date_to=date_to.date() if date_to else None, fiscal_year=fiscal_year,
                             include_cancelled=include_cancelled)
    names = {"date_from": "--from", "date_to": "--to", "fiscal_year": "--fiscal-year"}
    now = utcnow()
    try:
        record_sessions_export(None, filters, now, file_format)  # checks the filters too
        db.session.commit()  # the audit event is saved before the file is made, as in the browser
    except DomainError as error:
        db.session.rollback()
        option = names.get(error.field or "", error.field or "")
        raise click.BadParameter(str(error.message), param_hint=option) from error
    partial = output.with_name(f".{output.name}.partial")
    try:
        size = write_sessions_file(None, filters, file_format, partial, now, language)
        partial.replace(output)
    finally:
        db.session.rollback()
        partial.unlink(missing_ok=True)
    click.echo(f"wrote {output} ({size:,} bytes)")


def register(app: Flask) -> None:
    app.cli.add_command(retention_cli)
    app.cli.add_command(export_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(slots_cli)
    app.cli.add_command(org_cli)
    app.cli.add_command(bookings_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(doctor_command)
