"""Who votes, and the quorum counted from them: one definition for every page and count.

A voter is an approved delegate, or an approved alternate seated in place of an absent
delegate (an alternate not seated votes nothing). The rule is written once, in `_rule`, and
read two ways: `VOTES` is its SQL condition (presence, the roll of a card vote, split
shares), `votes(person)` its Python twin for one person in hand (a card scanned on the
floor). tests/test_voters.py holds the two to agree on every kind of person.

The quorum is counted from approved delegates only: an alternate seated for an absent
delegate takes that delegate's place, not a place more.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from confapp.extensions import db
from confapp.models import Conference, Delegate, PassType, Status
from confapp.text import plural


def _rule(person, both, either, is_seated):
    """Who votes, in terms of `both` (and), `either` (or) and `is_seated`, whatever they are."""
    return both(
        person.status == Status.APPROVED,
        either(
            person.pass_type == PassType.DELEGATE,
            both(person.pass_type == PassType.ALTERNATE, is_seated(person)),
        ),
    )


VOTES = _rule(Delegate, sa.and_, sa.or_, lambda d: d.seated_for_id.is_not(None))
"""The SQL condition on Delegate: this person votes when inside."""


def votes(person) -> bool:
    """Whether this person votes when inside (the Python twin of VOTES)."""
    return bool(_rule(person, operator.and_, operator.or_, lambda d: d.seated_for_id is not None))


# The quorum's base: the conference's approved delegates (not alternates, seated or not).
QUORUM_BASE = sa.and_(Delegate.status == Status.APPROVED, Delegate.pass_type == PassType.DELEGATE)


@dataclass(frozen=True)
class Quorum:
    """floor(approved voting delegates × percent / 100) + 1."""

    approved_voting_delegates: int
    percent: int

    @property
    def figure(self) -> int:
        """The quorum: exact integer arithmetic, no rounded percentages."""
        return self.approved_voting_delegates * self.percent // 100 + 1

    @property
    def rule_text(self) -> str:
        """How the figure is reached, in words and numbers."""
        approved = self.approved_voting_delegates
        share = Decimal(approved * self.percent) / 100  # exact: at most two decimals
        return (
            f"{self.percent}% of {plural(approved, 'approved voting delegate')} "
            f"is {share:,}; rounded down, plus one: {self.figure:,}"
        )


def quorum(conference: Conference) -> Quorum:
    """The conference's quorum now, from its approved delegates."""
    approved = db.session.execute(
        db.select(sa.func.count()).where(Delegate.conference_id == conference.id, QUORUM_BASE)
    ).scalar_one()
    return Quorum(approved, conference.quorum_percent)
