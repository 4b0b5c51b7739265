"""Two tellers type the papers: each on their own sheet, every correction kept, then compared.

A sheet belongs to the teller whose entry is first on it (the entries' teller_id, and an
audit entry when they take it): no table of sheets, and no way for a second teller to type
on a sheet another already keeps, nor for one teller to keep both (the two readings must be
independent). Every entry first takes the election's row lock (an UPDATE of its version), so
two tellers starting the same sheet at once, or a teller typing while the count runs, are
put in order by the database.

Preferences are stored as typed: the candidates' places on the paper, best first, with 0 for
a preference the voter skipped (or gave two candidates). The count reads a paper up to the
first gap or repeat, as the rules say; the teller is warned of both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from confapp import audit
from confapp.elections.services import lock_election
from confapp.extensions import db
from confapp.models import (
    Candidate,
    Election,
    ElectionEntry,
    ElectionPaper,
    ElectionState,
    User,
)

SHEETS = (1, 2)
SEPARATORS = re.compile(r"[\s,\-]+")


class EntryError(ValueError):
    """An entry the rules refuse, with a message for the teller; nothing was stored."""


# ---- the paper and what was typed ---------------------------------------------------------


def paper_names(election: Election) -> dict[int, str]:
    """Each place on the paper and the candidate printed there (withdrawn ones included)."""
    return {c.position: c.name for c in election.candidates if c.position is not None}


def parse_preferences(text: str, places: int) -> tuple[int, ...]:
    """The places typed, best first: '3 1 4 2', '3,1,4,2' or '3-1-4-2' (0 marks a gap).

    With fewer than ten places on the paper '3142' reads as 3 1 4 2, the fastest to type.
    """
    typed = [part for part in SEPARATORS.split(text.strip()) if part]
    if places < 10 and len(typed) == 1 and typed[0].isdigit():
        typed = list(typed[0])
    numbers = []
    for part in typed:
        if not part.isdigit() or len(part) > 4:
            raise EntryError(
                f"“{part[:20]}” is not a place on the paper: type numbers from 1 to {places}, "
                "separated by spaces."
            )
        number = int(part)
        if number > places:
            raise EntryError(
                f"There is no candidate {number} on this paper: it has {places} names."
            )
        numbers.append(number)
    if len(numbers) > 2 * places:
        raise EntryError(f"{len(numbers)} preferences typed, but the paper has {places} names.")
    return tuple(numbers)


def counted_part(preferences: tuple[int, ...]) -> tuple[int, ...]:
    """What the count reads of a paper: its preferences up to the first gap or repeat."""
    seen: list[int] = []
    for place in preferences:
        if place == 0 or place in seen:
            break
        seen.append(place)
    return tuple(seen)


def warnings(preferences: tuple[int, ...], names: dict[int, str]) -> list[str]:
    """Why the count will read less than was typed: a skipped or repeated preference."""
    kept = len(counted_part(preferences))
    if kept == len(preferences):
        return []
    rank = kept + 1
    place = preferences[kept]
    upto = f"the paper counts up to preference {kept}" if kept else "the paper counts as blank"
    if place == 0:
        return [f"Preference {rank} is missing: {upto}."]
    return [f"Preference {rank} repeats {names.get(place, place)}: {upto}."]


def as_text(preferences: tuple[int, ...]) -> str:
    """How preferences are stored: '3 1 4', or '' for a blank paper."""
    return " ".join(str(p) for p in preferences)


def from_text(stored: str) -> tuple[int, ...]:
    """The stored preferences as places."""
    return tuple(int(p) for p in stored.split())


def in_words(preferences: tuple[int, ...], names: dict[int, str]) -> str:
    """'1 Cerys, 2 Asha, 3 (skipped)' — what the teller reads back; 'Blank' for none."""
    if not preferences:
        return "Blank"
    return ", ".join(
        f"{rank} {names.get(place, '(skipped)') if place else '(skipped)'}"
        for rank, place in enumerate(preferences, start=1)
    )


# ---- sheets and tellers -------------------------------------------------------------------


def keepers(election: Election) -> dict[int, User | None]:
    """Who keeps each sheet: the teller of its first entry (absent: nobody yet)."""
    rows = db.session.execute(
        db.select(ElectionEntry.sheet, ElectionEntry.teller_id)
        .where(ElectionEntry.election_id == election.id)
        .order_by(ElectionEntry.id)
    ).all()
    first: dict[int, int | None] = {}
    for sheet, teller_id in rows:
        first.setdefault(sheet, teller_id)
    return {
        sheet: db.session.get(User, teller_id) if teller_id else None
        for sheet, teller_id in first.items()
    }


def sheet_of(election: Election, teller: User) -> int | None:
    """The sheet this teller keeps, if any."""
    return next((s for s, who in keepers(election).items() if who and who.id == teller.id), None)


def check_sheet(election: Election, sheet: int, teller: User) -> None:
    """Refuse a sheet another teller keeps, or the second sheet to the keeper of the first."""
    if sheet not in SHEETS:
        raise EntryError("Choose sheet 1 or sheet 2.")
    kept = keepers(election)
    if sheet in kept and (kept[sheet] is None or kept[sheet].id != teller.id):
        who = kept[sheet].label if kept[sheet] else "another teller"
        raise EntryError(f"Sheet {sheet} is kept by {who}: take the other sheet.")
    mine = sheet_of(election, teller)
    if mine is not None and mine != sheet:
        raise EntryError(
            f"You keep sheet {mine}: the two sheets must be typed by two different tellers."
        )


def check_open(election: Election) -> None:
    """Refuse entries unless the election is polling."""
    if election.state == ElectionState.POLLING:
        return
    if election.state == ElectionState.NOMINATIONS:
        raise EntryError("Polling has not opened: there are no papers to enter yet.")
    raise EntryError("The poll is closed: the count has run, so no paper can be entered.")


# ---- entering a paper ---------------------------------------------------------------------


@dataclass
class Entered:
    """What the teller is told after an entry: the paper read back, warnings, whether corrected."""

    entry: ElectionEntry
    paper: ElectionPaper
    words: str
    warnings: list[str] = field(default_factory=list)
    corrected: bool = False


def enter_paper(
    election: Election,
    teller: User,
    sheet: int,
    paper_number: int | None,
    typed: str,
    *,
    blank: bool = False,
) -> Entered:
    """Enter (or correct) one paper on the teller's sheet; every version is kept."""
    lock_election(election)
    check_open(election)
    check_sheet(election, sheet, teller)
    if paper_number is None:
        raise EntryError("Type the paper's number (printed on the paper).")
    paper = db.session.get(ElectionPaper, (election.id, paper_number))
    if paper is None:
        raise EntryError(f"There is no paper {paper_number} in this election.")
    names = paper_names(election)
    preferences = parse_preferences(typed, max(names, default=0))
    if blank and preferences:
        raise EntryError(
            f"Paper {paper_number}: preferences were typed but “blank or spoilt” is ticked: "
            "untick it, or clear the preferences."
        )
    if not preferences and not blank:
        raise EntryError(
            f"Paper {paper_number}: type the preferences, or tick “blank or spoilt” "
            "for a paper with none."
        )
    for place in preferences:
        if place and place not in names:
            raise EntryError(f"There is no candidate {place} on this paper.")
    first_on_sheet = sheet not in keepers(election)
    previous = _retire_current(election, sheet, paper_number)
    entry = ElectionEntry(
        election_id=election.id,
        sheet=sheet,
        paper_number=paper_number,
        preferences=as_text(preferences),
        teller_id=teller.id,
    )
    db.session.add(entry)
    db.session.flush()
    if first_on_sheet:
        audit.record(
            "election.sheet",
            election,
            after={"sheet": sheet, "teller": teller.id},
            summary=f"{election.title[:150]}: {teller.label} keeps sheet {sheet}",
            actor=teller,
        )
    word = "corrected" if previous is not None else "entered"
    audit.record(
        "election.entry",
        election,
        before={"preferences": previous.preferences} if previous is not None else None,
        after={"sheet": sheet, "paper": paper_number, "preferences": entry.preferences},
        summary=(
            f"{election.title[:120]}: sheet {sheet} {word} paper {paper_number}: "
            f"{entry.preferences or 'blank'}"
        ),
        actor=teller,
    )
    return Entered(
        entry,
        paper,
        in_words(preferences, names),
        warnings(preferences, names),
        previous is not None,
    )


