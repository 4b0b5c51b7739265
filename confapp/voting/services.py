"""The floor's use cases: ballots, the frozen roll, two tellers' entries, the declaration.

Every change to a ballot first takes the ballot's row lock (an UPDATE of its version), so
two tellers entering at once, or a teller entering while the chair declares, are put in
order by the database: nothing is entered after a declaration, and the declared figures
are exactly the entries that agreed.

The use cases flush; their caller (a view, the demo, a benchmark) commits once. On SQLite
`lock_ballot` first ends the read with a commit of its own, as SQLite's write lock asks.

Past 500 lines because a ballot's life (draft, show of hands, card vote, count, declaration,
recount) is one state machine under one lock; the arithmetic itself is in tally.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import sqlalchemy as sa

from confapp import audit, voters
from confapp.checkin import presence
from confapp.credentials import codes
from confapp.database import lock_row
from confapp.extensions import db
from confapp.models import (
    Ballot,
    BallotKind,
    BallotMode,
    BallotState,
    Conference,
    Credential,
    Delegate,
    Presence,
    RollEntry,
    RollShare,
    Status,
    TellerEntry,
    TellerSheet,
    User,
    utcnow,
)
from confapp.text import plural
from confapp.voting import tally

KIND_WORDS = {
    BallotKind.MOTION: "Motion",
    BallotKind.COMPOSITE: "Composite",
    BallotKind.RULE_CHANGE: "Rule change",
    BallotKind.EMERGENCY_MOTION: "Emergency motion",
}
STATE_WORDS = {
    BallotState.DRAFT: "Draft",
    BallotState.SHOW_OF_HANDS: "Show of hands",
    BallotState.CARD_VOTE_OPEN: "Card vote open",
    BallotState.COUNTING: "Counting",
    BallotState.DECLARED: "Declared",
}
CHOICES = ("for", "against", "abstain", "none")
ENTERING = (BallotState.CARD_VOTE_OPEN, BallotState.COUNTING)


class VotingError(ValueError):
    """A step the rules do not allow now, with a message for the chair or teller."""


# ---- ballots and their states --------------------------------------------------------------


def create_ballot(
    conference: Conference,
    *,
    title: str,
    kind: str,
    majority: str,
    mode: str,
    session: str = "",
    actor: User | None = None,
) -> Ballot:
    """A new ballot in draft."""
    title = " ".join(title.split())
    if not title:
        raise VotingError("A ballot needs a title.")
    if kind not in BallotKind.__members__.values():
        raise VotingError(f"Unknown kind of ballot: {kind}.")
    if mode not in BallotMode.__members__.values():
        raise VotingError("A card vote is taken in block mode or split mode.")
    try:
        majority = tally.Majority.from_text(majority).to_text()
    except ValueError as problem:
        raise VotingError(str(problem)) from None
    ballot = Ballot(
        conference_id=conference.id,
        title=title[:300],
        kind=kind,
        majority=majority,
        mode=mode,
        session=" ".join(session.split())[:100],
    )
    db.session.add(ballot)
    db.session.flush()
    audit.record(
        "ballot.create", ballot, after=audit.snapshot(ballot), summary=title[:200], actor=actor
    )
    return ballot


def lock_ballot(ballot: Ballot) -> Ballot:
    """Take the ballot's row lock and read it afresh (PostgreSQL row lock, SQLite write lock)."""
    return lock_row(ballot)


def _change_state(ballot: Ballot, state: BallotState, actor: User | None, summary: str) -> None:
    before = audit.snapshot(ballot)
    ballot.state = state.value
    audit.record(
        f"ballot.{state.value}",
        ballot,
        before=before,
        after=audit.snapshot(ballot),
        summary=f"{ballot.title[:150]}: {summary}",
        actor=actor,
    )


