"""Command-line work: database setup, the demo, users, imports, backups."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click
from flask import Flask, g
from flask.cli import with_appcontext
from flask_migrate import upgrade

from confapp import demo, links
from confapp.admin import services as admin
from confapp.admin.group_csv import ImportRejected
from confapp.auth import services as users
from confapp.checkin.cli import create_device_token
from confapp.credentials.cli import badges as badges_command
from confapp.database import is_sqlite
from confapp.extensions import db
from confapp.models import Conference, Group, Role, User


def _conference(ref: str) -> Conference:
    """CONFERENCE argument: id or short name; exits with the list of conferences if unknown."""
    try:
        return admin.find_conference(ref)
    except admin.ConferenceError as exc:
        raise click.ClickException(str(exc)) from exc


def _as_cli_actor() -> None:
    g.cli_actor = "command line"


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the database or upgrade it to the newest schema (safe to run twice)."""
    upgrade()
    click.echo(f"Database is at the newest schema: {_safe_url()}")


@click.command("setup")
@with_appcontext
def setup():
    """First-run setup for `make run`: upgrade the database and load the demo if it is empty."""
    _as_cli_actor()
    upgrade()
    click.echo(f"Database ready: {_safe_url()}")
    if db.session.execute(db.select(Conference.id).limit(1)).first() is None:
        click.echo("Empty database: loading the demo conference ...")
        demo.load_demo(echo=click.echo)
    else:
        click.echo("Database already holds conferences; demo not loaded.")
    demo.print_logins(echo=click.echo)
    click.echo(f"Log in at {links.external_url('auth.login')}")


@click.command("demo")
@with_appcontext
def demo_command():
    """Create the Local Groups Network Conference demo, once (safe to run twice)."""
    _as_cli_actor()
    demo.load_demo(echo=click.echo)
    demo.print_logins(echo=click.echo)


@click.command("worker")
@click.option("-w", "--workers", default=1, show_default=True, help="Tasks run at once (threads).")
@with_appcontext
def worker(workers):
    """Run the job queue's worker (print runs, voting links) until Ctrl-C; several may share it."""
    import logging

    from flask import current_app

    from confapp import jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    huey = jobs.for_app(current_app._get_current_object()).huey
    click.echo(f"Worker for the {type(huey).__name__} queue, {workers} at once (Ctrl-C stops it)")
    huey.create_consumer(workers=workers, worker_type="thread").run()


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role] + ["site-admin"]),
    required=True,
    help="Role in the conference, or site-admin for the whole installation.",
)
@click.option("--conference", "conference_ref", help="Conference id or short name.")
@click.option("--group", "group_name", help="The group, for a secretary.")
@click.option("--name", default="", help="The person's name.")
@click.option("--password", help="Set a password now instead of printing an invitation link.")
@with_appcontext
def create_user(email, role, conference_ref, group_name, name, password):
    """Create a user (or add a role to one) and print a one-time invitation link."""
    _as_cli_actor()
    try:
        user, created = users.get_or_create_user(email, name)
        _grant(user, role, conference_ref, group_name)
        link = _password_link(user, password)
    except users.UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{'Created' if created else 'Updated'} {user.email} ({role}).")
    if link:
        click.echo(f"One-time link to set a password: {link}")


def _grant(user: User, role: str, conference_ref: str | None, group_name: str | None) -> None:
    """Make the user site admin, or give them the role in the conference (and group)."""
    if role == "site-admin":
        users.make_site_admin(user)
        return
    conference = _pick_conference(conference_ref)
    group = _group(conference, group_name) if group_name else None
    if users.grant_role(user, conference, Role(role), group) is None:
        click.echo(f"{user.email} already is {role} in {conference.name}.")


def _password_link(user: User, password: str | None) -> str | None:
    """Set the password given; else, for a user with none, a one-time link to set one."""
    if password:
        user.set_password(password)
        return None
    if user.password_hash:
        return None
    return users.invitation_url(users.issue_invitation(user))


@click.command("import-groups")
@click.argument("conference_ref", metavar="CONFERENCE")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_groups(conference_ref, csv_file):
    """Add or update a conference's groups from a CSV file; all rows or none."""
    _as_cli_actor()
    conference = _conference(conference_ref)
    click.echo(f"Checking {csv_file} for {conference.name} ...")
    try:
        summary = admin.import_groups(conference, csv_file.read_bytes())
    except ImportRejected as exc:
        db.session.rollback()
        click.echo(f"Nothing was imported: {len(exc.problems)} problem(s).", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Imported: {summary}.")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(target):
    """Copy the live SQLite database consistently to TARGET (on PostgreSQL, use pg_dump)."""
    if not is_sqlite():
        raise click.ClickException(
            "This installation runs on PostgreSQL: back it up with pg_dump, e.g. "
            "pg_dump --format=custom --file=confapp.dump DATABASE_URL"
        )
    if target.exists():
        raise click.ClickException(f"{target} exists already; choose a new file name.")
    source_path = db.engine.url.database
    # SQLite's online backup copies a consistent snapshot while others keep writing.
    with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    copy.close()
    with sqlite3.connect(target) as check:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise click.ClickException(f"The copy failed its integrity check: {result}")
    click.echo(f"Backed up {source_path} to {target} ({target.stat().st_size:,} bytes).")


COMMANDS = (
    init_db,
    setup,
    demo_command,
    create_user,
    import_groups,
    backup,
    badges_command,
    worker,
    create_device_token,
)


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _pick_conference(ref: str | None) -> Conference:
    if ref:
        return _conference(ref)
    conferences = db.session.execute(db.select(Conference)).scalars().all()
    if len(conferences) == 1:
        return conferences[0]
    raise click.ClickException(
        "Say which conference with --conference (id or short name): "
        + "; ".join(f"{c.id} {c.slug}" for c in conferences)
    )


def _group(conference: Conference, name: str) -> Group:
    try:
        return admin.find_group(conference, name)
    except admin.ConferenceError as exc:
        raise click.ClickException(str(exc)) from exc


def _safe_url() -> str:
    return db.engine.url.render_as_string(hide_password=True)