def _retire_current(election: Election, sheet: int, number: int) -> ElectionEntry | None:
    """The sheet's current entry of the paper, now no longer current (None if none)."""
    previous = db.session.execute(
        db.select(ElectionEntry).where(
            ElectionEntry.election_id == election.id,
            ElectionEntry.sheet == sheet,
            ElectionEntry.paper_number == number,
            ElectionEntry.is_current.is_(True),
        )
    ).scalar_one_or_none()
    if previous is not None:
        previous.is_current = False
        db.session.flush()  # one current entry per paper and sheet is a unique index
    return previous


def current_entries(election: Election, sheet: int) -> dict[int, ElectionEntry]:
    """The sheet's current entry of each paper, by paper number."""
    rows = db.session.execute(
        db.select(ElectionEntry).where(
            ElectionEntry.election_id == election.id,
            ElectionEntry.sheet == sheet,
            ElectionEntry.is_current.is_(True),
        )
    ).scalars()
    return {e.paper_number: e for e in rows}


def last_entries(election: Election, sheet: int, limit: int = 8) -> list[ElectionEntry]:
    """The sheet's latest entries (corrections included), newest first."""
    return list(
        db.session.execute(
            db.select(ElectionEntry)
            .where(ElectionEntry.election_id == election.id, ElectionEntry.sheet == sheet)
            .order_by(ElectionEntry.id.desc())
            .limit(limit)
        ).scalars()
    )


