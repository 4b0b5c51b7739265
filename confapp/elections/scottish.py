"""Scottish STV: the Scottish Local Government Elections Order 2007 (as amended), rules 45-52.

Droop quota (rule 46); weighted inclusive Gregory: a surplus passes on every paper the
candidate holds, each at surplus x its value / the candidate's total, to five decimal
places with the remainder ignored (rule 48(3)); the largest surplus first, equal ones by
the most recent stage at which the totals differed, then lot (rule 49); otherwise the
lowest candidate is excluded and all their papers pass on at the value each had, in one
stage (rules 50, 51); when the continuing candidates are as many as the seats left they
are elected and nothing more is transferred (rule 52).

All figures are integers in units of 0.00001 of a vote. With whole-vote ballots every
credit is exact; with weighted ballots (a Fraction weight) each candidate's credit at a
stage is truncated to 0.00001 too, and what truncation drops is kept as rounding.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from confapp.elections.count import Setup
from confapp.elections.model import CountResult, Stage, units_to_str
from confapp.elections.quotas import Quotas

DECIMALS = 5
ONE = 10**DECIMALS


def count_scottish(setup: Setup) -> CountResult:
    """Count by the Scottish rules; every stage recorded."""
    return _ScottishCount(setup).run()


class _ScottishCount:
    def __init__(self, setup: Setup):
        self.setup = setup
        self.groups = setup.groups
        self.quota = int(setup.valid // (setup.seats + 1)) + 1  # rule 46
        self.quota_units = self.quota * ONE
        self.continuing = set(setup.standing)
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.pending: list[int] = []  # elected, surplus not yet transferred
        self.doomed: list[int] = []  # reached the quota but may not be elected (quotas)
        self.votes = {c: 0 for c in setup.standing}
        # The papers each candidate holds, by the value at which they were received.
        self.papers: dict[int, dict[int, list[tuple[int, int]]]] = {
            c: defaultdict(list) for c in setup.standing
        }
        self.non_transferable = 0
        self.rounding: int | Fraction = 0
        self.stages: list[Stage] = []
        self.next_notes: list[str] = []  # why the next stage does what it does
        self.next_ties: list = []

    @property
    def seats_left(self) -> int:
        return self.setup.seats - len(self.elected)

    def run(self) -> CountResult:
        self.first_stage()
        while self.seats_left > 0:
            if self.fill_last_vacancies():
                break
            if self.doomed:
                self.exclude(self.doomed.pop(0))
            elif self.pending:
                self.transfer_surplus(self.largest_surplus())
            else:
                self.exclude(self.lowest())
        return CountResult(
            rule="scottish",
            seats=self.setup.seats,
            candidates=self.setup.names,
            valid=self.setup.valid,
            quota=Fraction(self.quota),
            decimals=DECIMALS,
            stages=self.stages,
            elected=self.elected,
            seed=self.setup.ties.seed,
            withdrawn=self.setup.withdrawn,
            categories=self.setup.quotas.categories,
            invalid=self.setup.invalid,
        )

    # -- stages ---------------------------------------------------------------------------

    def first_stage(self) -> None:
        """Rule 45: each paper to its first preference at value one."""
        received: dict[int, int | Fraction] = defaultdict(int)
        for gid, (prefs, weight) in enumerate(self.groups):
            self.papers[prefs[0]][ONE].append((gid, 0))
            received[prefs[0]] += weight * ONE
        stage = self.new_stage("first", None)
        self.credit(received, 0, 0)
        self.end_stage(stage)

    def transfer_surplus(self, candidate: int) -> None:
        """Rule 48: every paper of `candidate` passes on at its own transfer value."""
        self.pending.remove(candidate)
        stage = self.new_stage("surplus", candidate)
        total = self.votes[candidate]
        surplus = total - self.quota_units
        received: dict[int, int | Fraction] = defaultdict(int)
        exhausted: int | Fraction = 0
        for value, papers in sorted(self.papers.pop(candidate).items(), reverse=True):
            transfer_value = surplus * value // total  # five places, remainder ignored
            count = sum(self.groups[gid][1] for gid, _ in papers)
            stage.notes.append(
                f"{count} papers at {units_to_str(value, DECIMALS)} pass on at "
                f"{units_to_str(transfer_value, DECIMALS)} each"
            )
            exhausted += self.move(papers, transfer_value, received)
        self.votes[candidate] = self.quota_units
        self.credit(received, exhausted, surplus)
        self.end_stage(stage)

    def exclude(self, candidate: int) -> None:
        """Rule 50: every paper of `candidate` passes on at the value it had, in one stage."""
        self.continuing.discard(candidate)
        self.excluded.append(candidate)
        stage = self.new_stage("exclusion", candidate)
        stage.excluded.append(candidate)
        received: dict[int, int | Fraction] = defaultdict(int)
        exhausted: int | Fraction = 0
        for value, papers in sorted(self.papers.pop(candidate).items(), reverse=True):
            exhausted += self.move(papers, value, received)
        released = self.votes[candidate]
        self.votes[candidate] = 0
        self.credit(received, exhausted, released)
        self.end_stage(stage)

    def move(self, papers, value: int, received) -> int | Fraction:
        """Pass papers to their next continuing preference at `value`; return what exhausts."""
        exhausted: int | Fraction = 0
        continuing = self.continuing
        groups = self.groups
        holders = self.papers
        for gid, position in papers:
            prefs, weight = groups[gid]
            for next_position in range(position + 1, len(prefs)):
                target = prefs[next_position]
                if target in continuing:
                    holders[target][value].append((gid, next_position))
                    received[target] += weight * value
                    break
            else:
                exhausted += weight * value
        return exhausted

    def credit(self, received, exhausted, released: int) -> None:
        """Add the stage's transfers, truncated to the unit; what is lost is rounding."""
        credited = 0
        for candidate, amount in received.items():
            whole = int(amount // 1)
            self.votes[candidate] += whole
            credited += whole
        lost = int(exhausted // 1)
        self.non_transferable += lost
        if released:
            self.rounding += released - credited - lost
        else:  # first stage: only weighted ballots can lose anything
            self.rounding += sum(received.values()) - credited
        if isinstance(self.rounding, Fraction) and self.rounding.denominator == 1:
            self.rounding = int(self.rounding)

    def new_stage(self, action: str, subject: int | None) -> Stage:
        stage = Stage(len(self.stages) + 1, action, subject, {}, 0, 0)
        stage.ties, stage.notes = self.next_ties, self.next_notes
        self.next_ties, self.next_notes = [], []
        return stage

    def end_stage(self, stage: Stage) -> None:
        """Record totals, then elect whoever has reached the quota (rule 47)."""
        stage.votes = dict(self.votes)
        stage.non_transferable = self.non_transferable
        stage.rounding = self.rounding
        self.stages.append(stage)
        reached = [c for c in self.continuing if self.votes[c] >= self.quota_units]
        for candidate in self.ranked(reached, stage):
            self.elect(candidate, stage)
            if self.seats_left == 0:
                break

    def elect(self, candidate: int, stage: Stage, note: str = "") -> None:
        quotas: Quotas = self.setup.quotas
        if quotas and quotas.doomed(candidate, self.elected, self.continuing, self.seats_left):
            self.continuing.discard(candidate)
            self.doomed.append(candidate)
            stage.notes.append(
                f"candidate {candidate} reached the quota but is excluded: "
                "their election would leave the quotas unreachable"
            )
            return
        self.continuing.discard(candidate)
        self.elected.append(candidate)
        stage.elected.append(candidate)
        if note:
            stage.notes.append(note)
        if self.votes[candidate] > self.quota_units:
            self.pending.append(candidate)

    def ranked(self, candidates: list[int], stage: Stage) -> list[int]:
        """Highest total first; equal totals by earlier stages, then lot."""
        order: list[int] = []
        rest = sorted(candidates, key=lambda c: -self.votes[c])
        while rest:
            top = [c for c in rest if self.votes[c] == self.votes[rest[0]]]
            if len(top) > 1:
                tie = self.setup.ties.by_history(top, self.history(), "election", lowest=False)
                stage.ties.append(tie)
                top = [tie.chosen]
            order.append(top[0])
            rest.remove(top[0])
        return order

    def history(self) -> list[dict[int, int]]:
        return [s.votes for s in self.stages]

    # -- choices --------------------------------------------------------------------------

    def fill_last_vacancies(self) -> bool:
        """Rule 52, and its twin for quotas: elect those who must be, and stop."""
        stage = self.stages[-1]
        if len(self.continuing) <= self.seats_left:
            for candidate in self.ranked(list(self.continuing), stage):
                self.elect(
                    candidate,
                    stage,
                    f"candidate {candidate} elected: continuing "
                    "candidates as many as the seats left (rule 52)",
                )
            return True
        quotas = self.setup.quotas
        if quotas:
            guarded = [
                c
                for c in self.continuing
                if quotas.guarded(c, self.elected, self.continuing, self.seats_left)
            ]
            if guarded and len(guarded) == self.seats_left:
                for candidate in self.ranked(guarded, stage):
                    self.elect(
                        candidate,
                        stage,
                        f"candidate {candidate} elected: needed "
                        "for the quotas, as many as the seats left",
                    )
                return True
        return False

    def largest_surplus(self) -> int:
        """Rule 49: the largest surplus; equal ones by earlier stages, then lot."""
        best = max(self.votes[c] for c in self.pending)
        tied = [c for c in self.pending if self.votes[c] == best]
        if len(tied) == 1:
            return tied[0]
        tie = self.setup.ties.by_history(tied, self.history(), "surplus", lowest=False)
        self.next_ties.append(tie)
        return tie.chosen

    def lowest(self) -> int:
        """Rules 50-51: the lowest continuing candidate not guarded by a quota."""
        candidates = sorted(self.continuing, key=lambda c: self.votes[c])
        quotas = self.setup.quotas
        if quotas:
            free = [
                c
                for c in candidates
                if not quotas.guarded(c, self.elected, self.continuing, self.seats_left)
            ]
            if free[0] != candidates[0]:
                self.next_notes.append(
                    f"candidate {candidates[0]} is lowest but needed for the quotas; "
                    f"candidate {free[0]} is the lowest who may be excluded"
                )
            candidates = free
        low = self.votes[candidates[0]]
        tied = [c for c in candidates if self.votes[c] == low]
        if len(tied) == 1:
            return tied[0]
        tie = self.setup.ties.by_history(tied, self.history(), "exclusion", lowest=True)
        self.next_ties.append(tie)
        return tie.chosen
