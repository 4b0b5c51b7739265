"""Who holds which place: the definition once in SQL, read for one group or for many.

A registration holds one of its group's places when it is an active delegate or alternate
not proposed in an open substitution (`holds_place`); one person may hold one voting place in
the conference (`holds_voting_place`, also a database constraint). The secretary's page, the
review queue, a registration's checks and the delegates import all read places through here,
and hand them to the rules (rules.Places, rules.delegation_problems) through `places_of` and
`delegation_facts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from confapp import entitlement as ent
from confapp.extensions import db
from confapp.models import (
    ACTIVE_STATUSES,
    VOTING_PASSES,
    Delegate,
    Group,
    PassType,
    Substitution,
    SubstitutionStatus,
)
from confapp.registration import rules


def pending_incoming() -> sa.Select:
    """SQL: the ids of the registrations proposed in an open substitution."""
    return sa.select(Substitution.incoming_id).where(
        Substitution.status == SubstitutionStatus.PENDING
    )


def holds_place():
    """SQL: the registration holds one of its group's places (delegate or alternate).

    Active (draft, submitted, approved), and not proposed in an open substitution: the
    incoming person takes the outgoing one's place only when the committee approves.
    """
    return sa.and_(
        Delegate.status.in_([s.value for s in ACTIVE_STATUSES]),
        Delegate.pass_type.in_([p.value for p in VOTING_PASSES]),
        Delegate.id.not_in(pending_incoming()),
    )


def holds_voting_place():
    """SQL: the registration is an active delegate or alternate (one person, one such place)."""
    return sa.and_(
        Delegate.status.in_([s.value for s in ACTIVE_STATUSES]),
        Delegate.pass_type.in_([p.value for p in VOTING_PASSES]),
    )


CHUNK = 500  # ids or addresses in one IN list: well inside every database's parameter limit


def chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    """`values` in lists of at most `size`, for IN lists."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Passes in the order lists show them: delegates, alternates, then the others.
PASS_ORDER = sa.case(
    {p.value: i for i, p in enumerate(PassType)}, value=Delegate.pass_type, else_=99
)


def delegation(group: Group) -> list[Delegate]:
    """Everyone the group has registered, in the order a secretary reads them."""
    return list(
        db.session.execute(
            sa.select(Delegate)
            .where(Delegate.group_id == group.id)
            .order_by(PASS_ORDER, Delegate.alternate_rank, Delegate.created_at, Delegate.id)
        ).scalars()
    )


def holding_places(group: Group) -> list[Delegate]:
    """Active delegates and alternates, not counting people proposed in open substitutions."""
    query = sa.select(Delegate).where(Delegate.group_id == group.id, holds_place())
    return list(db.session.execute(query).scalars())


def holding_places_of(group_ids: list[int]) -> dict[int, tuple[sa.Row, ...]]:
    """group id -> those holding its places (as holding_places counts), in a query per 500.

    Plain rows (id, group_id, pass_type, seat, name and the equality facts), in id order:
    what the place rules read, for many groups at once.
    """
    holding: dict[int, list[sa.Row]] = {group_id: [] for group_id in group_ids}
    for chunk in chunks(group_ids):
        for holder in db.session.execute(
            sa.select(
                Delegate.id,
                Delegate.group_id,
                Delegate.pass_type,
                Delegate.seat,
                Delegate.name,
                Delegate.is_woman,
                Delegate.is_young,
                Delegate.is_low_paid,
            )
            .where(Delegate.group_id.in_(chunk), holds_place())
            .order_by(Delegate.id)
        ):
            holding[holder.group_id].append(holder)
    return {group_id: tuple(held) for group_id, held in holding.items()}


def highest_ranks(group_ids: list[int]) -> dict[int, int]:
    """group id -> the highest rank of its active alternates (groups with none left out)."""
    ranks: dict[int, int] = {}
    for chunk in chunks(group_ids):
        for group_id, rank in db.session.execute(
            sa.select(Delegate.group_id, sa.func.max(Delegate.alternate_rank))
            .where(
                Delegate.group_id.in_(chunk),
                Delegate.pass_type == PassType.ALTERNATE,
                Delegate.status.in_([s.value for s in ACTIVE_STATUSES]),
            )
            .group_by(Delegate.group_id)
        ):
            if rank is not None:
                ranks[group_id] = rank
    return ranks


def places_held_by(
    conference_id: int, emails: list[str], exclude_id: int | None = None
) -> list[Delegate]:
    """The voting places held in the conference under these addresses, groups loaded."""
    held = []
    for chunk in chunks(emails):
        query = (
            sa.select(Delegate)
            .where(
                Delegate.conference_id == conference_id,
                Delegate.email.in_(chunk),
                holds_voting_place(),
            )
            .options(sa.orm.joinedload(Delegate.group))
            .order_by(Delegate.id)
        )
        if exclude_id is not None:
            query = query.where(Delegate.id != exclude_id)
        held.extend(db.session.execute(query).scalars())
    return held


def as_person(delegate) -> rules.Person:
    """What the rules read of a registration (a Delegate, or a row of holding_places_of)."""
    return rules.Person(
        name=delegate.name,
        seat=delegate.seat if delegate.pass_type == PassType.DELEGATE else None,
        is_woman=delegate.is_woman,
        is_young=delegate.is_young,
        is_low_paid=delegate.is_low_paid,
    )


def delegation_facts(
    rule: ent.EntitlementRule, members: int, entitled: ent.Entitlement, holding: list[Delegate]
) -> rules.DelegationFacts:
    """The facts of a delegation, from the registrations holding its places (holding_places)."""
    delegates = [as_person(d) for d in holding if d.pass_type == PassType.DELEGATE]
    return rules.delegation_facts(rule, members, entitled, delegates)


def places_of(
    rule: ent.EntitlementRule, entitled: ent.Entitlement, holding: Iterable
) -> rules.Places:
    """A group's places as the registrations `holding` them have filled them."""
    delegates = [as_person(d) for d in holding if d.pass_type == PassType.DELEGATE]
    alternates = sum(1 for d in holding if d.pass_type == PassType.ALTERNATE)
    return rules.Places.of(rule, entitled, delegates, alternates)


def equality_problems(group: Group) -> list[str]:
    """What the equality rule says of the group's delegation as it stands."""
    people = [as_person(d) for d in holding_places(group) if d.pass_type == PassType.DELEGATE]
    return rules.delegation_problems(group.conference.rule, people)
