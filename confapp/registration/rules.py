"""The registration rules, pure: seats within the entitlement, reserved seats, alternates,
one place per person, the equality rule.

Each rule is decided here once (`Places`, `delegation_problems`); a secretary's form, the
review and the delegates import all ask it, and each words the answer for its reader.
"""

from __future__ import annotations

import enum
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


class Refusal(enum.Enum):
    """Why a place is refused: the rule says which, each reader is told in its own words."""

    NO_SEAT = "no seat"  # the entitlement has none of that seat
    SEAT_FULL = "seat full"  # all of that seat are taken
    NOT_QUALIFIED = "not qualified"  # a reserved seat the person may not fill
    NO_ALTERNATES = "no alternates"  # the rule allows none
    ALTERNATES_FULL = "alternates full"  # the group has all the rule allows


def qualifies(rule: ent.EntitlementRule, seat: str | None, person) -> bool:
    """Whether `person` (anything with the equality facts) may fill `seat`."""
    seat_rule = next((s for s in rule.reserved if s.label == seat), None)
    return seat_rule is None or QUALIFIES[seat_rule.filled_by](person)


def qualification_problem(rule: ent.EntitlementRule, seat: str | None, person) -> str | None:
    """'The women's seat can only be filled by a woman.' if `person` may not fill `seat`."""
    if qualifies(rule, seat, person):
        return None
    seat_rule = next(s for s in rule.reserved if s.label == seat)
    return f"The {seat_rule.label} can only be filled by {FILLED_BY_WORDS[seat_rule.filled_by]}."


@dataclass
class Places:
    """A group's places as they fill: the seats its entitlement gives, and who takes them.

    The one account of the place rules, for a secretary's registration (one person beside
    those registered) and the delegates import (a file's rows one after another).
    """

    rule: ent.EntitlementRule
    available: dict[str, int]  # seats_available
    delegates: list[Person]  # those holding a seat, in the order they took it
    alternates: int = 0  # alternates holding a place

    @classmethod
    def of(
        cls,
        rule: ent.EntitlementRule,
        entitled: ent.Entitlement,
        delegates: list[Person],
        alternates: int = 0,
    ) -> Places:
        """The places of a group entitled to `entitled`, with these already taken."""
        return cls(rule, seats_available(entitled), list(delegates), alternates)

    def taken(self, seat: str | None) -> int:
        """How many hold this seat."""
        return sum(1 for p in self.delegates if p.seat == seat)

    def refusal(self, person: Person) -> Refusal | None:
        """Why `person` cannot take their seat now, or None."""
        if not self.available.get(person.seat):
            return Refusal.NO_SEAT
        if self.taken(person.seat) >= self.available[person.seat]:
            return Refusal.SEAT_FULL
        if not qualifies(self.rule, person.seat, person):
            return Refusal.NOT_QUALIFIED
        return None

    def alternate_refusal(self) -> Refusal | None:
        """Why one more alternate cannot join, or None."""
        if self.alternates < self.rule.max_alternates:
            return None
        return Refusal.NO_ALTERNATES if self.rule.max_alternates == 0 else Refusal.ALTERNATES_FULL

    def take(self, person: Person) -> None:
        """`person` takes their seat."""
        self.delegates.append(person)

    def take_alternate(self) -> None:
        """One more alternate takes a place."""
        self.alternates += 1

    def problem(self, person: Person) -> str | None:
        """Why `person` cannot take their seat, as their group's secretary is told; or None."""
        refusal = self.refusal(person)
        if refusal is Refusal.NO_SEAT:
            if person.seat == BASE_SEAT:
                return "Your group is not entitled to any delegates."
            return f"Your group has no “{person.seat}”: its entitlement does not include that seat."
        if refusal is Refusal.SEAT_FULL:
            if person.seat == BASE_SEAT:
                used = self.taken(BASE_SEAT)
                return (
                    f"Your group is entitled to {_n(self.available[BASE_SEAT], 'delegate')}, "
                    f"and {_n(used, 'is', 'are')} already registered."
                )
            return f"The {person.seat} is already filled."
        if refusal is Refusal.NOT_QUALIFIED:
            return qualification_problem(self.rule, person.seat, person)
        return None

    def alternate_problem(self) -> str | None:
        """Why one more alternate is refused, as the secretary is told; or None."""
        refusal = self.alternate_refusal()
        if refusal is Refusal.NO_ALTERNATES:
            return "This conference's rule allows no alternates."
        if refusal is Refusal.ALTERNATES_FULL:
            allowed = _n(self.rule.max_alternates, "alternate")
            return f"The rule allows {allowed}; the group has them all."
        return None


def one_place_problem(email: str, seat_label: str, where: str) -> str:
    """What is said when an address already holds a voting place in the conference."""
    return (
        f"{email} is already registered as {seat_label} for {where}: "
        "one person can hold only one place at the conference"
    )


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


def entitlement_sentence(
    members: int, entitled: ent.Entitlement, *, subject: str = "Your group"
) -> str:
    """'Your group has 1,240 members: 3 delegates, one extra women's seat, card vote 1,240.'

    `subject` names the group for those who are not its secretary (the committee's queue).
    """
    parts = [_n(entitled.base_delegates, "delegate")]
    for grant in entitled.reserved:
        count = "one" if grant.seats == 1 else str(grant.seats)
        parts.append(f"{count} extra {grant.seat.label}{'' if grant.seats == 1 else 's'}")
    parts.append(f"card vote {entitled.card_vote:,}")
    return f"{subject} has {_n(members, 'member')}: {', '.join(parts)}."


def _n(count: int, singular: str, plural: str | None = None) -> str:
    if singular == "is":
        return "1 is" if count == 1 else f"{count:,} are"
    word = singular if count == 1 else (plural or singular + "s")
    return f"{count:,} {word}"
