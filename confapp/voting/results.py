"""Declared results as CSV and PDF, the results book, the projector and the results API."""

from __future__ import annotations

from fractions import Fraction

from flask import Blueprint, abort, g, jsonify, render_template, url_for
from flask_login import current_user

from confapp.auth.access import of_conference_or_404, requires
from confapp.checkin import presence
from confapp.downloads import download
from confapp.extensions import db
from confapp.models import Ballot, BallotState, Role
from confapp.pdf import html_to_pdf
from confapp.spreadsheet import csv_text
from confapp.text import utc_iso
from confapp.voting import charts, services, tally
from confapp.voting.views import FLOOR, B, C, bp

# ---- results --------------------------------------------------------------------------------


def _declared(conference_id: int, ballot_id: int) -> Ballot:
    ballot = of_conference_or_404(Ballot, ballot_id, conference_id)
    if ballot.state != BallotState.DECLARED or not ballot.result:
        abort(404, "This ballot has no declared result yet.")
    return ballot


# The chair's page, the PDFs and the projector read a stored result through charts.figures.
bp.add_app_template_global(charts.figures, "result_figures")

RESULT_COLUMNS = (
    "",
    "section",
    "votes_present",
    "for",
    "against",
    "abstain",
    "not_voting",
    "for_percent",
    "against_percent",
)
WEIGHTED_COLUMNS = (
    "",
    "section",
    "weight",
    "for_percent",
    "against_percent",
    "weighted_for",
    "weighted_against",
)


def _card_vote_rows(shown: charts.Figures) -> list[list]:
    """Each section and all sections as cast, each row with its own percentages."""
    total_label = "All card votes (not weighted)" if shown.weighted is not None else "All sections"
    rows = [list(RESULT_COLUMNS)]
    for kind, row in [("section", s) for s in shown.sections] + [("overall", shown.total)]:
        rows.append(
            [
                kind,
                total_label if kind == "overall" else row.label,
                row.votes_present,
                row.for_,
                row.against,
                row.abstain,
                row.not_voting,
                row.for_percent or "",
                row.against_percent or "",
            ]
        )
    return rows


def _weighted_rows(shown: charts.Figures) -> list[list]:
    """Each section's share and weight, its part of the weighted share, and that share."""
    if shown.weighted is None:
        return []
    rows: list[list] = [[], list(WEIGHTED_COLUMNS)]
    for w in shown.weighted:
        rows.append(
            [
                "weighted section",
                w.label,
                w.weight,
                w.for_percent or "",
                w.against_percent or "",
                w.for_points,
                w.against_points,
            ]
        )
    rows.append(
        [
            "weighted result",
            "Weighted result",
            "100%",
            "",
            "",
            shown.weighted_for or "",
            shown.weighted_against or "",
        ]
    )
    return rows


def result_csv(ballot: Ballot) -> str:
    """A declared result as CSV: the card votes, what decided (when weighted), each delegation."""
    rows: list[list] = []
    result = ballot.result
    rows.append(["ballot", ballot.title])
    rows.append(["majority", result.get("majority_words", "show of hands")])
    rows.append(["result", "CARRIED" if ballot.is_carried else "LOST"])
    if "overall" not in result:
        rows.append(["show of hands", result.get("hands", "")])
        return csv_text(rows)
    shown = charts.figures(result)
    if shown.weighted is not None:
        rows.append(["decided on", "the weighted result"])
    rows.extend(_card_vote_rows(shown))
    rows.extend(_weighted_rows(shown))
    rows.append([])
    rows.append(["delegation", "section", "votes_present", "for", "against", "abstain"])
    for d in result["delegations"]:
        rows.append(
            [
                d["group"],
                d["section"],
                d["votes_present"],
                d["for"],
                d["against"],
                d["abstain"],
            ]
        )
    return csv_text(rows)


@bp.route(f"{B}/result.csv")
@requires(*FLOOR)
def result_csv_download(conference_id: int, ballot_id: int):
    """One declared result as CSV."""
    ballot = _declared(conference_id, ballot_id)
    return download(result_csv(ballot), f"ballot-{ballot.id}-result.csv", "text/csv")


@bp.route(f"{B}/result.pdf")
@requires(*FLOOR)
def result_pdf(conference_id: int, ballot_id: int):
    """One declared result as PDF, with each delegation's vote."""
    ballot = _declared(conference_id, ballot_id)
    html = render_template("voting/results_pdf.html", ballots=[ballot], charts=charts)
    return download(html_to_pdf(html), f"ballot-{ballot.id}-result.pdf", "application/pdf")


@bp.route(f"{C}/results.pdf")
@requires(*FLOOR)
def results_book(conference_id: int):
    """The results book: every declared ballot with its figures and each delegation's vote,
    then every declared election with its count sheet, then the published members' ballots."""
    from confapp.elections import declared as elections
    from confapp.members import counting as members

    declared = [b for b in services.ballots(g.conference) if b.state == BallotState.DECLARED]
    parts = [elections.pdf_part(e) for e in elections.declared_elections(g.conference)]
    html = render_template(
        "voting/results_pdf.html",
        ballots=declared,
        charts=charts,
        book=True,
        elections=parts,
        member_ballots=members.book_parts(g.conference),
    )
    return download(html_to_pdf(html), f"{g.conference.slug}-results.pdf", "application/pdf")


