"""Meek STV: Hill, Wichmann and Woodall's Algorithm 123, with the New Zealand rounding.

Each candidate has a keep value: 1 while hopeful, 0 once excluded, and for the elected
one that is lowered, iteration by iteration, until each keeps only the quota. A ballot
gives each candidate in turn `keep x what is left of it`, the rest passing on. The quota
is the votes still held / (seats + 1), recomputed every iteration, so votes that run out
of preferences lower it.

Arithmetic is fixed point with guard digits, as droop's "guarded" arithmetic: integers in
units of 10**-(precision + guard) (default 12 + 9 places; 9 in all are not enough, as the
Voting Matters 12 example shows), shown truncated to `precision` places. Candidates are
taken as tied (for sure losers and exclusion) when within 10**-precision of each other.
What a candidate keeps and what passes on are rounded down, new keep values rounded up
(kf x quota, then / votes), and the quota is truncated then raised by one unit.

An iteration stops when someone reaches the quota, when the total surplus is at most
10**-omega (default 10), when the surplus stops falling, or when a batch of sure losers
can be excluded together: the lowest candidates whose votes with the surplus stay below
the next one (with quotas, only if the quotas stay reachable without them all). This is
the count droop calls Meek Parametric.

Ties for exclusion: candidates within the total surplus of the lowest are tied (the
figures are not exact enough to tell them apart) and the draw decides, as in Algorithm 123.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from confapp.elections.count import Setup
from confapp.elections.model import CountResult, Stage


def count_meek(setup: Setup, precision: int = 12, omega: int = 10, guard: int = 9) -> CountResult:
    """Count by Meek's method; one stage per election round and per exclusion."""
    return _MeekCount(setup, precision, omega, guard).run()


