"""Card-vote arithmetic: split a delegation's vote, check teller entries, decide a ballot exactly.

Pure functions over ints and Fractions: no database, no Flask, and never a float in a decision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

MajorityKind = Literal["simple", "two_thirds", "fraction"]
# A section is named by whatever key the caller uses (a name or an id); None means "no section".
SectionKey = str | int | None

_HALF = Fraction(1, 2)
_TWO_THIRDS = Fraction(2, 3)
_FRACTION_TEXT = re.compile(r"(\d+)/(\d+)")


def _is_whole(value: object) -> bool:
    # bool is an int subclass, but True is a data error here, not the number 1.
    return isinstance(value, int) and not isinstance(value, bool)


# --- split mode ----------------------------------------------------------------------------------


def split_shares(
    card_vote: int, delegate_ids: Sequence[int], present_ids: Collection[int]
) -> dict[int, int]:
    """Each present delegate's whole-number share of the card vote, adding up exactly to it."""
    if card_vote < 0:
        raise ValueError(f"A card vote cannot be negative, not {card_vote:,}.")
    if len(set(delegate_ids)) != len(delegate_ids):
        raise ValueError("A delegate is listed more than once in the delegation.")
    present_set = set(present_ids)
    present = [d for d in delegate_ids if d in present_set]
    if not present:
        return {}
    # Absent delegates' shares pass to those present, so the vote is split equally among them.
    # Equal exact shares all leave the same remainder, so largest remainder gives the leftover
    # votes one each to the earliest delegates in delegation order: deterministic, at most 1 apart.
    base, leftover = divmod(card_vote, len(present))
    return {d: base + (1 if i < leftover else 0) for i, d in enumerate(present)}


# --- majorities ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Majority:
    """The share of the votes cast (for + against) a motion needs to be carried."""

    kind: MajorityKind
    # simple: strictly more than this share; two_thirds and fraction: at least this share.
    threshold: Fraction

    def __post_init__(self) -> None:
        fixed = {"simple": _HALF, "two_thirds": _TWO_THIRDS}
        if self.kind not in ("simple", "two_thirds", "fraction"):
            raise ValueError(f"Unknown kind of majority {self.kind!r}.")
        if not isinstance(self.threshold, Fraction | int) or isinstance(self.threshold, bool):
            raise ValueError(f"A majority threshold must be a Fraction, not {self.threshold!r}.")
        if self.kind in fixed and self.threshold != fixed[self.kind]:
            raise ValueError(f"A {self.kind} majority has threshold {fixed[self.kind]}.")
        if not 0 < self.threshold <= 1:
            raise ValueError(
                f"A majority fraction must be more than 0 and at most 1, not {self.threshold}."
            )

    @classmethod
    def simple(cls) -> Majority:
        """More for than against."""
        return cls("simple", _HALF)

    @classmethod
    def two_thirds(cls) -> Majority:
        """For at least two-thirds of for + against."""
        return cls("two_thirds", _TWO_THIRDS)

    @classmethod
    def fraction(cls, value: Fraction | int) -> Majority:
        """For at least `value` of for + against (a rule's own fraction, 0 < value <= 1)."""
        if not isinstance(value, Fraction | int) or isinstance(value, bool):
            raise ValueError(f"A majority fraction must be a Fraction, not {value!r}.")
        return cls("fraction", Fraction(value))

    @classmethod
    def from_text(cls, text: str) -> Majority:
        """Parse "simple", "two_thirds" or a fraction such as "3/5"."""
        cleaned = text.strip().lower()
        if cleaned == "simple":
            return cls.simple()
        if cleaned == "two_thirds":
            return cls.two_thirds()
        # Only "n/d" is accepted: a decimal such as "0.67" is a rounded two-thirds in disguise.
        match = _FRACTION_TEXT.fullmatch(cleaned.replace(" ", ""))
        if match is None:
            raise ValueError(
                f"A majority must be 'simple', 'two_thirds' or a fraction such as '3/5', "
                f"not {text!r}."
            )
        numerator, denominator = int(match[1]), int(match[2])
        if denominator == 0:
            raise ValueError(f"The majority fraction {text!r} divides by zero.")
        return cls.fraction(Fraction(numerator, denominator))

    def to_text(self) -> str:
        """The form from_text reads back: "simple", "two_thirds" or "n/d"."""
        if self.kind == "fraction":
            return f"{self.threshold.numerator}/{self.threshold.denominator}"
        return self.kind

    def describe(self) -> str:
        """Words for a result sheet, e.g. "two-thirds of the votes cast"."""
        if self.kind == "simple":
            return "a simple majority (more for than against)"
        if self.kind == "two_thirds":
            return "two-thirds of the votes cast"
        return f"{self.to_text()} of the votes cast"

    def is_met(self, for_share: Fraction | None) -> bool:
        """Whether an exact for share of the votes cast (0..1; None if none cast) carries."""
        if for_share is None:
            # Nothing cast: there is no majority for the motion, so it is lost.
            return False
        if self.kind == "simple":
            # for > against  <=>  for / (for + against) > 1/2; this also holds for weighted shares,
            # where the weighted against share is 1 - the weighted for share.
            return for_share > _HALF
        return for_share >= self.threshold

    def carried(self, for_: int, against: int) -> bool:
        """Whether `for_` votes against `against` votes carry (abstentions are not passed in)."""
        if for_ < 0 or against < 0:
            raise ValueError(f"Votes cannot be negative: for {for_:,}, against {against:,}.")
        cast = for_ + against
        return self.is_met(Fraction(for_, cast) if cast else None)


