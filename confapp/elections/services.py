"""Setting up an election: its rules and quotas, nominations, and opening the poll.

Every change first takes the election's row lock (an UPDATE of its version, as a ballot's),
so a nomination cannot slip in while polling opens. The use cases flush; their caller
commits once.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from confapp import audit, voters
from confapp.checkin import presence
from confapp.database import lock_row
from confapp.elections.model import Category, QuotaError
from confapp.elections.quotas import Quotas
from confapp.extensions import db
from confapp.members import standing as register
from confapp.models import (
    Candidate,
    CandidateOrder,
    Conference,
    Delegate,
    Election,
    ElectionCategory,
    ElectionPaper,
    ElectionRule,
    ElectionState,
    ElectionWeighting,
    Group,
    Presence,
    User,
    utcnow,
)
from confapp.text import plural
from confapp.voting import tally

STATEMENT_LIMIT = 2000  # characters: a statement fits half a page of the nominations list
MAX_SEATS = 500

RULE_WORDS = {
    ElectionRule.SCOTTISH: "Scottish STV (the 2007 Order: Droop quota, 5 decimal places)",
    ElectionRule.MEEK: "Meek STV (New Zealand rules)",
}
WEIGHTING_WORDS = {
    ElectionWeighting.ONE_EACH: "One delegate, one vote",
    ElectionWeighting.SPLIT: "Each delegate's share of their delegation's card vote",
    ElectionWeighting.BLOCK: "Each delegation's block vote, on one paper",
}
ORDER_WORDS = {
    CandidateOrder.ALPHABETICAL: "Alphabetical",
    CandidateOrder.DRAWN: "Drawn when polling opens",
}
STATE_WORDS = {
    ElectionState.NOMINATIONS: "Nominations",
    ElectionState.POLLING: "Polling",
    ElectionState.COUNTED: "Counted",
    ElectionState.DECLARED: "Declared",
}


class ElectionError(ValueError):
    """A step the rules do not allow now, or input they refuse, with a message for the user."""


@dataclass(frozen=True)
class QuotaRow:
    """One quota category as the committee typed it (id 0: a new one)."""

    name: str
    minimum: int = 0
    maximum: int | None = None
    id: int = 0


@dataclass(frozen=True)
class Setup:
    """What the committee decides about an election before nominations close."""

    title: str
    seats: int
    rule: str
    weighting: str
    candidate_order: str
    nominations_close_at: datetime | None  # UTC
    polling_closes_at: datetime | None  # UTC
    quotas: tuple[QuotaRow, ...] = ()


def lock_election(election: Election) -> Election:
    """Take the election's row lock and read it afresh (PostgreSQL row lock, SQLite write lock)."""
    return lock_row(election)


# ---- setting up ----------------------------------------------------------------------------


def _checked(setup: Setup) -> Setup:
    """The setup with its title tidied, or ElectionError naming the first problem."""
    title = " ".join(setup.title.split())
    if not title:
        raise ElectionError("An election needs a title, e.g. “National committee”.")
    if not 1 <= setup.seats <= MAX_SEATS:
        raise ElectionError(f"Seats must be between 1 and {MAX_SEATS}, not {setup.seats}.")
    if setup.rule not in ElectionRule.__members__.values():
        raise ElectionError("Choose Scottish STV or Meek STV.")
    if setup.weighting not in ElectionWeighting.__members__.values():
        raise ElectionError("Choose how papers are weighted.")
    if setup.candidate_order not in CandidateOrder.__members__.values():
        raise ElectionError("Choose alphabetical or drawn order for the paper.")
    opens, closes = setup.nominations_close_at, setup.polling_closes_at
    if opens and closes and closes <= opens:
        raise ElectionError("Polling must close after nominations close.")
    quotas, seen = [], set()
    for row in setup.quotas:
        name = " ".join(row.name.split())
        if not name:
            continue
        if name.casefold() in seen:
            raise ElectionError(f"The quota category {name} is listed twice.")
        seen.add(name.casefold())
        low, high = row.minimum, row.maximum
        if low < 0 or (high is not None and high < 0):
            raise ElectionError(f"{name}: seats cannot be negative.")
        if high is not None and low > high:
            raise ElectionError(f"{name}: at least {low} is more than at most {high}.")
        if low > setup.seats:
            raise ElectionError(
                f"{name}: at least {low} cannot be met when only "
                f"{plural(setup.seats, 'seat')} {'is' if setup.seats == 1 else 'are'} filled."
            )
        quotas.append(QuotaRow(name[:100], low, high, row.id))
    return Setup(
        title[:300],
        setup.seats,
        setup.rule,
        setup.weighting,
        setup.candidate_order,
        opens,
        closes,
        tuple(quotas),
    )