def take_show_of_hands(ballot: Ballot, actor: User | None = None) -> None:
    """The chair takes the vote by a show of hands (rule changes go straight to a card vote)."""
    lock_ballot(ballot)
    if ballot.kind == BallotKind.RULE_CHANGE:
        raise VotingError("A rule change always goes to a card vote.")
    if ballot.state != BallotState.DRAFT:
        raise VotingError("Only a draft ballot can be put to a show of hands.")
    _change_state(ballot, BallotState.SHOW_OF_HANDS, actor, "show of hands")


def record_hands(ballot: Ballot, outcome: str, actor: User | None = None) -> None:
    """The show of hands: carried or lost (declared so), or a card vote called (opened now)."""
    lock_ballot(ballot)
    if ballot.state != BallotState.SHOW_OF_HANDS:
        raise VotingError("No show of hands is being taken on this ballot.")
    if outcome not in ("carried", "lost", "card_vote_called"):
        raise VotingError("A show of hands is carried, lost, or a card vote is called.")
    ballot.hands = outcome
    if outcome == "card_vote_called":
        _open(ballot, actor)
    else:
        ballot.is_carried = outcome == "carried"
        ballot.declared_at, ballot.declared_by_id = utcnow(), actor.id if actor else None
        ballot.result = {"hands": outcome}
        _change_state(ballot, BallotState.DECLARED, actor, f"{outcome.upper()} on a show of hands")


def open_card_vote(ballot: Ballot, actor: User | None = None) -> int:
    """Open the card vote: freeze the roll of delegations present. Returns how many."""
    lock_ballot(ballot)
    if ballot.state not in (BallotState.DRAFT, BallotState.SHOW_OF_HANDS):
        raise VotingError("The card vote of this ballot has already been opened.")
    if ballot.state == BallotState.SHOW_OF_HANDS:
        ballot.hands = "card_vote_called"
    count = _open(ballot, actor)
    return count


def _open(ballot: Ballot, actor: User | None) -> int:
    """Freeze who may vote: each delegation with a voting delegate inside, its votes present."""
    conference = db.session.get(Conference, ballot.conference_id)
    groups = [g for g in presence.group_presence(conference) if g.delegates_present]
    weights = section_weights(conference)
    rows = [
        {
            "ballot_id": ballot.id,
            "group_id": g.group_id,
            "position": position,
            "group_name": g.name,
            "section": g.section,
            "section_weight": weights.get(g.section) if weights else None,
            "votes": g.card_vote,
            "delegates_present": g.delegates_present,
        }
        for position, g in enumerate(groups, start=1)
    ]
    _insert_rows(RollEntry, rows)
    if ballot.mode == "split" and rows:
        _insert_rows(RollShare, _split_shares(conference, groups, ballot.id))
    ballot.opened_at = utcnow()
    votes = sum(r["votes"] for r in rows)
    _change_state(
        ballot,
        BallotState.CARD_VOTE_OPEN,
        actor,
        f"card vote opened: {len(rows):,} delegations, {votes:,} votes present",
    )
    return len(rows)


_PG_ARRAYS = {sa.Integer: "integer[]", sa.String: "text[]"}


