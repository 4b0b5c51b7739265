"""Quota categories in the count: guard and doom, and the check before polling.

The method is constrained STV as in Otten's "Constrained STV" and Hill's "STV with
constraints" (the guard-and-doom approach of OpenSTV's constrained counts): at every step
the count asks whether the seats still open can be filled so that every category's
minimum and maximum holds.

- A continuing candidate is *doomed* if electing them would leave no such completion: when
  a doomed candidate reaches the quota they are excluded instead of elected.
- A continuing candidate is *guarded* if no completion exists without them: a guarded
  candidate is never excluded (the lowest unguarded candidate is excluded instead), and
  when the guarded candidates are as many as the seats left, they are elected at once.

Where the papers are silent we chose: a candidate is doomed only when they would be
elected (the count never excludes a doomed candidate early, so a quota the plain count
already meets changes nothing); a doomed candidate's papers pass on at their current value,
like any excluded candidate's; when seats outnumber the candidates left, the completion must
elect all of them. Because the count only elects the undoomed and only excludes the
unguarded, a completion exists at every step whenever one existed before polling.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from confapp.elections.model import Category, QuotaError


class Quotas:
    """The categories of one election, and feasibility questions about them."""

    def __init__(self, categories: Sequence[Category]):
        self.categories = list(categories)
        for category in self.categories:
            top = category.maximum
            if category.minimum < 0 or (top is not None and top < category.minimum):
                raise QuotaError(f"category {category.name!r}: minimum above maximum")

    def __bool__(self) -> bool:
        return bool(self.categories)

    def signature(self, candidate: int) -> tuple[bool, ...]:
        """Which categories a candidate belongs to."""
        return tuple(candidate in c.members for c in self.categories)

    def feasible(self, elected: Iterable[int], continuing: Iterable[int], seats_left: int) -> bool:
        """Can min(seats_left, len(continuing)) more be elected from `continuing` to meet all?"""
        elected_counts = [0] * len(self.categories)
        for candidate in elected:
            for i, inside in enumerate(self.signature(candidate)):
                elected_counts[i] += inside
        kinds = Counter(self.signature(c) for c in continuing)
        need = min(seats_left, sum(kinds.values()))
        return _completes(
            tuple(sorted(kinds.items())),
            need,
            tuple(elected_counts),
            tuple(c.minimum for c in self.categories),
            tuple(c.maximum for c in self.categories),
        )

    def doomed(self, candidate: int, elected: list[int], continuing: set[int], left: int) -> bool:
        """Would electing `candidate` leave the quotas unreachable?"""
        return not self.feasible([*elected, candidate], continuing - {candidate}, left - 1)

    def guarded(self, candidate: int, elected: list[int], continuing: set[int], left: int) -> bool:
        """Must `candidate` be elected for the quotas to be met?"""
        return not self.feasible(elected, continuing - {candidate}, left)

    def check_before_polling(self, candidates: Iterable[int], seats: int) -> None:
        """Raise QuotaError, saying why, when no set of the candidates standing meets the quotas."""
        standing = set(candidates)
        problems = []
        for category in self.categories:
            members = len(category.members & standing)
            if members < category.minimum:
                problems.append(
                    f"{category.name!r} needs at least {category.minimum} elected "
                    f"but only {members} of its candidates stand"
                )
            if category.minimum > min(seats, len(standing)):
                problems.append(
                    f"{category.name!r} needs at least {category.minimum} elected "
                    f"but only {seats} seats are filled"
                )
        if problems:
            raise QuotaError("the quotas cannot be met: " + "; ".join(problems))
        if not self.feasible([], standing, seats):
            raise QuotaError(
                f"the quotas cannot be met: no {min(seats, len(standing))} of the "
                f"{len(standing)} candidates standing meet every minimum and maximum together"
            )


@lru_cache(maxsize=65536)
def _completes(
    kinds: tuple[tuple[tuple[bool, ...], int], ...],
    need: int,
    counts: tuple[int, ...],
    minimums: tuple[int, ...],
    maximums: tuple[int | None, ...],
) -> bool:
    """Depth-first over kinds of candidate (same categories): how many of each to elect."""
    for count, top in zip(counts, maximums, strict=True):
        if top is not None and count > top:
            return False
    if not kinds:
        return need == 0 and all(c >= m for c, m in zip(counts, minimums, strict=True))
    # Even electing every remaining member could not reach a minimum: stop early.
    for i, (count, low) in enumerate(zip(counts, minimums, strict=True)):
        room = sum(n for sig, n in kinds if sig[i])
        if count + min(room, need) < low:
            return False
    (signature, available), rest = kinds[0], kinds[1:]
    later = sum(n for _, n in rest)
    for take in range(min(available, need), -1, -1):
        if need - take > later:
            break
        after = tuple(c + take * inside for c, inside in zip(counts, signature, strict=True))
        if _completes(rest, need - take, after, minimums, maximums):
            return True
    return False