def create_election(conference: Conference, setup: Setup, actor: User | None = None) -> Election:
    """A new election taking nominations."""
    setup = _checked(setup)
    election = Election(conference_id=conference.id, state=ElectionState.NOMINATIONS.value)
    _apply(election, setup)
    db.session.add(election)
    db.session.flush()
    audit.record(
        "election.create",
        election,
        after=_setup_snapshot(election),
        summary=f"{election.title[:150]}: set up, {plural(election.seats, 'seat')}",
        actor=actor,
    )
    return election


def update_election(election: Election, setup: Setup, actor: User | None = None) -> None:
    """Change an election's setup while it is taking nominations."""
    lock_election(election)
    if election.state != ElectionState.NOMINATIONS:
        raise ElectionError("Polling has opened: the election's setup can no longer change.")
    setup = _checked(setup)
    known = {c.id for c in election.categories}
    for row in setup.quotas:
        if row.id and row.id not in known:
            raise ElectionError("A quota category on the form is not this election's.")
    before = _setup_snapshot(election)
    _apply(election, setup)
    db.session.flush()
    audit.record(
        "election.update",
        election,
        before=before,
        after=_setup_snapshot(election),
        summary=f"{election.title[:150]}: setup changed",
        actor=actor,
    )


def _apply(election: Election, setup: Setup) -> None:
    """Copy the setup onto the election; quota rows kept by id, added, or dropped."""
    election.title = setup.title
    election.seats = setup.seats
    election.rule = setup.rule
    election.weighting = setup.weighting
    election.candidate_order = setup.candidate_order
    election.nominations_close_at = setup.nominations_close_at
    election.polling_closes_at = setup.polling_closes_at
    existing = {c.id: c for c in election.categories}
    kept = []
    for row in setup.quotas:
        category = existing.get(row.id) or ElectionCategory()
        category.name, category.min_seats, category.max_seats = row.name, row.minimum, row.maximum
        kept.append(category)
    election.categories = kept


def _setup_snapshot(election: Election) -> dict:
    return audit.snapshot(election) | {
        "categories": [
            {"name": c.name, "min": c.min_seats, "max": c.max_seats} for c in election.categories
        ]
    }


# ---- nominations ---------------------------------------------------------------------------


def standing(election: Election) -> list[Candidate]:
    """The candidates not withdrawn, in paper order once fixed, else by name."""
    return [c for c in election.candidates if c.withdrawn_at is None]


def nominations_open(election: Election) -> bool:
    """Whether groups may still nominate (the committee may until polling opens)."""
    if election.state != ElectionState.NOMINATIONS:
        return False
    close = election.nominations_close_at
    return close is None or utcnow() < close