def _insert_rows(model, rows: list[dict]) -> None:
    """Insert a frozen roll's rows fast: thousands of them when a vote opens."""
    if not rows:
        return
    table = model.__table__
    if db.engine.dialect.name != "postgresql":
        db.session.execute(sa.insert(table), rows)  # executemany: SQLite's own fast path
        return
    # PostgreSQL: one statement with a column per array (executemany sends one per row).
    names = list(rows[0])
    arrays = ", ".join(f"CAST(:{n} AS {_PG_ARRAYS[type(table.c[n].type)]})" for n in names)
    db.session.execute(
        sa.text(f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"),
        {n: [row[n] for row in rows] for n in names},
    )


def _split_shares(conference: Conference, groups, ballot_id: int) -> list[dict]:
    """Each present voting delegate's share: the group's vote split among those present."""
    votes = {g.group_id: g.card_vote for g in groups}
    inside = sa.exists().where(Presence.delegate_id == Delegate.id, Presence.is_inside.is_(True))
    members: dict[int, list[tuple[int, str, bool]]] = {}
    for delegate_id, group_id, name, is_inside in db.session.execute(
        db.select(Delegate.id, Delegate.group_id, Delegate.name, inside)
        .where(Delegate.conference_id == conference.id, voters.VOTES)
        .order_by(Delegate.group_id, Delegate.id)
    ):
        if group_id in votes:
            members.setdefault(group_id, []).append((delegate_id, name, is_inside))
    rows = []
    for group_id, people in members.items():
        names = {d: n for d, n, _ in people}
        shares = tally.split_shares(
            votes[group_id], [d for d, _, _ in people], [d for d, _, here in people if here]
        )
        rows += [
            {
                "ballot_id": ballot_id,
                "delegate_id": d,
                "group_id": group_id,
                "name": names[d],
                "share": s,
            }
            for d, s in shares.items()
        ]
    return rows


def close_voting(ballot: Ballot, actor: User | None = None) -> None:
    """Voting is over: the tellers finish their counts."""
    lock_ballot(ballot)
    if ballot.state != BallotState.CARD_VOTE_OPEN:
        raise VotingError("Only an open card vote can be closed.")
    _change_state(ballot, BallotState.COUNTING, actor, "voting closed, counting")


def section_weights(conference: Conference) -> dict[str, int] | None:
    """Each section's weight when every section has one (e.g. 50/50), else None: unweighted."""
    sections = conference.sections
    if sections and all(s.weight for s in sections):
        return {s.name: s.weight for s in sections}
    return None


# ---- tellers --------------------------------------------------------------------------------


def sheet_of(ballot: Ballot, teller: User) -> int | None:
    """Which of the two counts this teller keeps, if any."""
    return db.session.execute(
        db.select(TellerSheet.sheet).where(
            TellerSheet.ballot_id == ballot.id, TellerSheet.teller_id == teller.id
        )
    ).scalar()


def take_sheet(ballot: Ballot, teller: User) -> int:
    """The teller's count of this ballot: the first free of the two; their own if they have one."""
    mine = sheet_of(ballot, teller)
    if mine:
        return mine
    lock_ballot(ballot)
    mine = sheet_of(ballot, teller)
    if mine:
        return mine
    if ballot.state not in ENTERING:
        raise VotingError("Votes are entered only while the card vote is open or being counted.")
    taken = set(
        db.session.execute(
            db.select(TellerSheet.sheet).where(TellerSheet.ballot_id == ballot.id)
        ).scalars()
    )
    free = [n for n in (1, 2) if n not in taken]
    if not free:
        raise VotingError("Two tellers already count this ballot; a third cannot join.")
    db.session.add(TellerSheet(ballot_id=ballot.id, sheet=free[0], teller_id=teller.id))
    audit.record(
        "ballot.sheet",
        ballot,
        summary=f"{ballot.title[:150]}: {teller.label} keeps count {free[0]}",
        actor=teller,
    )
    return free[0]


@dataclass(frozen=True)
class Votes:
    """A delegation's vote as entered."""

    for_: int = 0
    against: int = 0
    abstain: int = 0

    @property
    def key(self) -> tuple[int, int, int]:
        """What two counts must agree on."""
        return (self.for_, self.against, self.abstain)

    @property
    def choice(self) -> str | None:
        """The one option the whole vote went to ("none": not voting); None when it was split."""
        given, against, abstain = self.for_, self.against, self.abstain
        if not (against or abstain):
            return "for" if given else "none"
        if not (given or abstain):
            return "against"
        return "abstain" if not (given or against) else None

    @property
    def words(self) -> str:
        """As a teller reads it back: "For 1,000", "For 500 · Against 500", "Not voting"."""
        if not (self.against or self.abstain):  # the common case first: 2,000 on a sheet
            return f"For {self.for_:,}" if self.for_ else "Not voting"
        parts = [(self.for_, "For"), (self.against, "Against"), (self.abstain, "Abstain")]
        return " · ".join(f"{word} {n:,}" for n, word in parts if n)

    @property
    def said(self) -> str:
        """The same in a sentence: "400 against", "not voting"."""
        parts = [(self.for_, "for"), (self.against, "against"), (self.abstain, "abstain")]
        return ", ".join(f"{n:,} {word}" for n, word in parts if n) or "not voting"


def votes_for_choice(choice: str, votes: int) -> Votes:
    """Block mode: the delegation's whole vote for one option (or not voting)."""
    if choice not in CHOICES:
        raise VotingError("Choose For, Against, Abstain or Not voting.")
    return Votes(
        for_=votes if choice == "for" else 0,
        against=votes if choice == "against" else 0,
        abstain=votes if choice == "abstain" else 0,
    )


def votes_for_delegates(shares: dict[int, int], choices: dict[int, str]) -> Votes:
    """Split mode: each delegate's share goes where they voted."""
    unknown = set(choices) - set(shares)
    if unknown:
        raise VotingError("A delegate chosen is not on this delegation's roll.")
    totals = {choice: 0 for choice in CHOICES}
    for delegate_id, share in shares.items():
        choice = choices.get(delegate_id, "none")
        if choice not in CHOICES:
            raise VotingError("Choose For, Against, Abstain or Not voting for each delegate.")
        totals[choice] += share
    return Votes(totals["for"], totals["against"], totals["abstain"])


def enter_votes(
    ballot: Ballot,
    teller: User,
    group_id: int,
    votes: Votes,
    *,
    choices: dict[int, str] | None = None,
    card_code: str = "",
) -> TellerEntry:
    """Enter (or correct) a delegation's vote on the teller's count; every version is kept."""
    sheet = take_sheet(ballot, teller)
    lock_ballot(ballot)
    if ballot.state not in ENTERING:
        raise VotingError("This ballot no longer takes entries: it has been declared.")
    roll = db.session.get(RollEntry, (ballot.id, group_id))
    if roll is None:
        raise VotingError("That delegation is not on this ballot's roll (it was not present).")
    _check_votes(ballot, roll, votes)
    previous = _retire_current_entry(ballot, sheet, group_id)
    entry = TellerEntry(
        ballot_id=ballot.id,
        sheet=sheet,
        group_id=group_id,
        teller_id=teller.id,
        for_votes=votes.for_,
        against_votes=votes.against,
        abstain_votes=votes.abstain,
        choices={str(k): v for k, v in choices.items()} if choices else None,
        card_code=(codes.normalise(card_code) or "") if card_code else "",
    )
    db.session.add(entry)
    db.session.flush()
    word = "corrected" if previous is not None else "entered"
    audit.record(
        "ballot.entry",
        ballot,
        before=_entry_figures(previous) if previous is not None else None,
        after=_entry_figures(entry) | {"sheet": sheet, "group": roll.group_name},
        summary=(
            f"{ballot.title[:120]}: count {sheet} {word} {roll.group_name}: "
            f"for {votes.for_:,}, against {votes.against:,}, abstain {votes.abstain:,}"
        ),
        actor=teller,
    )
    return entry


def _check_votes(ballot: Ballot, roll: RollEntry, votes: Votes) -> None:
    """Refuse a vote the delegation cannot cast: more than it holds, or split in block mode."""
    try:
        tally.check_entry(roll.votes, votes.for_, votes.against, votes.abstain)
    except tally.EntryError as problem:
        raise VotingError(f"{roll.group_name}: {problem}") from None
    if ballot.mode != "block":
        return
    if sum(1 for v in votes.key if v) > 1:
        raise VotingError(
            f"{roll.group_name}: in block mode a delegation casts its whole vote "
            f"({roll.votes:,}) for one option."
        )
    if any(v not in (0, roll.votes) for v in votes.key):
        raise VotingError(
            f"{roll.group_name}: in block mode the delegation's whole vote ({roll.votes:,}) "
            "goes to one option."
        )


def _retire_current_entry(ballot: Ballot, sheet: int, group_id: int) -> TellerEntry | None:
    """The count's current entry for the delegation, now no longer current (None if none)."""
    previous = db.session.execute(
        db.select(TellerEntry).where(
            TellerEntry.ballot_id == ballot.id,
            TellerEntry.sheet == sheet,
            TellerEntry.group_id == group_id,
            TellerEntry.is_current.is_(True),
        )
    ).scalar_one_or_none()
    if previous is not None:
        previous.is_current = False
        db.session.flush()  # the one current entry per delegation is a unique index
    return previous


def _entry_figures(entry: TellerEntry) -> dict:
    return {"for": entry.for_votes, "against": entry.against_votes, "abstain": entry.abstain_votes}


def delegation_for_card(ballot: Ballot, code: str) -> tuple[RollEntry, int | None]:
    """The delegation (and, in split mode, the delegate) whose printed card was scanned."""
    normal = codes.normalise(code)
    if normal is None:
        raise VotingError("That is not a card code: 16 letters A-Z and digits 2-7.")
    found = db.session.execute(
        db.select(Credential, Delegate)
        .join(Delegate, Delegate.id == Credential.delegate_id)
        .where(Credential.code == normal)
    ).first()
    if found is None or found.Credential.conference_id != ballot.conference_id:
        raise VotingError("No card of this conference has that code.")
    if found.Credential.revoked_at is not None:
        raise VotingError(f"That card was revoked ({found.Delegate.name}): it does not vote.")
    person = found.Delegate
    if person.status != Status.APPROVED:
        raise VotingError(f"{person.name} is {person.status}, not approved: the card has no vote.")
    if not voters.votes(person):
        raise VotingError(f"{person.name} holds a {person.seat_label} pass: it carries no vote.")
    roll = db.session.get(RollEntry, (ballot.id, found.Delegate.group_id))
    if roll is None:
        raise VotingError(
            f"{found.Delegate.name}'s delegation is not on this ballot's roll (not present)."
        )
    delegate_id = None
    if ballot.mode == "split":
        if db.session.get(RollShare, (ballot.id, found.Delegate.id)) is None:
            raise VotingError(f"{found.Delegate.name} was not present when the vote opened.")
        delegate_id = found.Delegate.id
    return roll, delegate_id


# ---- reconciling the two counts, the result -----------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One delegation on the roll with each count's entry (None: not entered)."""

    roll: RollEntry
    first: Votes | None
    second: Votes | None

    @property
    def agrees(self) -> bool:
        """Both counts say the same (a delegation neither entered did not vote)."""
        return (self.first or Votes()).key == (self.second or Votes()).key


@dataclass(frozen=True)
class Reconciliation:
    """The two counts side by side."""

    lines: list[Line]
    tellers: dict[int, User]

    @property
    def disagreements(self) -> list[Line]:
        """Every delegation the two counts differ on."""
        return [line for line in self.lines if not line.agrees]

    @property
    def entered(self) -> tuple[int, int]:
        """How many delegations each count has entered."""
        return (
            sum(1 for line in self.lines if line.first is not None),
            sum(1 for line in self.lines if line.second is not None),
        )

    @property
    def may_declare(self) -> bool:
        """Two tellers counted and agree on every delegation."""
        return len(self.tellers) == 2 and not self.disagreements

    @property
    def conflicts(self) -> list[Line]:
        """Delegations both counts entered, differently: a teller must look again."""
        return [
            line
            for line in self.lines
            if line.first is not None and line.second is not None and not line.agrees
        ]

    @property
    def one_sided(self) -> tuple[int, int]:
        """How many delegations only count 1, and only count 2, has entered so far."""
        return (
            sum(1 for line in self.lines if line.first is not None and line.second is None),
            sum(1 for line in self.lines if line.first is None and line.second is not None),
        )


def roll(ballot: Ballot) -> list[RollEntry]:
    """The frozen roll in the order the tellers walk the hall."""
    return list(
        db.session.execute(
            db.select(RollEntry)
            .where(RollEntry.ballot_id == ballot.id)
            .order_by(RollEntry.position)
        ).scalars()
    )


def current_entries(ballot: Ballot, sheet: int) -> dict[int, Votes]:
    """One count's current entry per delegation."""
    return {
        group_id: Votes(f, a, b)
        for group_id, f, a, b in db.session.connection().execute(
            db.select(
                TellerEntry.group_id,
                TellerEntry.for_votes,
                TellerEntry.against_votes,
                TellerEntry.abstain_votes,
            ).where(
                TellerEntry.ballot_id == ballot.id,
                TellerEntry.sheet == sheet,
                TellerEntry.is_current.is_(True),
            )
        )
    }


class SheetLine(NamedTuple):
    """One delegation on a teller's count sheet: the roll's figures and this count's entry.

    A named tuple, not a dataclass: a sheet makes 2,000 of them per page, and tuples are cheap.
    """

    group_id: int
    position: int
    group_name: str
    section: str
    votes: int
    delegates_present: int
    entry: Votes | None


def sheet_lines(ballot: Ballot, sheet: int | None) -> list[SheetLine]:
    """The roll in walking order with one count's current entries: two queries, any size.

    Not one join: its only index for entries is (ballot, sheet), which a nested loop would
    read once a delegation (2,000 x 2,000 rows); the two reads are each read once.
    """
    entries = current_entries(ballot, sheet) if sheet else {}
    # Plain rows through the connection (no ORM step): the same SQL, a third less time.
    return [
        SheetLine(*row, entries.get(row[0]))
        for row in db.session.connection().execute(
            db.select(
                RollEntry.group_id,
                RollEntry.position,
                RollEntry.group_name,
                RollEntry.section,
                RollEntry.votes,
                RollEntry.delegates_present,
            )
            .where(RollEntry.ballot_id == ballot.id)
            .order_by(RollEntry.position)
        )
    ]


@dataclass(frozen=True)
class Running:
    """A count's running total: delegations entered and the votes for each option."""

    entered: int = 0
    for_: int = 0
    against: int = 0
    abstain: int = 0

    @classmethod
    def of(cls, lines: list[SheetLine]) -> Running:
        """The running total of the entries on these lines."""
        entries = [line.entry for line in lines if line.entry is not None]
        return cls(
            len(entries),
            sum(e.for_ for e in entries),
            sum(e.against for e in entries),
            sum(e.abstain for e in entries),
        )


def running_total(ballot: Ballot, sheet: int) -> Running:
    """One count's running total, summed by the database (one row back, not 2,000)."""
    entered, for_, against, abstain = db.session.execute(
        db.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(TellerEntry.for_votes), 0),
            sa.func.coalesce(sa.func.sum(TellerEntry.against_votes), 0),
            sa.func.coalesce(sa.func.sum(TellerEntry.abstain_votes), 0),
        ).where(
            TellerEntry.ballot_id == ballot.id,
            TellerEntry.sheet == sheet,
            TellerEntry.is_current.is_(True),
        )
    ).one()
    return Running(entered, for_, against, abstain)


