"""The count run from the agreed papers, the chair's declaration, the election on the projector.

The count reads only papers both sheets agree on, each weighed by the votes printed on it;
a paper on one sheet only, or read differently, stops it; a paper on neither sheet was not
returned and is left out (listed on the reconciliation page). Running the count stores what
the pure count returned (sheet.stored_result) and can run again until the chair declares;
after the declaration nothing is entered or counted.
"""

from __future__ import annotations

from confapp import audit
from confapp.elections import Ballot, Category, CountError, CountResult, count_stv
from confapp.elections.entries import (
    candidates_by_place,
    counted_part,
    from_text,
    lock_election,
    reconcile,
)
from confapp.elections.sheet import stored_result
from confapp.extensions import db
from confapp.models import Conference, Election, ElectionState, User, utcnow


class RunError(ValueError):
    """A count or declaration the rules refuse now, in words; nothing changed."""


def ballots_of(election: Election) -> list[Ballot]:
    """The agreed papers as the count takes them: places read up to a gap or repeat, weighed."""
    check = reconcile(election)
    if (problem := check.refusal()) is not None:
        raise RunError(problem)
    # Places on the paper are the count's candidate numbers: the paper lists them from 1.
    number = {c.position: n for n, c in enumerate(candidates_by_place(election), start=1)}
    return [
        Ballot(
            tuple(number[p] for p in counted_part(from_text(line.first or ""))),
            weight=line.paper.value,
        )
        for line in check.of("agreed")
    ]


def count(election: Election) -> CountResult:
    """Count the agreed papers by the election's rule, quotas and seed (no database change)."""
    standing = candidates_by_place(election)
    number = {c.id: n for n, c in enumerate(standing, start=1)}
    categories = [
        Category(
            name=category.name,
            members=frozenset(
                number[c.id] for c in standing if any(cat.id == category.id for cat in c.categories)
            ),
            minimum=category.min_seats,
            maximum=category.max_seats,
        )
        for category in election.categories
    ]
    return count_stv(
        [c.name for c in standing],
        ballots_of(election),
        election.seats,
        str(election.rule),
        categories=categories,
        seed=election.seed,
        withdrawn=[number[c.id] for c in standing if c.withdrawn_at is not None],
    )


def run_count(election: Election, actor: User) -> CountResult:
    """Run the count and keep its sheet; the election is then counted, awaiting declaration."""
    lock_election(election)
    if election.state == ElectionState.DECLARED:
        raise RunError("The result has been declared: the count cannot run again.")
    if election.state == ElectionState.NOMINATIONS:
        raise RunError("Polling has not opened: there are no papers to count.")
    try:
        result = count(election)
    except CountError as problem:  # QuotaError too: the candidates cannot meet the quotas
        raise RunError(f"The count cannot run: {problem}.") from None
    before = {"state": str(election.state), "counted_at": audit.snapshot(election)["counted_at"]}
    election.result = stored_result(result)
    election.counted_at = utcnow()
    election.state = ElectionState.COUNTED
    names = ", ".join(result.candidates[n - 1] for n in result.elected)
    audit.record(
        "election.counted",
        election,
        before=before,
        after={
            "state": "counted",
            "elected": list(result.elected),
            "valid": election.result["valid"],
            "quota": election.result["quota"],
        },
        summary=f"{election.title[:120]}: counted, elected {names}"[:200],
        actor=actor,
    )
    return result


def declare(election: Election, actor: User) -> None:
    """The chair declares the counted result: from then on nothing is entered or counted."""
    lock_election(election)
    if election.state == ElectionState.DECLARED:
        raise RunError("The result has been declared already.")
    if election.state != ElectionState.COUNTED or not election.result:
        raise RunError("Run the count first: there is no result to declare.")
    election.state = ElectionState.DECLARED
    election.declared_at = utcnow()
    election.declared_by_id = actor.id
    names = ", ".join(election.result["candidates"][n - 1] for n in election.result["elected"])
    audit.record(
        "election.declared",
        election,
        before={"state": "counted"},
        after={"state": "declared", "elected": election.result["elected"]},
        summary=f"{election.title[:120]}: declared, elected {names}"[:200],
        actor=actor,
    )


def show_on_projector(conference: Conference, election: Election | None, actor: User) -> None:
    """The hall's screen shows this declared election (instead of any ballot), or not."""
    if election is not None and election.state != ElectionState.DECLARED:
        raise RunError("Only a declared result goes on the projector.")
    conference.projector_election_id = election.id if election else None
    if election is not None:
        conference.projector_ballot_id = None
    audit.record(
        "projector.show",
        conference,
        after={"election": election.id if election else None},
        summary=f"Projector shows {election.title[:150] if election else 'no election'}",
        conference_id=conference.id,
        actor=actor,
    )


def elected_names(election: Election) -> list[str]:
    """The elected in order of election, from the stored count."""
    if not election.result:
        return []
    return [election.result["candidates"][n - 1] for n in election.result["elected"]]


def on_projector(election: Election) -> bool:
    """Whether the hall's screen shows this election."""
    conference = db.session.get(Conference, election.conference_id)
    return conference is not None and conference.projector_election_id == election.id