# ---- the projector -------------------------------------------------------------------------------


SCREEN = (Role.STEWARD, Role.TELLER, Role.ADMIN)


@bp.route(f"{C}/projector")
@requires(*SCREEN)
def projector(conference_id: int):
    """The hall's screen, full size: it fetches what to show every few seconds (no reload)."""
    return render_template("voting/projector.html", content=_screen(g.conference))


@bp.route(f"{C}/projector/content")
@requires(*SCREEN)
def projector_content(conference_id: int):
    """What the hall's screen shows now, as a fragment the projector page swaps in."""
    return _screen(g.conference)


def _screen(conference) -> str:
    """Presence and quorum, or the ballot or election the chair put on the screen."""
    if conference.projector_election_id:
        from confapp.elections import declared as elections
        from confapp.models import Election

        election = db.session.get(Election, conference.projector_election_id)
        if election is not None:
            url = url_for(
                "elections.count_sheet",
                conference_id=conference.id,
                election_id=election.id,
                _external=True,
            )
            return render_template(
                "voting/_projector_election.html", **elections.projector_view(election, url)
            )
    ballot = (
        db.session.get(Ballot, conference.projector_ballot_id)
        if conference.projector_ballot_id
        else None
    )
    if ballot is None:
        return render_template("voting/_projector_presence.html", now=presence.summary(conference))
    # During the vote: "card vote in progress" and the votes present; after: the result.
    chart = (
        charts.result_chart(ballot.result) if ballot.result and "overall" in ballot.result else None
    )
    return render_template(
        "voting/_projector_ballot.html",
        ballot=ballot,
        totals=services.roll_totals(ballot),
        chart=chart,
        needed=tally.Majority.from_text(ballot.majority).describe(),
    )


# ---- the API ------------------------------------------------------------------------------------


api = Blueprint("voting_api", __name__, url_prefix="/api/v1")


@api.route("/ballots/<int:ballot_id>")
def ballot_json(ballot_id: int):
    """A ballot and, once declared, its result: for anyone with a role in its conference."""
    if not current_user.is_authenticated:
        abort(401, "Log in to read results.")
    ballot = db.session.get(Ballot, ballot_id)
    if ballot is None or not (
        current_user.is_site_admin or current_user.roles_in(ballot.conference_id)
    ):
        abort(404)
    delegations, votes = services.roll_totals(ballot)
    body = {
        "id": ballot.id,
        "conference": ballot.conference_id,
        "title": ballot.title,
        "session": ballot.session,
        "kind": ballot.kind,
        "majority": ballot.majority,
        "mode": ballot.mode,
        "state": ballot.state,
        "show_of_hands": ballot.hands,
        "recount_of": ballot.recount_of_id,
        "roll": {"delegations": delegations, "votes_present": votes}
        if ballot.is_card_vote
        else None,
        "declared_at": utc_iso(ballot.declared_at),
        "carried": ballot.is_carried,
        "result": api_result(ballot.result) if ballot.state == BallotState.DECLARED else None,
    }
    return jsonify(body)


def _exact(for_: Fraction | None) -> str | None:
    return None if for_ is None else f"{for_.numerator}/{for_.denominator}"


def api_result(stored: dict | None) -> dict | None:
    """The stored result, its keys as declared, with the card votes' own unweighted percentages
    ("card_votes") and, when weighted, each section's part of the weighted share ("weighting").

    "overall" keeps its meaning: when weighted, its percentages are the weighted ones.
    """
    if not stored or "overall" not in stored:
        return stored
    shown = charts.figures(stored)
    total = shown.total
    cast = total.for_ + total.against
    body = stored | {
        "card_votes": {
            "votes_present": total.votes_present,
            "for": total.for_,
            "against": total.against,
            "abstain": total.abstain,
            "not_voting": total.not_voting,
            "cast": cast,
            "for_percent": total.for_percent,
            "against_percent": total.against_percent,
            "for_share_exact": _exact(Fraction(total.for_, cast) if cast else None),
        },
        "weighting": None,
    }
    if shown.weighted is not None:
        sections = stored["sections"]
        parts = tally.weighted_parts(
            [(s.get("weight") or 0, s["for"], s["against"]) for s in sections]
        )
        exact = None if parts is None else sum((p.for_points for p in parts), Fraction(0)) / 100
        body["weighting"] = {
            "for_percent": shown.weighted_for,
            "against_percent": shown.weighted_against,
            "for_share_exact": _exact(exact),
            "sections": [
                {
                    "section": w.label,
                    "weight": s.get("weight"),
                    "counts_for": w.weight,
                    "for_percent": w.for_percent,
                    "against_percent": w.against_percent,
                    "weighted_for": w.for_points,
                    "weighted_against": w.against_points,
                }
                for w, s in zip(shown.weighted, sections, strict=True)
            ],
        }
    return body