def reconcile(ballot: Ballot) -> Reconciliation:
    """Both counts, delegation by delegation."""
    first, second = current_entries(ballot, 1), current_entries(ballot, 2)
    tellers = {
        s.sheet: s.teller
        for s in db.session.execute(
            db.select(TellerSheet).where(TellerSheet.ballot_id == ballot.id)
        ).scalars()
    }
    lines = [Line(r, first.get(r.group_id), second.get(r.group_id)) for r in roll(ballot)]
    return Reconciliation(lines, tellers)


def count_result(ballot: Ballot, entries: dict[int, Votes], rolls: list[RollEntry]):
    """The tally of one count (or of the agreed entries): by section and overall, exact."""
    conference = db.session.get(Conference, ballot.conference_id)
    weights = section_weights(conference)
    order = {s.name: None for s in conference.sections}
    tally_entries = [
        tally.Entry(
            group_id=r.group_id,
            section=r.section,
            votes_present=r.votes,
            for_=entries.get(r.group_id, Votes()).for_,
            against=entries.get(r.group_id, Votes()).against,
            abstain=entries.get(r.group_id, Votes()).abstain,
        )
        for r in rolls
    ]
    for r in rolls:
        order.setdefault(r.section, None)
    return tally.tally(tally_entries, weights or order, tally.Majority.from_text(ballot.majority))


