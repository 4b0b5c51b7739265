"""Counted elections read from the database, for their pages, the results book and the projector."""

from __future__ import annotations

from confapp.elections import entries, publish
from confapp.extensions import db
from confapp.models import Election, ElectionState, Group

# Wider than this, a printed count sheet turns to landscape A4.
PORTRAIT_STAGES = 5


def groups_by_place(election: Election) -> dict[int, str]:
    """Each candidate's group by their place on the paper, for 'Elected' with their group."""
    placed = [c for c in election.candidates if c.position is not None]
    ids = {c.group_id for c in placed if c.group_id}
    names = (
        dict(db.session.execute(db.select(Group.id, Group.name).where(Group.id.in_(ids))).all())
        if ids
        else {}
    )
    return {c.position: names.get(c.group_id, "") for c in placed}


def pdf_part(election: Election) -> dict:
    """What a PDF (one election's, or the results book) prints of one counted election."""
    sheet = publish.count_sheet(election.result)
    return {
        "election": election,
        "sheet": sheet,
        "groups": groups_by_place(election),
        "wide": len(sheet.stages) > PORTRAIT_STAGES,
    }


def declared_elections(conference) -> list[Election]:
    """The conference's declared elections, in the order they were declared."""
    return list(
        db.session.scalars(
            db.select(Election)
            .where(
                Election.conference_id == conference.id,
                Election.state == ElectionState.DECLARED,
                Election.result.is_not(None),
            )
            .order_by(Election.declared_at, Election.id)
        )
    )


def agreed_readings(election: Election) -> list[tuple[tuple[int, ...], int]]:
    """(preferences, value) of each paper as the count read it: no paper number, no teller.

    The same papers and the same reading as the count (`running.ballots_of`): both sheets'
    current entries alike, each read up to its first gap or repeat, places numbered as the
    count numbers the candidates; so any program counting the BLT meets the declared result.
    """
    number = {c.position: n for n, c in enumerate(entries.candidates_by_place(election), start=1)}
    return [
        (
            tuple(number[p] for p in entries.counted_part(entries.from_text(line.first or ""))),
            line.paper.value,
        )
        for line in entries.reconcile(election).of("agreed")
    ]


# The projector's compact count sheet fits a 16:9 screen up to this size; beyond it, the hall
# sees the elected and the last stages, and the address of the full sheet.
SCREEN_CANDIDATES = 12
SCREEN_STAGES = 10


def projector_view(election: Election, full_sheet_url: str) -> dict:
    """What the hall's screen shows of an election: its state or, declared, the result."""
    view = {"election": election, "sheet": None, "url": full_sheet_url}
    if election.state != ElectionState.DECLARED or not election.result:
        return view
    sheet = publish.count_sheet(election.result)
    first = max(0, len(sheet.stages) - SCREEN_STAGES)
    view.update(
        sheet=sheet,
        groups=groups_by_place(election),
        columns=list(range(first, len(sheet.stages))),
        table=len(sheet.rows) <= SCREEN_CANDIDATES,
        cut=first > 0 or len(sheet.rows) > SCREEN_CANDIDATES,
        short=publish.short,
        labels=[_label(stage) for stage in election.result["stages"]],
    )
    return view


def _label(stage: dict) -> str:
    """A stage's action in a few letters, under its number on the screen: 'excl 4'."""
    if stage["action"] == "first":
        return "first"
    if stage["subject"] is None:
        return "Meek"
    return f"{'excl' if stage['action'] == 'exclusion' else 'surpl'} {stage['subject']}"