def nominate(
    election: Election,
    *,
    name: str,
    statement: str = "",
    group: Group | None = None,
    category_ids: list[int] = (),
    actor: User | None = None,
    by_committee: bool = True,
    membership_number: str = "",
    email: str = "",
) -> Candidate:
    """Add a candidate; a group's nomination only before nominations close.

    A candidate nominated for a group, when the conference has a register, must be a member
    of that group in good standing (found by `membership_number`, else by `email`, which is
    not kept): a group's nomination is refused otherwise; the committee's stands, and polling
    waits until the committee records a reason to accept them (or they withdraw).
    """
    lock_election(election)
    if election.state != ElectionState.NOMINATIONS:
        raise ElectionError("Polling has opened: no more candidates can be nominated.")
    if not by_committee and not nominations_open(election):
        raise ElectionError("Nominations have closed: ask the committee.")
    name = " ".join(name.split())
    if not name:
        raise ElectionError("A candidate needs a name.")
    if len(name) > 200:
        raise ElectionError(f"A name can be at most 200 characters, not {len(name):,}.")
    statement = statement.strip().replace("\r\n", "\n")
    if len(statement) > STATEMENT_LIMIT:
        raise ElectionError(
            f"The statement is {len(statement):,} characters long: at most "
            f"{STATEMENT_LIMIT:,} are allowed. Shorten it by {len(statement) - STATEMENT_LIMIT:,}."
        )
    if any(_sort_key(c.name) == _sort_key(name) for c in standing(election)):
        raise ElectionError(f"{name} is already standing in this election.")
    if group is not None and group.conference_id != election.conference_id:
        raise ElectionError("That group is not in this conference.")
    categories = {c.id: c for c in election.categories}
    if any(i not in categories for i in category_ids):
        raise ElectionError("A category ticked is not one of this election's.")
    membership_number = "".join((membership_number or "").split())
    if len(membership_number) > 40:
        raise ElectionError("A membership number has at most 40 characters.")
    if group is not None:
        conference = db.session.get(Conference, election.conference_id)
        match = register.check(conference, group, number=membership_number, email=email or "")
        if match is not None:
            if match.problem and not by_committee:
                raise ElectionError(
                    f"Not nominated: {match.problem}. Only a member of {group.name} in good "
                    "standing can be nominated; ask the committee if they should stand anyway."
                )
            if match.member is not None:
                membership_number = match.member.number  # found by e-mail: keep the number
    candidate = Candidate(
        name=name,
        membership_number=membership_number,
        statement=statement,
        group_id=group.id if group else None,
        nominated_by_id=actor.id if actor else None,
        categories=[categories[i] for i in sorted(set(category_ids))],
    )
    election.candidates.append(candidate)
    db.session.flush()
    audit.record(
        "candidate.nominate",
        candidate,
        after=audit.snapshot(candidate)
        | {"categories": [c.name for c in candidate.categories], "group": group and group.name},
        summary=f"{election.title[:100]}: {name[:80]} nominated"
        + (f" by {group.name[:80]}" if group else ""),
        conference_id=election.conference_id,
        actor=actor,
    )
    return candidate


def withdraw(election: Election, candidate: Candidate, actor: User | None = None) -> None:
    """A candidate withdraws: left out of the paper (or, once printed, out of the count)."""
    lock_election(election)
    if election.state not in (ElectionState.NOMINATIONS, ElectionState.POLLING):
        raise ElectionError("The count has run: a candidate can no longer withdraw.")
    if candidate.withdrawn_at is not None:
        raise ElectionError(f"{candidate.name} has already withdrawn.")
    before = audit.snapshot(candidate)
    candidate.withdrawn_at = utcnow()
    audit.record(
        "candidate.withdraw",
        candidate,
        before=before,
        after=audit.snapshot(candidate),
        summary=f"{election.title[:100]}: {candidate.name[:80]} withdrew",
        conference_id=election.conference_id,
        actor=actor,
    )


# ---- quotas and the order of the paper -----------------------------------------------------


def quota_problem(election: Election) -> str | None:
    """Why the candidates standing cannot fill the seats and meet the quotas, or None."""
    people = standing(election)
    if len(people) < election.seats:
        return (
            f"{plural(len(people), 'candidate')} "
            f"{'stands' if len(people) == 1 else 'stand'} for "
            f"{plural(election.seats, 'seat')}: at least {election.seats} must stand."
        )
    number = {c.id: i for i, c in enumerate(people, start=1)}
    categories = [
        Category(
            c.name,
            frozenset(number[p.id] for p in people if c in p.categories),
            c.min_seats,
            c.max_seats,
        )
        for c in election.categories
    ]
    try:
        Quotas(categories).check_before_polling(number.values(), election.seats)
    except QuotaError as problem:
        text = str(problem)
        return text[:1].upper() + text[1:] + "."
    return None


def _sort_key(name: str) -> str:
    """Alphabetical regardless of case and accents: 'Élise' sorts with 'Elise'."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)
    )
    return plain.casefold()


def draw_key(seed: str, candidate_id: int) -> str:
    """A candidate's place in the draw: SHA-256 of "<seed>:<candidate id>", in hex."""
    return hashlib.sha256(f"{seed}:{candidate_id}".encode()).hexdigest()


def alphabetical(people: list[Candidate]) -> list[Candidate]:
    """By name, ignoring case and accents (ties by exact name, then by who stood first)."""
    return sorted(people, key=lambda c: (_sort_key(c.name), c.name, c.id))


def paper_order(election: Election, seed: str) -> list[Candidate]:
    """The candidates standing in the order the paper prints them (drawn: from `seed`)."""
    people = standing(election)
    if election.candidate_order == CandidateOrder.DRAWN:
        return sorted(people, key=lambda c: draw_key(seed, c.id))
    return alphabetical(people)