def declare(ballot: Ballot, actor: User) -> tally.Result:
    """Declare the result: only when both counts agree on every delegation; then it is locked."""
    lock_ballot(ballot)
    if ballot.state == BallotState.DECLARED:
        raise VotingError("This ballot was declared already: a recount is a new ballot.")
    if ballot.state not in ENTERING:
        raise VotingError("Only a card vote can be declared from the tellers' counts.")
    check = reconcile(ballot)
    if len(check.tellers) < 2:
        raise VotingError("Two tellers must each count the ballot before it is declared.")
    if check.disagreements:
        names = ", ".join(line.roll.group_name for line in check.disagreements[:5])
        more = len(check.disagreements) - 5
        raise VotingError(
            f"The two counts disagree on {plural(len(check.disagreements), 'delegation')} "
            f"({names}{f' and {more} more' if more > 0 else ''}): they must agree first."
        )
    rolls = [line.roll for line in check.lines]
    agreed = {line.roll.group_id: line.first for line in check.lines if line.first}
    result = count_result(ballot, agreed, rolls)
    before = audit.snapshot(ballot)
    ballot.state = BallotState.DECLARED.value
    ballot.is_carried = result.carried
    ballot.declared_at, ballot.declared_by_id = utcnow(), actor.id
    ballot.result = result_json(result) | {
        "delegations": [
            {
                "group": r.group_name,
                "section": r.section,
                "votes_present": r.votes,
                "for": agreed.get(r.group_id, Votes()).for_,
                "against": agreed.get(r.group_id, Votes()).against,
                "abstain": agreed.get(r.group_id, Votes()).abstain,
            }
            for r in rolls
        ]
    }
    audit.record(
        "ballot.declared",
        ballot,
        before=before,
        after={k: v for k, v in audit.snapshot(ballot).items() if k != "result"}
        | {"overall": ballot.result["overall"]},
        summary=f"{ballot.title[:150]}: {'CARRIED' if result.carried else 'LOST'}",
        actor=actor,
    )
    return result


