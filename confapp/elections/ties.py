"""Breaking ties: by earlier stages where the rule says so, then by a reproducible draw.

The draw, so that anyone can redo it by hand: for each tied candidate compute
SHA-256 of the text "<seed>:<candidate number>" (UTF-8, no newline), e.g.
`printf '%s' 'abc:3' | sha256sum`; order the tied candidates by that hex digest,
smallest first. The first in that order is the one the tie is about: the candidate
excluded, or the surplus transferred first, or the candidate elected first. If the
ballot file gave a tie order (droop's `[tie ...]`), that order is used instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from confapp.elections.model import TieBreak


def draw_digest(seed: str, candidate: int) -> str:
    """The SHA-256 hex digest that places `candidate` in the draw."""
    return hashlib.sha256(f"{seed}:{candidate}".encode()).hexdigest()


class TieBreaker:
    """Settles ties for one count with one seed (or a fixed tie order)."""

    def __init__(self, seed: str, tie_order: Sequence[int] | None = None):
        self.seed = seed
        self.tie_order = list(tie_order) if tie_order else None

    def by_lot(self, tied: Sequence[int], reason: str) -> TieBreak:
        """Choose among `tied` by the tie order if given, else by the seeded draw."""
        tied = sorted(tied)
        if self.tie_order:
            rank = {c: i for i, c in enumerate(self.tie_order)}
            chosen = min(tied, key=lambda c: (rank.get(c, len(rank)), c))
            return TieBreak(reason, tied, chosen, "tie order")
        digests = sorted((draw_digest(self.seed, c), c) for c in tied)
        return TieBreak(reason, tied, digests[0][1], "draw", [(c, d) for d, c in digests])

    def by_history(
        self, tied: Sequence[int], history: Sequence[dict[int, int]], reason: str, lowest: bool
    ) -> TieBreak:
        """Scottish rules 49(2) and 51(2): the most recent earlier stage where they differed.

        `history` holds every earlier stage's totals, oldest first; at that stage the one
        with the fewest votes (lowest=True) or the most is chosen. If they differed there
        but two still share the extreme, the look-back continues among those, then lot.
        """
        tied = sorted(tied)
        for number in range(len(history) - 1, -1, -1):
            votes = history[number]
            figures = {votes.get(c, 0) for c in tied}
            if len(figures) > 1:
                extreme = min(figures) if lowest else max(figures)
                narrowed = [c for c in tied if votes.get(c, 0) == extreme]
                if len(narrowed) == 1:
                    return TieBreak(reason, tied, narrowed[0], f"stage {number + 1}")
                tied = narrowed
        return self.by_lot(tied, reason)
