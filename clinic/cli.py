"""Command-line tools: `flask users create`, `flask demo`, `flask outbox send`, `flask slots generate`."""

import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from clinic.accounts.models import Role
from clinic.database import utcnow
from clinic.errors import DomainError
from clinic.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued e-mail.")
files_cli = AppGroup("files", help="Uploaded documents on disk.")
slots_cli = AppGroup("slots", help="Advisors' slots generated from their availability.")


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
@click.option("--loop", is_flag=True, help="Keep delivering every few seconds (a worker).")
@click.option("--interval", default=5.0, show_default=True)
def send_outbox(loop: bool, interval: float):
    """Deliver due e-mail from the outbox; failures are retried with back-off."""
    from clinic.notifications.services import deliver_due, transport_for

    transport = transport_for(current_app.config)
    while True:
        sent, failed = deliver_due(transport, current_app.config["MAIL_FROM"], utcnow())
        db.session.commit()
        if sent or failed or not loop:
            click.echo(f"sent {sent}, failed {failed}")
        if not loop:
            return
        time.sleep(interval)


@files_cli.command("check")
@click.option("--fix", is_flag=True, help="Remove the orphaned files.")
@click.option("--older-than", "minutes", default=60, show_default=True,
              help="Count a file without a document as orphaned only after this many minutes (an upload in flight).")
def check_files_command(fix: bool, minutes: int):
    """Report uploaded files that no document refers to, and documents whose file is missing."""
    from clinic.bookings.documents import check_files
    from clinic.bookings.models import Document

    folder = current_app.config["UPLOAD_FOLDER"]
    stored = set(db.session.scalars(select(Document.stored_name)))
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


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(slots_cli)
    app.cli.add_command(demo_command)