def _fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _section_json(s: tally.SectionResult) -> dict:
    return {
        "section": s.section,
        "weight": s.weight,
        "votes_present": s.votes_present,
        "for": s.for_,
        "against": s.against,
        "abstain": s.abstain,
        "not_voting": s.not_voting,
        "cast": s.cast,
        "for_percent": None if s.for_percent is None else tally.percent_text(s.for_percent),
        "against_percent": None
        if s.against_percent is None
        else tally.percent_text(s.against_percent),
        # The exact shares, so anyone can check the decision without rounding.
        "for_share_exact": _fraction_text(None if s.for_percent is None else s.for_percent / 100),
    }


def result_json(result: tally.Result) -> dict:
    """A result as stored with the declared ballot and served by the API."""
    return {
        "carried": result.carried,
        "majority": result.majority.to_text(),
        "majority_words": result.majority.describe(),
        "weighted": result.weighted,
        "sections": [_section_json(s) for s in result.sections],
        "overall": _section_json(result.overall),
    }


def recount(ballot: Ballot, actor: User) -> Ballot:
    """A recount of a declared card vote: a new ballot, linked, on the same frozen roll."""
    lock_ballot(ballot)
    if ballot.state != BallotState.DECLARED or not ballot.is_card_vote:
        raise VotingError("Only a declared card vote can be recounted.")
    again = Ballot(
        conference_id=ballot.conference_id,
        session=ballot.session,
        title=ballot.title,
        kind=ballot.kind,
        majority=ballot.majority,
        mode=ballot.mode,
        state=BallotState.COUNTING.value,
        hands=ballot.hands,
        recount_of_id=ballot.id,
        opened_at=ballot.opened_at,
    )
    db.session.add(again)
    db.session.flush()
    for table in (RollEntry, RollShare):
        columns = [c for c in table.__table__.columns if c.name != "ballot_id"]
        db.session.execute(
            sa.insert(table).from_select(
                ["ballot_id", *[c.name for c in columns]],
                db.select(sa.literal(again.id), *columns).where(table.ballot_id == ballot.id),
            )
        )
    audit.record(
        "ballot.recount",
        again,
        after=audit.snapshot(again),
        summary=f"Recount of ballot {ballot.id}: {ballot.title[:150]}",
        actor=actor,
    )
    return again


