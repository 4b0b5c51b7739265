"""The registration rules, pure: seats within the entitlement, reserved seats, the equality rule."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from confapp import entitlement as ent

BASE_SEAT = "base"
QUALIFIES = {  # who may fill a reserved seat, read from the person's equality facts
    "woman": lambda p: bool(p.is_woman),
    "young": lambda p: bool(p.is_young),
    "low_paid": lambda p: bool(p.is_low_paid),
    "anyone": lambda p: True,
}
FILLED_BY_WORDS = {"woman": "a woman", "young": "a young member", "low_paid": "a low-paid member"}


@dataclass(frozen=True)
class Person:
    """What the rules read of one registration."""

    name: str
    seat: str | None  # "base", a reserved seat's label; None for alternates and passes
    is_woman: bool | None = None
    is_young: bool | None = None
    is_low_paid: bool | None = None


def seats_available(entitled: ent.Entitlement) -> dict[str, int]:
    """How many of each seat the group has: 'base' and each reserved seat by label."""
    seats = {BASE_SEAT: entitled.base_delegates}
    for grant in entitled.reserved:
        seats[grant.seat.label] = seats.get(grant.seat.label, 0) + grant.seats
    return seats


def seat_problem(
    rule: ent.EntitlementRule, entitled: ent.Entitlement, taken: list[Person], person: Person
) -> str | None:
    """Why `person` cannot take their seat beside those already `taken`, or None."""
    available = seats_available(entitled)
    if person.seat not in available:
        if person.seat == BASE_SEAT:
            return "Your group is not entitled to any delegates."
        return f"Your group has no “{person.seat}”: its entitlement does not include that seat."
    used = sum(1 for p in taken if p.seat == person.seat)
    if used >= available[person.seat]:
        if person.seat == BASE_SEAT:
            return (
                f"Your group is entitled to {_n(available[BASE_SEAT], 'delegate')}, "
                f"and {_n(used, 'is', 'are')} already registered."
            )
        return f"The {person.seat} is already filled."
    seat_rule = next((s for s in rule.reserved if s.label == person.seat), None)
    if seat_rule is not None and not QUALIFIES[seat_rule.filled_by](person):
        return (
            f"The {seat_rule.label} can only be filled by {FILLED_BY_WORDS[seat_rule.filled_by]}."
        )
    return None


def alternates_problem(rule: ent.EntitlementRule, alternates: int) -> str | None:
    """Why one more alternate is refused, or None."""
    if alternates >= rule.max_alternates:
        if rule.max_alternates == 0:
            return "This conference's rule allows no alternates."
        return f"The rule allows {_n(rule.max_alternates, 'alternate')}; the group has them all."
    return None


def delegation_problems(rule: ent.EntitlementRule, delegates: list[Person]) -> list[str]:
    """The equality rule's objections to a delegation as a whole, checked at submission."""
    problems = []
    equality = rule.equality
    base = [p for p in delegates if p.seat == BASE_SEAT]
    if equality.women_every_second and len(base) >= 2:
        needed = len(base) // 2
        women = sum(1 for p in base if p.is_woman)
        if women < needed:
            problems.append(
                f"At least every second base delegate must be a woman: "
                f"{len(base)} base delegates need at least {_n(needed, 'woman', 'women')}, "
                f"and the delegation has {women}."
            )
    low_paid_needed = equality.low_paid_from and len(base) >= equality.low_paid_from
    if low_paid_needed and not any(p.is_low_paid for p in delegates):
        problems.append(
            f"A delegation of {equality.low_paid_from} or more base delegates must include "
            "a low-paid member."
        )
    young_needed = equality.young_from and len(base) >= equality.young_from
    if young_needed and not any(p.is_young for p in delegates):
        problems.append(
            f"A delegation of {equality.young_from} or more base delegates must include "
            "a young member."
        )
    return problems


@dataclass(frozen=True)
class DelegationFacts:
    """A delegation against its entitlement, as the secretary and the review queue see it."""

    sentence: str  # the entitlement in words
    seats: dict[str, int]  # seats the group has, by seat
    used: Counter  # people sitting in each seat
    problems: list[str]  # the equality rule's objections


def delegation_facts(
    rule: ent.EntitlementRule, members: int, entitled: ent.Entitlement, delegates: list[Person]
) -> DelegationFacts:
    """The facts of a delegation of `delegates` (delegates only, not alternates or visitors)."""
    return DelegationFacts(
        sentence=entitlement_sentence(members, entitled),
        seats=seats_available(entitled),
        used=seat_counts(delegates),
        problems=delegation_problems(rule, delegates),
    )


def facts_asked(rule: ent.EntitlementRule) -> set[str]:
    """Which equality facts the rule needs: 'woman', 'young', 'low_paid'."""
    asked = {s.filled_by for s in rule.reserved if s.filled_by != "anyone"}
    if rule.equality.women_every_second:
        asked.add("woman")
    if rule.equality.young_from:
        asked.add("young")
    if rule.equality.low_paid_from:
        asked.add("low_paid")
    return asked


def seat_counts(people: list[Person]) -> Counter:
    """How many people sit in each seat."""
    return Counter(p.seat for p in people if p.seat)


def entitlement_sentence(members: int, entitled: ent.Entitlement) -> str:
    """'Your group has 1,240 members: 3 delegates, one extra women's seat, card vote 1,240.'"""
    parts = [_n(entitled.base_delegates, "delegate")]
    for grant in entitled.reserved:
        count = "one" if grant.seats == 1 else str(grant.seats)
        parts.append(f"{count} extra {grant.seat.label}{'' if grant.seats == 1 else 's'}")
    parts.append(f"card vote {entitled.card_vote:,}")
    return f"Your group has {_n(members, 'member')}: {', '.join(parts)}."


def _n(count: int, singular: str, plural: str | None = None) -> str:
    if singular == "is":
        return "1 is" if count == 1 else f"{count:,} are"
    word = singular if count == 1 else (plural or singular + "s")
    return f"{count:,} {word}"
