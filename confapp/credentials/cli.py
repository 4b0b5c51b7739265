"""`flask --app confapp badges`: print a conference's badges to a PDF file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
import sqlalchemy as sa
from flask import g
from flask.cli import with_appcontext

from confapp import audit
from confapp.admin import services as admin
from confapp.credentials import badges as badge_data
from confapp.extensions import db
from confapp.models import Credential, Delegate, utcnow
from confapp.text import plural

# printed_at is set in batches of ids: SQLite and PostgreSQL both take this many parameters.
_BATCH = 500


@click.command("badges")
@click.argument("conference_ref", metavar="CONFERENCE")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The PDF file to write (replaced if it exists).",
)
@click.option("--group", "group_name", help="Only this group's badges.")
@click.option(
    "--layout",
    type=click.Choice(badge_data.LAYOUTS),
    help="a4-8up: eight 85 x 54 mm badges on A4 with crop marks; a6: one badge per A6 "
    "sheet. Default: the conference's layout.",
)
@click.option(
    "--only-new", is_flag=True, help="Only badges not printed before (new and reissued codes)."
)
@with_appcontext
def badges(conference_ref, out, group_name, layout, only_new):
    """Print the live badges of CONFERENCE (id or short name) to a PDF file.

    Revoked codes are never printed. Afterwards the printed badges are marked printed and the
    run is on the audit log, so `--only-new` next time prints only what came since.
    """
    g.cli_actor = "command line"
    if not out.resolve().parent.is_dir():
        raise click.ClickException(f"no folder {out.resolve().parent} to write {out.name} in")
    try:
        conference = admin.find_conference(conference_ref)
        group = admin.find_group(conference, group_name) if group_name else None
    except admin.ConferenceError as exc:
        raise click.ClickException(str(exc)) from exc
    layout = layout or conference.badge_layout
    scope = _scope(group, only_new)
    items = badge_data.badges_for(conference, _selection(conference, group, only_new))
    if not items:
        if only_new:
            click.echo(f"Nothing new to print ({scope}): every live badge was printed before.")
        else:
            click.echo(f"Nothing to print: no live badges ({scope}).")
        click.echo(f"{out} was not written.")
        return

    count = plural(len(items), "badge")
    click.echo(f"{conference.name}: {count} ({scope}), layout {layout}.")
    pdf = _render_with_progress(items, layout)
    _write(out, pdf)
    _mark_printed([item.credential_id for item in items])
    audit.record(
        "badges.print",
        conference,
        after={
            "count": len(items),
            "layout": layout,
            "scope": "new" if only_new else "all",
            "group": group.name if group is not None else None,
            "file": out.name,
        },
        summary=f"{count} ({scope}, {layout}) to {out.name}",
    )
    db.session.commit()
    click.echo(f"Wrote {out} ({len(pdf):,} bytes); {count} marked printed.")


def _selection(conference, group, only_new: bool):
    """The live badges asked for: the conference's, or a group's; only the unprinted if new."""
    query = badge_data.live_credentials_query(conference)
    if group is not None:
        query = query.where(Delegate.group_id == group.id)
    if only_new:
        query = query.where(Credential.printed_at.is_(None))
    return query


def _render_with_progress(items, layout: str) -> bytes:
    """The badges as one PDF, a progress bar on the terminal while they render."""
    from confapp.credentials import render

    with click.progressbar(length=len(items), label="Rendering", show_pos=True) as bar:
        shown = 0

        def progress(done: int, total: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        return render.render_badges(items, layout, progress=progress)


def _mark_printed(ids: list[int]) -> None:
    """Set printed_at on these credentials, in batches the databases take as parameters."""
    now = utcnow()
    for start in range(0, len(ids), _BATCH):
        db.session.execute(
            sa.update(Credential)
            .where(Credential.id.in_(ids[start : start + _BATCH]))
            .values(printed_at=now)
            .execution_options(synchronize_session=False)
        )


def _scope(group, only_new: bool) -> str:
    """The run's selection in words, for the terminal and the audit log."""
    who = f"group {group.name}" if group is not None else "all groups"
    return f"{who}, new since the last run" if only_new else who


def _write(out: Path, pdf: bytes) -> None:
    """Write the PDF whole or not at all: a temporary file renamed into place.

    The file is readable by its owner only (mkstemp's mode): it holds people's names and codes.
    """
    out = out.resolve()
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(pdf)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
