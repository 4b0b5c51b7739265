"""`flask --app confapp create-device-token`: a scanner's key to the scan API."""

from __future__ import annotations

import click
from flask import g
from flask.cli import with_appcontext

from confapp.admin import services as admin
from confapp.checkin import services


@click.command("create-device-token")
@click.argument("conference_ref", metavar="CONFERENCE")
@click.option("--door", "door_name", required=True, help="The door the scanner stands at.")
@click.option("--label", default="", help="Which scanner this is, e.g. 'Handheld 3'.")
@click.option(
    "--create-door", is_flag=True, help="Add the door if the conference has none by that name."
)
@with_appcontext
def create_device_token(conference_ref, door_name, label, create_door):
    """Print a new device token for a scanner at DOOR of CONFERENCE (id or short name).

    The token is shown once: put it in the scanner's settings as 'Authorization: Bearer
    <token>'. The committee sees and revokes tokens on the conference's Doors page.
    """
    g.cli_actor = "command line"
    try:
        conference = admin.find_conference(conference_ref)
    except admin.ConferenceError as exc:
        raise click.ClickException(str(exc)) from exc
    door = services.find_door(conference, " ".join(door_name.split()))
    if door is None:
        if not create_door:
            names = ", ".join(d.name for d in services.doors(conference)) or "none yet"
            raise click.ClickException(
                f"no door {door_name!r} in {conference.name}. Doors: {names}. "
                "Add --create-door to add it."
            )
        door = services.add_door(conference, door_name)
        click.echo(f"Door added: {door.name}", err=True)
    device, token = services.create_device_token(conference, door, label)
    click.echo(f"Token {device.id} for {door.name} in {conference.name} (shown once):", err=True)
    click.echo(token)