# ---- papers and opening the poll -----------------------------------------------------------


def papers_to_issue(election: Election) -> list[tuple[int, str]]:
    """(value, label) of each paper the conference as it stands would get, in hall order.

    one_each: a paper worth 1 per voting delegate inside; split: one per voting delegate
    inside, worth their share of the delegation's card vote (a share of 0 gets no paper);
    block: one per delegation present, worth its card vote and labelled with its name.
    """
    conference = db.session.get(Conference, election.conference_id)
    groups = [g for g in presence.group_presence(conference) if g.delegates_present]
    if election.weighting == ElectionWeighting.ONE_EACH:
        return [(1, "") for g in groups for _ in range(g.delegates_present)]
    if election.weighting == ElectionWeighting.BLOCK:
        return [(g.card_vote, g.name) for g in groups if g.card_vote > 0]
    members = _voting_delegates(conference, {g.group_id for g in groups})
    papers = []
    for g in groups:
        everyone = members.get(g.group_id, [])
        shares = tally.split_shares(
            g.card_vote, [d for d, _ in everyone], [d for d, here in everyone if here]
        )
        papers += [(share, "") for share in shares.values() if share > 0]
    return papers


def _voting_delegates(conference: Conference, group_ids: set[int]) -> dict[int, list]:
    """Each group's voting delegates in delegation order: (id, inside now)."""
    inside = sa.exists().where(Presence.delegate_id == Delegate.id, Presence.is_inside.is_(True))
    members: dict[int, list[tuple[int, bool]]] = {}
    for delegate_id, group_id, is_inside in db.session.execute(
        db.select(Delegate.id, Delegate.group_id, inside)
        .where(Delegate.conference_id == conference.id, voters.VOTES)
        .order_by(Delegate.group_id, Delegate.id)
    ):
        if group_id in group_ids:
            members.setdefault(group_id, []).append((delegate_id, bool(is_inside)))
    return members


def polling_problem(election: Election) -> str | None:
    """Why polling cannot open now, or None."""
    if election.state != ElectionState.NOMINATIONS:
        return "Polling has already opened for this election."
    if not standing(election):
        return "No candidates stand: nominate at least one before polling opens."
    if problems := register.candidate_problems(election):
        return (
            "The register does not show these candidates as members in good standing of the "
            f"group nominating them: {' '.join(problems)} Record a reason to accept them on "
            "the nominations page, or withdraw them."
        )
    return quota_problem(election)


def open_polling(election: Election, actor: User | None = None) -> int:
    """Fix the paper's order, draw the seed, issue the papers. Returns how many papers."""
    lock_election(election)
    if problem := polling_problem(election):
        raise ElectionError(problem)
    papers = papers_to_issue(election)
    if not papers:
        raise ElectionError(
            "No voting delegate is inside: papers are issued to those present, so polling "
            "opens once delegates have been admitted."
        )
    before = audit.snapshot(election)
    election.seed = secrets.token_hex(8)
    order = paper_order(election, election.seed)
    for position, candidate in enumerate(order, start=1):
        candidate.position = position
    db.session.flush()
    db.session.add_all(
        ElectionPaper(election_id=election.id, number=number, value=value, label=label[:200])
        for number, (value, label) in enumerate(papers, start=1)
    )
    election.polling_opened_at = utcnow()
    election.state = ElectionState.POLLING.value
    votes = sum(value for value, _ in papers)
    audit.record(
        "election.open",
        election,
        before=before,
        after=audit.snapshot(election)
        | {
            "paper_order": [c.name for c in order],
            "papers": len(papers),
            "votes": votes,
        },
        summary=(
            f"{election.title[:120]}: polling opened, {plural(len(papers), 'paper')} "
            f"carrying {plural(votes, 'vote')}; seed {election.seed}"
        ),
        actor=actor,
    )
    return len(papers)


def papers(election: Election) -> list[ElectionPaper]:
    """The papers issued, by number."""
    return list(
        db.session.scalars(
            db.select(ElectionPaper)
            .where(ElectionPaper.election_id == election.id)
            .order_by(ElectionPaper.number)
        )
    )


def elections(conference: Conference) -> list[Election]:
    """The conference's elections, newest first."""
    return list(
        db.session.scalars(
            db.select(Election)
            .where(Election.conference_id == conference.id)
            .order_by(Election.created_at.desc(), Election.id.desc())
        )
    )