def show_on_projector(conference: Conference, ballot: Ballot | None, actor: User) -> None:
    """The chair chooses what the hall's screen shows: this ballot, or presence."""
    conference.projector_ballot_id = ballot.id if ballot else None
    audit.record(
        "projector.show",
        conference,
        after={"ballot": ballot.id if ballot else None},
        summary=f"Projector shows {ballot.title[:150] if ballot else 'presence'}",
        conference_id=conference.id,
        actor=actor,
    )


def ballots(conference: Conference) -> list[Ballot]:
    """The conference's ballots in the order they were made."""
    return list(
        db.session.execute(
            db.select(Ballot).where(Ballot.conference_id == conference.id).order_by(Ballot.id)
        ).scalars()
    )


def roll_totals(ballot: Ballot) -> tuple[int, int]:
    """Delegations and votes present on the frozen roll."""
    delegations, votes = db.session.execute(
        db.select(sa.func.count(), sa.func.coalesce(sa.func.sum(RollEntry.votes), 0)).where(
            RollEntry.ballot_id == ballot.id
        )
    ).one()
    return delegations, votes


def shares_by_group(ballot: Ballot) -> dict[int, list]:
    """Split mode: the present delegates of each delegation with their shares (plain rows)."""
    found: dict[int, list] = {}
    for share in db.session.execute(
        db.select(RollShare.delegate_id, RollShare.group_id, RollShare.name, RollShare.share)
        .where(RollShare.ballot_id == ballot.id)
        .order_by(RollShare.group_id, RollShare.delegate_id)
    ):
        found.setdefault(share.group_id, []).append(share)
    return found


def shares_of(ballot: Ballot, group_id: int) -> list:
    """Split mode: one delegation's present delegates with their shares (plain rows)."""
    return list(
        db.session.execute(
            db.select(RollShare.delegate_id, RollShare.group_id, RollShare.name, RollShare.share)
            .where(RollShare.ballot_id == ballot.id, RollShare.group_id == group_id)
            .order_by(RollShare.delegate_id)
        )
    )


def current_choices(ballot: Ballot, sheet: int | None, group_id: int) -> dict[int, str]:
    """Split mode: each delegate's choice on this count's current entry for the delegation."""
    if not sheet:
        return {}
    choices = db.session.execute(
        db.select(TellerEntry.choices).where(
            TellerEntry.ballot_id == ballot.id,
            TellerEntry.sheet == sheet,
            TellerEntry.group_id == group_id,
            TellerEntry.is_current.is_(True),
        )
    ).scalar()
    return {int(d): c for d, c in (choices or {}).items()}