# --- teller entries ------------------------------------------------------------------------------


class EntryError(ValueError):
    """A delegation's entry that breaks a counting rule; the message names the rule."""


def check_entry(votes_present: int, for_: int, against: int, abstain: int) -> None:
    """Raise EntryError unless for, against and abstain are whole, not negative, and fit."""
    figures = (
        ("Votes present", votes_present),
        ("For", for_),
        ("Against", against),
        ("Abstain", abstain),
    )
    for name, value in figures:
        if not _is_whole(value):
            raise EntryError(f"{name} must be a whole number, not {value!r}.")
        if value < 0:
            raise EntryError(f"{name} cannot be negative, not {value:,}.")
    total = for_ + against + abstain
    if total > votes_present:
        raise EntryError(
            f"For {for_:,} + against {against:,} + abstain {abstain:,} = {total:,} is more than "
            f"the {votes_present:,} votes this delegation has present."
        )


@dataclass(frozen=True)
class Entry:
    """One delegation's votes on a ballot; checked on creation, so never over its votes present."""

    group_id: int
    section: SectionKey
    votes_present: int
    for_: int
    against: int
    abstain: int = 0

    def __post_init__(self) -> None:
        check_entry(self.votes_present, self.for_, self.against, self.abstain)

    @property
    def not_voting(self) -> int:
        """Votes present that were cast neither way nor as an abstention."""
        return self.votes_present - self.for_ - self.against - self.abstain


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionResult:
    """Totals for one section, or (as Result.overall, with section None) for the whole ballot."""

    section: SectionKey
    weight: int | None
    votes_present: int
    for_: int
    against: int
    abstain: int
    not_voting: int
    cast: int
    # Percentages of the votes cast, 0..100, exact; None when nothing was cast.
    for_percent: Fraction | None
    against_percent: Fraction | None


@dataclass(frozen=True)
class Result:
    """A ballot's sections, its overall figures and whether the motion was carried."""

    sections: tuple[SectionResult, ...]
    # When weighted, overall.for_percent/against_percent are the weighted figures that decided it.
    overall: SectionResult
    carried: bool
    majority: Majority
    weighted: bool


def percent_text(value: Fraction | int) -> str:
    """A percentage (0..100 scale) to 2 decimal places, rounded half-up: "65.77%"."""
    if not _is_whole(value) and not isinstance(value, Fraction):
        raise TypeError(f"percent_text takes an exact Fraction, not {value!r}.")
    # Round the magnitude so that -0.005 and 0.005 mirror each other (half away from zero).
    hundredths = math.floor(abs(Fraction(value)) * 100 + _HALF)
    sign = "-" if value < 0 and hundredths else ""
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}%"


def percent_texts(values: Sequence[Fraction], total: Fraction | None = None) -> list[str]:
    """Percentages (0..100 scale, not negative) to 2 places that add up to the total shown.

    `total` is the figure, already to 2 places, the parts must add up to; by default their exact
    sum rounded half-up, as percent_text shows it. Each part is rounded down to the hundredth and
    the hundredths still missing go to the largest remainders, earliest first on a tie. So a
    for/against pair always adds up to 100.00%, and each section's part of a weighted share adds
    up to the weighted share shown.
    """
    if any(v < 0 for v in values):
        raise ValueError("percent_texts takes percentages that are not negative.")
    exact = [Fraction(v) * 100 for v in values]
    hundredths = [math.floor(v) for v in exact]
    target = math.floor(sum(exact, Fraction(0)) + _HALF) if total is None else total * 100
    missing = int(target) - sum(hundredths)
    if target != int(target) or not 0 <= missing <= len(exact):
        raise ValueError(f"Parts adding up to {sum(values, Fraction(0))} cannot show as {total}.")
    by_remainder = sorted(range(len(exact)), key=lambda i: hundredths[i] - exact[i])
    for i in by_remainder[:missing]:
        hundredths[i] += 1
    return [f"{h // 100}.{h % 100:02d}%" for h in hundredths]