class _MeekCount:
    def __init__(self, setup: Setup, precision: int, omega: int, guard: int):
        self.setup = setup
        self.precision = precision
        self.one = 10 ** (precision + guard)
        self.shown = 10**guard  # internal units in one unit shown
        self.omega = self.one // 10**omega
        self.keep = {c: self.one for c in setup.standing}
        self.hopeful = set(setup.standing)
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.votes = {c: 0 for c in setup.standing}
        self.quota = 0
        self.surplus = 0
        self.exhausted: int | Fraction = 0
        self.stages: list[Stage] = []
        self.compact: list[tuple[tuple[int, ...], int | Fraction]] = []

    @property
    def seats_left(self) -> int:
        return self.setup.seats - len(self.elected)

    def run(self) -> CountResult:
        self.compact_ballots()
        first = True
        while self.seats_left > 0 and len(self.hopeful) > self.seats_left:
            if self.elect_guarded():
                break
            status, found = self.iterate()
            if first or status == "elected":
                stage = self.record("first" if first else "surplus", None)
                stage.elected = found if status == "elected" else []
                first = False
                if status == "elected":
                    self.compact_ballots()  # the newly elected now pass votes on
                    continue
            if status == "doomed":
                self.exclude(
                    found[0],
                    "reached the quota, but electing them would leave the quotas unreachable",
                )
            elif status == "batch":
                for candidate in sorted(found):
                    self.exclude(
                        candidate, "a sure loser: with the surplus, still below the next candidate"
                    )
            else:
                self.exclude_lowest(status)
        if self.seats_left > 0 and self.hopeful:
            if not self.stages:
                self.distribute()
                self.record("first", None)
            stage = self.stages[-1]
            for candidate in sorted(self.hopeful, key=lambda c: -self.votes[c]):
                self.hopeful.discard(candidate)
                self.elected.append(candidate)
                stage.elected.append(candidate)
            stage.notes.append("the hopeful candidates are as many as the seats left: elected")
        return CountResult(
            rule="meek",
            seats=self.setup.seats,
            candidates=self.setup.names,
            valid=self.setup.valid,
            quota=Fraction(self.quota // self.shown, 10**self.precision),
            decimals=self.precision,
            stages=self.stages,
            elected=self.elected,
            seed=self.setup.ties.seed,
            withdrawn=self.setup.withdrawn,
            categories=self.setup.quotas.categories,
            invalid=self.setup.invalid,
        )

    # -- the arithmetic -------------------------------------------------------------------

    def compact_ballots(self) -> None:
        """Drop the excluded and cut each ballot after its first hopeful; merge the same.

        Within a round only the elected's keep values change, so nothing after the first
        hopeful candidate (who keeps everything) can receive a vote.
        """
        merged: dict[tuple[int, ...], int | Fraction] = defaultdict(int)
        for prefs, weight in self.setup.groups:
            kept = []
            for candidate in prefs:
                if candidate in self.hopeful:
                    kept.append(candidate)
                    break
                if self.keep[candidate]:
                    kept.append(candidate)
            merged[tuple(kept)] += weight
        self.compact = list(merged.items())

    def distribute(self) -> None:
        """One pass over the ballots with the current keep values."""
        one, keep = self.one, self.keep
        totals: dict[int, int | Fraction] = defaultdict(int)
        exhausted: int | Fraction = 0
        for prefs, weight in self.compact:
            left = one
            for candidate in prefs:
                factor = keep[candidate]
                if factor == one:
                    totals[candidate] += left * weight
                    left = 0
                    break
                totals[candidate] += left * factor // one * weight
                left = left * (one - factor) // one
                if left <= 0:
                    break
            exhausted += left * weight
        self.votes = {c: (int(totals[c] // 1) if keep[c] else 0) for c in self.votes}
        self.exhausted = int(exhausted // 1)
        held = sum(self.votes[c] for c in self.votes if keep[c])
        # Raised by one internal unit: a candidate exactly at votes / (seats + 1) is not elected.
        self.quota = held // (self.setup.seats + 1) + 1

    def iterate(self) -> tuple[str, list[int]]:
        """Algorithm 123's inner loop: until an election, omega, stability or sure losers."""
        last_surplus = None
        quotas = self.setup.quotas
        while True:
            self.distribute()
            reached = [c for c in self.hopeful if self.votes[c] >= self.quota]
            found = []
            for candidate in sorted(reached, key=lambda c: (-self.votes[c], c)):
                if quotas and quotas.doomed(candidate, self.elected, self.hopeful, self.seats_left):
                    return "doomed", [candidate]
                self.hopeful.discard(candidate)
                self.elected.append(candidate)
                found.append(candidate)
                if self.seats_left == 0:
                    break
            self.surplus = sum(self.votes[c] - self.quota for c in self.elected)
            if found:
                return "elected", found
            if self.surplus <= self.omega:
                return "omega", []
            if last_surplus is not None and self.surplus >= last_surplus:
                return "stable", []
            batch = self.sure_losers()
            if batch and (
                not quotas
                or quotas.feasible(self.elected, self.hopeful - set(batch), self.seats_left)
            ):
                return "batch", batch
            last_surplus = self.surplus
            for candidate in self.elected:
                if not self.votes[candidate]:
                    continue
                raised = -(-self.keep[candidate] * self.quota // self.one)
                self.keep[candidate] = -(-raised * self.one // self.votes[candidate])

    def sure_losers(self) -> list[int]:
        """The largest group of lowest candidates who cannot overtake the next one up."""
        ordered = sorted(self.hopeful, key=lambda c: self.votes[c])
        groups: list[list[int]] = []
        for candidate in ordered:
            if groups and self.at_least(
                self.votes[groups[-1][0]] + self.surplus, self.votes[candidate]
            ):
                groups[-1].append(candidate)
            else:
                groups.append([candidate])
        most = len(self.hopeful) - self.seats_left
        batch: list[int] = []
        chosen: list[int] = []
        total = 0
        for index, group in enumerate(groups[:-1]):
            if len(batch) + len(group) > most:
                break
            batch += group
            total += sum(self.votes[c] for c in group)
            if not self.at_least(total + self.surplus, self.votes[groups[index + 1][0]]):
                chosen = list(batch)
        return chosen

    # -- stages ---------------------------------------------------------------------------

    def exclude_lowest(self, status: str) -> None:
        """Exclude the lowest hopeful not guarded by a quota; near-equal ones by the draw."""
        candidates = sorted(self.hopeful, key=lambda c: self.votes[c])
        quotas = self.setup.quotas
        if quotas:
            candidates = [
                c
                for c in candidates
                if not quotas.guarded(c, self.elected, self.hopeful, self.seats_left)
            ]
        low = self.votes[candidates[0]]
        tied = [c for c in candidates if self.at_least(low + self.surplus, self.votes[c])]
        tie = self.setup.ties.by_lot(tied, "exclusion") if len(tied) > 1 else None
        chosen = tie.chosen if tie else candidates[0]
        why = "lowest, surplus below omega" if status == "omega" else f"lowest ({status})"
        stage = self.exclude(chosen, why)
        if tie:
            stage.ties.append(tie)

    def exclude(self, candidate: int, why: str) -> Stage:
        self.hopeful.discard(candidate)
        self.excluded.append(candidate)
        self.keep[candidate] = 0
        self.compact_ballots()
        self.distribute()
        stage = self.record("exclusion", candidate)
        stage.excluded.append(candidate)
        stage.notes.append(f"candidate {candidate} excluded: {why}")
        return stage

    def elect_guarded(self) -> bool:
        """With quotas: when those who must be elected are as many as the seats, elect them."""
        quotas = self.setup.quotas
        if not quotas:
            return False
        guarded = [
            c
            for c in self.hopeful
            if quotas.guarded(c, self.elected, self.hopeful, self.seats_left)
        ]
        if not guarded or len(guarded) != self.seats_left:
            return False
        if not self.stages:
            self.distribute()
            self.record("first", None)
        stage = self.stages[-1]
        for candidate in guarded:
            self.hopeful.discard(candidate)
            self.elected.append(candidate)
            stage.elected.append(candidate)
        stage.notes.append("needed for the quotas, as many as the seats left: elected")
        return True

    def at_least(self, a: int, b: int) -> bool:
        """a >= b, taking figures within the guard digits as equal."""
        return a + self.shown > b

    def record(self, action: str, subject: int | None) -> Stage:
        """A stage with the figures truncated to the places shown."""
        shown = self.shown
        votes = {c: v // shown for c, v in self.votes.items()}
        exhausted = int(self.exhausted // shown)
        stage = Stage(
            number=len(self.stages) + 1,
            action=action,
            subject=subject,
            votes=votes,
            non_transferable=exhausted,
            rounding=self.setup.valid * 10**self.precision - sum(votes.values()) - exhausted,
            quota=self.quota // shown,
            keep_values={c: k // shown for c, k in self.keep.items()},
        )
        if isinstance(stage.rounding, Fraction) and stage.rounding.denominator == 1:
            stage.rounding = int(stage.rounding)
        self.stages.append(stage)
        return stage
