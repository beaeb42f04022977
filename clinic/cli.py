"""Command-line tools: `flask users create`, `flask demo`, `flask outbox send`."""

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
    app.cli.add_command(demo_command)
