"""The declared count published: sheet (page, CSV, PDF), anonymised BLT, quota categories.

Who reads what: once the chair declares, every role in the conference (secretaries and
stewards too) reads the count sheet and downloads its files. Before that, a counted sheet is
the tellers' and the committee's only: they check it before the chair declares, and nobody
else learns a result that is not yet a result. Every file is the stored count, as declared.
"""

from __future__ import annotations

import json

from flask import abort, render_template, url_for
from flask_login import current_user

from confapp.auth.access import of_conference_or_404, reads_as_committee, requires
from confapp.downloads import download
from confapp.elections import publish
from confapp.elections.declared import agreed_readings, groups_by_place, pdf_part
from confapp.elections.views import READERS, E, bp
from confapp.models import Election, ElectionState, Role
from confapp.pdf import html_to_pdf
from confapp.spreadsheet import csv_text

# Every role of the conference may open these; _readable decides per election.
ANYONE_IN = (*READERS, Role.SECRETARY)
BEFORE_DECLARED = {Role.ADMIN, Role.TELLER}  # those who check the count before it is declared
NOT_YET = "There is nothing at this address. {what} once the result is declared."
NOT_COUNTED = "There is nothing at this address. This election has not been counted yet."


def may_read_undeclared(conference_id: int) -> bool:
    """Tellers and the committee read a count before the chair declares it."""
    if current_user.is_site_admin:
        return True
    held = current_user.roles_in(conference_id)
    return bool(held & BEFORE_DECLARED) or reads_as_committee(held)


def _readable(conference_id: int, election_id: int, what: str) -> Election:
    """The election if this user may read its count now; else 404 saying when they may."""
    election = of_conference_or_404(Election, election_id, conference_id)
    declared = election.state == ElectionState.DECLARED and election.result
    if not declared and not may_read_undeclared(conference_id):
        abort(404, NOT_YET.format(what=what))
    if not election.result:
        abort(404, NOT_COUNTED)
    return election


def file_links(election: Election) -> dict[str, str]:
    """Where the published files of an election are."""
    ids = {"conference_id": election.conference_id, "election_id": election.id}
    return {
        "page": url_for("elections.count_sheet", **ids),
        "csv": url_for("elections.count_sheet_csv", **ids),
        "pdf": url_for("elections.count_sheet_pdf", **ids),
        "blt": url_for("elections.ballots_blt", **ids),
        "categories": url_for("elections.categories", **ids),
    }


@bp.route(f"{E}/count-sheet")
@requires(*ANYONE_IN)
def count_sheet(conference_id: int, election_id: int):
    """The stage-by-stage count sheet, with the elected first and the files to recount from."""
    election = of_conference_or_404(Election, election_id, conference_id)
    if election.state != ElectionState.DECLARED and not may_read_undeclared(conference_id):
        abort(404, NOT_YET.format(what="The count sheet is published"))
    sheet = publish.count_sheet(election.result) if election.result else None
    return render_template(
        "elections/count_sheet.html",
        election=election,
        sheet=sheet,
        groups=groups_by_place(election),
        files=file_links(election),
        declared=election.state == ElectionState.DECLARED,
    )


@bp.route(f"{E}/count-sheet.csv")
@requires(*ANYONE_IN)
def count_sheet_csv(conference_id: int, election_id: int):
    """The count sheet as CSV: a column for each stage's total and each stage's transfer."""
    election = _readable(conference_id, election_id, "The count sheet is published")
    rows = publish.csv_rows(election.result, election.title)
    return download(
        csv_text(rows, byte_order_mark=True),
        f"election-{election.id}-count-sheet.csv",
        "text/csv",
    )


@bp.route(f"{E}/count-sheet.pdf")
@requires(*ANYONE_IN)
def count_sheet_pdf(conference_id: int, election_id: int):
    """The count sheet as PDF: landscape A4 when the stages would not fit upright."""
    election = _readable(conference_id, election_id, "The count sheet is published")
    html = render_template(
        "elections/count_sheet_pdf.html",
        elections=[pdf_part(election)],
        book=False,
    )
    return download(html_to_pdf(html), f"election-{election.id}-count-sheet.pdf", "application/pdf")


@bp.route(f"{E}/ballots.blt")
@requires(*ANYONE_IN)
def ballots_blt(conference_id: int, election_id: int):
    """The papers as counted, anonymised, in BLT: no paper number, no teller, identical summed."""
    election = _readable(conference_id, election_id, "The ballots are published")
    stored = election.result
    text = publish.blt_text(
        election.title,
        stored["candidates"],
        stored["seats"],
        agreed_readings(election),
        withdrawn=stored.get("withdrawn", []),
    )
    return download(text, f"election-{election.id}-ballots.blt", "text/plain")


@bp.route(f"{E}/categories.json")
@requires(*ANYONE_IN)
def categories(conference_id: int, election_id: int):
    """The quota categories: each with its minimum, maximum and candidates' numbers and names."""
    election = _readable(conference_id, election_id, "The quota categories are published")
    document = publish.categories_document(election.result, election.title)
    return download(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        f"election-{election.id}-categories.json",
        "application/json",
    )