def _percent(part: int, cast: int) -> Fraction | None:
    return Fraction(100 * part, cast) if cast else None


def _totals(section: SectionKey, weight: int | None, entries: Sequence[Entry]) -> SectionResult:
    for_ = sum(e.for_ for e in entries)
    against = sum(e.against for e in entries)
    cast = for_ + against
    return SectionResult(
        section=section,
        weight=weight,
        votes_present=sum(e.votes_present for e in entries),
        for_=for_,
        against=against,
        abstain=sum(e.abstain for e in entries),
        not_voting=sum(e.not_voting for e in entries),
        cast=cast,
        for_percent=_percent(for_, cast),
        against_percent=_percent(against, cast),
    )


def _checked_weights(
    section_weights: Mapping[SectionKey, int | None],
) -> dict[SectionKey, int] | None:
    """The weights if every section has one, None if no section has one; a mix is refused."""
    given = [w for w in section_weights.values() if w is not None]
    if not given:
        return None
    if len(given) != len(section_weights):
        raise ValueError("Either every section has a weight or none does.")
    for key, weight in section_weights.items():
        if not _is_whole(weight) or weight <= 0:
            raise ValueError(
                f"The weight of section {key!r} must be a positive whole number, not {weight!r}."
            )
    return dict(section_weights)  # type: ignore[arg-type]  # None ruled out above


@dataclass(frozen=True)
class WeightedPart:
    """One section's part of a weighted result, exact: the parts add up to the weighted share."""

    # The share of the result this section counts for, 0..1: its weight over the weights counted.
    counts_for: Fraction
    # Percentage points (0..100) this section gives the weighted for and against shares.
    for_points: Fraction
    against_points: Fraction


def weighted_parts(sections: Sequence[tuple[int, int, int]]) -> list[WeightedPart] | None:
    """Each (weight, for, against) section's part of the weighted result; None if nothing cast."""
    # A section with no votes cast has no for share to weigh. Its weight is left out and the
    # other sections' weights renormalise (50/50 with one section silent: the other counts 100%),
    # rather than counting the silent section as 0% for, which would defeat any motion.
    total_weight = sum(weight for weight, for_, against in sections if for_ + against)
    if not total_weight:
        return None
    parts = []
    for weight, for_, against in sections:
        cast = for_ + against
        counts_for = Fraction(weight, total_weight) if cast else Fraction(0)
        parts.append(
            WeightedPart(
                counts_for=counts_for,
                for_points=100 * counts_for * Fraction(for_, cast) if cast else Fraction(0),
                against_points=100 * counts_for * Fraction(against, cast) if cast else Fraction(0),
            )
        )
    return parts


def _weighted_for_share(sections: Sequence[SectionResult]) -> Fraction | None:
    parts = weighted_parts([(s.weight or 0, s.for_, s.against) for s in sections])
    return None if parts is None else sum((p.for_points for p in parts), Fraction(0)) / 100


def tally(
    entries: Iterable[Entry],
    section_weights: Mapping[SectionKey, int | None] | None,
    majority: Majority,
) -> Result:
    """Total a ballot by section and overall, and decide it exactly under `majority`."""
    entries = list(entries)
    seen: set[int] = set()
    for entry in entries:
        if entry.group_id in seen:
            raise ValueError(f"Group {entry.group_id} has more than one entry in this ballot.")
        seen.add(entry.group_id)

    weights: dict[SectionKey, int] | None = None
    if section_weights:
        weights = _checked_weights(section_weights)
        order = list(section_weights)
        unknown = {e.section for e in entries} - set(order)
        if unknown:
            names = ", ".join(sorted(map(repr, unknown)))
            raise ValueError(f"Entries name sections not in the section weights: {names}.")
    else:
        order = sorted({e.section for e in entries}, key=lambda key: (key is None, key))

    by_section: dict[SectionKey, list[Entry]] = {key: [] for key in order}
    for entry in entries:
        by_section[entry.section].append(entry)
    sections = tuple(
        _totals(key, weights[key] if weights else None, by_section[key]) for key in order
    )

    overall = _totals(None, None, entries)
    if weights:
        for_share = _weighted_for_share(sections)
        overall = replace(
            overall,
            for_percent=None if for_share is None else 100 * for_share,
            against_percent=None if for_share is None else 100 * (1 - for_share),
        )
    else:
        for_share = Fraction(overall.for_, overall.cast) if overall.cast else None

    return Result(
        sections=sections,
        overall=overall,
        carried=majority.is_met(for_share),
        majority=majority,
        weighted=weights is not None,
    )