def papers(election: Election) -> list[ElectionPaper]:
    """The papers issued, by number."""
    return list(
        db.session.execute(
            db.select(ElectionPaper)
            .where(ElectionPaper.election_id == election.id)
            .order_by(ElectionPaper.number)
        ).scalars()
    )


# ---- reconciliation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One paper as the two sheets read it (None: not entered on that sheet)."""

    paper: ElectionPaper
    first: str | None
    second: str | None

    @property
    def status(self) -> str:
        """agreed, differs, one sheet (only one has it) or not returned (neither has it)."""
        if self.first is None and self.second is None:
            return "not returned"
        if self.first is None or self.second is None:
            return "one sheet"
        return "agreed" if self.first == self.second else "differs"


@dataclass
class Reconciliation:
    """Both sheets compared paper by paper."""

    lines: list[Line]
    keepers: dict[int, User | None]

    def of(self, status: str) -> list[Line]:
        """The papers in one status."""
        return [line for line in self.lines if line.status == status]

    @property
    def blocking(self) -> list[Line]:
        """Papers that stop the count: read differently, or entered on one sheet only."""
        return [line for line in self.lines if line.status in ("differs", "one sheet")]

    @property
    def may_count(self) -> bool:
        """The count runs when no paper blocks it and at least one paper was agreed."""
        return not self.blocking and bool(self.of("agreed"))

    def refusal(self) -> str | None:
        """Why the count cannot run yet, in words (None: it can)."""
        blocking = self.blocking
        if blocking:
            numbers = ", ".join(str(line.paper.number) for line in blocking[:8])
            more = len(blocking) - 8
            count = len(blocking)
            return (
                f"The two sheets do not agree on {count} paper{'s' if count != 1 else ''} "
                f"({numbers}{f' and {more} more' if more > 0 else ''}): every paper entered "
                "must be entered on both sheets with the same preferences first."
            )
        if not self.of("agreed"):
            return "No paper has been entered on both sheets yet: there is nothing to count."
        return None


def reconcile(election: Election) -> Reconciliation:
    """Compare the two sheets' current entries paper by paper."""
    one, two = current_entries(election, 1), current_entries(election, 2)
    lines = [
        Line(
            paper,
            one[paper.number].preferences if paper.number in one else None,
            two[paper.number].preferences if paper.number in two else None,
        )
        for paper in papers(election)
    ]
    return Reconciliation(lines, keepers(election))


def candidates_by_place(election: Election) -> list[Candidate]:
    """The candidates in paper order."""
    return sorted(
        (c for c in election.candidates if c.position is not None), key=lambda c: c.position
    )
