"""The one entry point for an STV count: check the input, then count by the chosen rule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from confapp.elections.model import Ballot, Category, CountError, CountResult, Weight
from confapp.elections.quotas import Quotas
from confapp.elections.ties import TieBreaker

RULES = ("scottish", "meek")


@dataclass
class Setup:
    """Checked input shared by the rules: identical ballots grouped, withdrawn removed."""

    names: list[str]
    seats: int
    standing: list[int]  # candidate numbers in the count (withdrawn left out)
    withdrawn: list[int]
    groups: list[tuple[tuple[int, ...], Weight]]  # (preferences, total weight)
    valid: Fraction
    invalid: Fraction
    quotas: Quotas
    ties: TieBreaker


def count_stv(
    candidates: Sequence[str],
    ballots: Iterable[Ballot],
    seats: int,
    rule: str = "scottish",
    *,
    categories: Sequence[Category] = (),
    seed: str = "",
    tie_order: Sequence[int] | None = None,
    withdrawn: Iterable[int] = (),
    **options,
) -> CountResult:
    """Count `ballots` for `seats` among `candidates` (numbered from 1) by `rule`.

    Raises CountError (or QuotaError) before counting anything if the input cannot be
    counted. `seed` is the recorded seed of the draw for ties (see ties.py); `tie_order`,
    if given (a BLT `[tie]` line), replaces the draw. `options` go to the rule (Meek:
    `precision`, `omega`).
    """
    if rule not in RULES:
        raise CountError(f"unknown rule {rule!r}: use one of {', '.join(RULES)}")
    setup = prepare(candidates, ballots, seats, categories, seed, tie_order, withdrawn)
    if rule == "scottish":
        from confapp.elections.scottish import count_scottish

        return count_scottish(setup, **options)
    from confapp.elections.meek import count_meek

    return count_meek(setup, **options)


def prepare(candidates, ballots, seats, categories, seed, tie_order, withdrawn) -> Setup:
    """Check seats, preferences and quotas, and group identical ballots."""
    names = list(candidates)
    size = len(names)
    gone = sorted(set(withdrawn))
    for number in gone:
        if not 1 <= number <= size:
            raise CountError(f"withdrawn candidate {number} does not exist ({size} stand)")
    standing = [c for c in range(1, size + 1) if c not in gone]
    if seats < 1:
        raise CountError("there must be at least one seat")
    if seats > len(standing):
        raise CountError(f"{seats} seats but only {len(standing)} candidates stand")
    grouped: dict[tuple[int, ...], Weight] = defaultdict(int)
    invalid = Fraction(0)
    removed = set(gone)
    for index, ballot in enumerate(ballots, 1):
        if ballot.weight < 0:
            raise CountError(f"ballot {index}: a weight cannot be negative")
        seen = set()
        for candidate in ballot.preferences:
            if not 1 <= candidate <= size:
                raise CountError(
                    f"ballot {index}: preference for candidate {candidate}, but {size} stand"
                )
            if candidate in seen:
                raise CountError(f"ballot {index}: candidate {candidate} ranked twice")
            seen.add(candidate)
        preferences = tuple(c for c in ballot.preferences if c not in removed)
        if preferences:
            grouped[preferences] += ballot.weight
        else:
            invalid += ballot.weight
    groups = [(prefs, weight) for prefs, weight in grouped.items() if weight]
    valid = Fraction(sum((w for _, w in groups), 0))
    quotas = Quotas(categories)
    for category in categories:
        strangers = [m for m in category.members if not 1 <= m <= size]
        if strangers:
            raise CountError(
                f"category {category.name!r} names candidate {strangers[0]}, who does not exist"
            )
    if quotas:
        quotas.check_before_polling(standing, seats)
    return Setup(
        names, seats, standing, gone, groups, valid, invalid, quotas, TieBreaker(seed, tie_order)
    )
