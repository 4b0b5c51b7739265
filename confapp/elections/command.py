"""`flask count-stv`: count a BLT file by Scottish STV or Meek and print the count sheet."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click

from confapp.elections.blt import BltError, parse_blt
from confapp.elections.count import count_stv
from confapp.elections.model import CountError
from confapp.elections.sheet import count_sheet, result_json


@click.command("count-stv")
@click.argument("ballots", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--rule",
    type=click.Choice(["scottish", "meek"]),
    default="scottish",
    show_default=True,
    help="The counting rule.",
)
@click.option(
    "--seats",
    type=click.IntRange(min=1),
    default=None,
    help="Seats to fill (default: as the file says).",
)
@click.option(
    "--seed",
    default=None,
    help="Seed of the draw for ties (default: SHA-256 of the file, first 16 digits).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the count as JSON.")
def count_stv_command(
    ballots: Path, rule: str, seats: int | None, seed: str | None, as_json: bool
) -> None:
    """Count the ballots in BALLOTS (BLT, gzipped or not) and print the count sheet.

    Reads only: safe to run twice, and the same file and seed always give the same count.
    """
    data = ballots.read_bytes()
    if seed is None:
        # Fixed before the count by the ballots alone, so nobody chooses it after seeing a tie.
        seed = hashlib.sha256(data).hexdigest()[:16]
    try:
        election = parse_blt(data)
        result = count_stv(
            election.candidates,
            election.ballots,
            seats or election.seats,
            rule,
            seed=seed,
            tie_order=election.tie_order,
            withdrawn=election.withdrawn,
        )
    except BltError as error:
        raise click.ClickException(f"{ballots}: {error}") from None
    except CountError as error:
        raise click.ClickException(f"{ballots}: {error}; nothing was counted") from None
    if as_json:
        click.echo(json.dumps(result_json(result), indent=2, ensure_ascii=False))
        return
    if election.title:
        click.echo(election.title)
    for note in election.notes:
        click.echo(f"Note: {note}")
    click.echo(count_sheet(result))
