"""What a count takes and gives: ballots, quota categories, stages and the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

Weight = int | Fraction


class CountError(ValueError):
    """The count cannot start: bad seats, a preference for no such candidate, ..."""


class QuotaError(CountError):
    """The candidates standing cannot meet the quota categories."""


@dataclass(frozen=True)
class Ballot:
    """One ballot (or a bundle of identical ones): candidate numbers from 1, best first."""

    preferences: tuple[int, ...]
    weight: Weight = 1


@dataclass(frozen=True)
class Category:
    """A quota category: its members (candidate numbers) and the seats it must or may hold."""

    name: str
    members: frozenset[int]
    minimum: int = 0
    maximum: int | None = None


@dataclass
class TieBreak:
    """How a tie was settled: by an earlier stage, or by the recorded draw."""

    reason: str  # "surplus", "exclusion" or "election"
    tied: list[int]
    chosen: int
    method: str  # "stage N", "draw", "tie order"
    draw: list[tuple[int, str]] = field(default_factory=list)  # (candidate, sha256 hex)


@dataclass
class Stage:
    """One stage of the count: what was done and every candidate's total after it.

    Figures are integers in units of 10**-decimals of a vote (the rule's own precision).
    """

    number: int
    action: str  # "first", "surplus" or "exclusion"
    subject: int | None
    votes: dict[int, int]
    non_transferable: int  # cumulative, exhausted papers only
    rounding: int  # cumulative value lost to the rule's truncation
    elected: list[int] = field(default_factory=list)
    excluded: list[int] = field(default_factory=list)
    ties: list[TieBreak] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    quota: int | None = None  # Meek: the quota moves with the exhausted votes
    keep_values: dict[int, int] = field(default_factory=dict)  # Meek only


@dataclass
class CountResult:
    """A finished count: every stage and the elected in order of election."""

    rule: str
    seats: int
    candidates: list[str]
    valid: Fraction
    quota: Fraction
    decimals: int
    stages: list[Stage]
    elected: list[int]
    seed: str
    withdrawn: list[int] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    invalid: Fraction = Fraction(0)

    def figure(self, units: int) -> str:
        """A figure in the rule's units as a decimal string, e.g. '1035.00000'."""
        return units_to_str(units, self.decimals)


def units_to_str(units: int, decimals: int) -> str:
    """Integer units of 10**-decimals as a fixed-point string, never through a float."""
    sign = "-" if units < 0 else ""
    whole, part = divmod(abs(units), 10**decimals)
    return f"{sign}{whole}.{part:0{decimals}d}" if decimals else f"{sign}{whole}"


def to_units(value: Weight, decimals: int) -> int:
    """A vote value in units of 10**-decimals, truncated (the Order's 'remainder ignored')."""
    return int(Fraction(value) * 10**decimals // 1)
