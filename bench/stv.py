"""Time the STV count: the largest real Scottish ward, and a large conference election.

- the largest ward in ../shared/stv (by ballots), read from its BLT file and counted by the
  Scottish rules (goal: under 1 s);
- 20,000 ballots, 30 candidates, 12 seats, three overlapping quota categories (women at
  least 6, under-30s at least 3, the north at least 2 and at most 5), counted by the Scottish
  rules (goal: under 5 s) and by Meek (goal: under 30 s).

Nothing is asserted: the figures are printed and the exit status is 0.

Run: .venv/bin/python -m bench.stv
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from confapp.elections import Ballot, Category, count_stv, read_blt

STV_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "stv"


def largest_ward() -> Path | None:
    """The Scottish ballot file in ../shared/stv with the most ballots."""
    files = [*STV_DATA.glob("edinburgh-2017/ballots/*.gz"), *STV_DATA.glob("glasgow-20*/**/*.blt")]
    if not files:
        return None
    return max(files, key=lambda p: sum(b.weight for b in read_blt(p).ballots))


def conference_election(seed: int = 14) -> tuple[list[str], list[Ballot], list[Category]]:
    """20,000 ranked ballots over 30 candidates of uneven support, with three quotas."""
    rng = random.Random(seed)
    names = [f"Candidate {n}" for n in range(1, 31)]
    support = [rng.uniform(0.2, 3.0) for _ in names]
    numbers = list(range(1, 31))
    ballots = []
    for _ in range(20_000):
        length = rng.randint(1, 15)
        ranking: list[int] = []
        while len(ranking) < length:
            pick = rng.choices(numbers, weights=support)[0]
            if pick not in ranking:
                ranking.append(pick)
        ballots.append(Ballot(tuple(ranking)))
    categories = [
        Category("women", frozenset(range(1, 31, 2)), minimum=6),
        Category("under 30", frozenset(range(1, 31, 4)) | {2, 6}, minimum=3),
        Category("north", frozenset(range(20, 31)), minimum=2, maximum=5),
    ]
    return names, ballots, categories


def timed(label: str, goal: float, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<62} {seconds:7.2f} s  (goal < {goal:g} s)")
    return result


def main() -> None:
    ward = largest_ward()
    if ward is None:
        print(f"no ballot files in {STV_DATA.resolve()}: the real ward is skipped")
    else:

        def count_ward():
            election = read_blt(ward)
            return count_stv(election.candidates, election.ballots, election.seats)

        result = timed(f"largest ward ({ward.name[:32]}), read + Scottish", 1, count_ward)
        print(f"  {result.valid} valid votes, {len(result.stages)} stages")
    names, ballots, categories = conference_election()
    for rule, goal in (("scottish", 5), ("meek", 30)):
        result = timed(
            f"20,000 ballots, 30 candidates, 12 seats, 3 quotas: {rule}",
            goal,
            lambda rule=rule: count_stv(names, ballots, 12, rule, categories=categories, seed="b"),
        )
        elected = set(result.elected)
        met = ", ".join(f"{c.name} {len(c.members & elected)}" for c in categories)
        print(f"  {len(result.stages)} stages; elected per category: {met}")


if __name__ == "__main__":
    main()
