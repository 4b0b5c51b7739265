"""What a badge shows, gathered for a print run in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa

from confapp import entitlement as ent
from confapp.credentials import codes
from confapp.extensions import db
from confapp.models import BadgeLayout, Conference, Credential, Delegate, Group, PassType

# Colour bands by pass type: distinct at a glance, and each also printed as a word.
PASS_COLOURS = {
    PassType.DELEGATE: "#c8102e",  # red
    PassType.ALTERNATE: "#f2a900",  # amber
    PassType.VISITOR: "#0072ce",  # blue
    PassType.OBSERVER: "#6d2077",  # purple
    PassType.PRESS: "#222222",  # black
    PassType.STAFF: "#00843d",  # green
}
LAYOUTS = tuple(layout.value for layout in BadgeLayout)


@dataclass(frozen=True)
class BadgeData:
    """Everything printed on one badge."""

    credential_id: int
    code: str
    name: str
    group: str
    section: str
    pass_type: str
    colour: str
    conference: str
    starts_on: date
    ends_on: date
    card_vote: int | None  # for voting delegates; None on other passes
    group_id: int = 0
    delegate_id: int = 0
    # On a card-vote card: the conference's card mode ('block' or 'split'), and how many voting
    # delegates the delegation has, which the card says it is the one card of (block mode).
    card_mode: str = ""
    delegates: int = 0

    @property
    def code_display(self) -> str:
        """The code in groups of four, printed under the QR for reading out."""
        return codes.display(self.code)

    @property
    def pass_label(self) -> str:
        """The pass type as printed in the colour band."""
        return self.pass_type.upper()


def live_credentials_query(conference: Conference) -> sa.Select:
    """Live credentials of the conference with their people, groups and sections loaded."""
    return (
        db.select(Credential)
        .join(Credential.delegate)
        .join(Delegate.group)
        .where(Credential.conference_id == conference.id, Credential.revoked_at.is_(None))
        .options(
            sa.orm.contains_eager(Credential.delegate)
            .contains_eager(Delegate.group)
            .joinedload(Group.section)
        )
        .order_by(Group.name, Delegate.pass_type, Delegate.alternate_rank, Delegate.name)
    )


def badges_for(conference: Conference, query: sa.Select | None = None) -> list[BadgeData]:
    """The badges of the credentials `query` selects (default: every live credential)."""
    rule, card_rule = conference.rule, conference.card_rule
    cards: dict[int, int] = {}
    badges = []
    query = query if query is not None else live_credentials_query(conference)
    for credential in db.session.execute(query).scalars():
        person = credential.delegate
        group = person.group
        if group.id not in cards:
            cards[group.id] = ent.entitle(rule, card_rule, group.figures).card_vote
        badges.append(
            BadgeData(
                credential_id=credential.id,
                code=credential.code,
                name=person.name,
                group=group.name,
                section=group.section.name,
                pass_type=person.pass_type,
                colour=PASS_COLOURS[PassType(person.pass_type)],
                conference=conference.name,
                starts_on=conference.starts_on,
                ends_on=conference.ends_on,
                card_vote=cards[group.id] if person.pass_type == PassType.DELEGATE else None,
                group_id=group.id,
                delegate_id=person.id,
            )
        )
    return badges


def voting_query(conference: Conference, group_ids: list[int]) -> sa.Select:
    """The live credentials of the voting delegates of these groups: who may hold their cards."""
    return live_credentials_query(conference).where(
        Delegate.group_id.in_(group_ids), Delegate.pass_type == PassType.DELEGATE
    )


def cards_for(mode: str, chosen: list[BadgeData], voting: list[BadgeData]) -> list[BadgeData]:
    """The card-vote cards for the delegations of the `chosen` badges.

    `voting` holds every voting delegate of those delegations. Block mode: one card per
    delegation, for its first delegate registered, since a delegation casts its whole vote
    once and a second card showing the same vote is one a teller could count twice; the
    same card (and code) whichever badges were chosen, so a reprint replaces, never adds.
    Split mode: a card for each chosen voting delegate, who votes a share of the delegation's.
    """
    size: dict[int, int] = {}
    order: dict[int, int] = {}  # the delegations in print order (by group), as the badges are
    for position, badge in enumerate(voting):
        size[badge.group_id] = size.get(badge.group_id, 0) + 1
        order.setdefault(badge.group_id, position)
    groups = {badge.group_id for badge in chosen if badge.card_vote is not None}
    if mode == "block":
        holders: dict[int, BadgeData] = {}
        for badge in voting:
            if badge.group_id in groups and (
                badge.group_id not in holders
                or badge.delegate_id < holders[badge.group_id].delegate_id
            ):
                holders[badge.group_id] = badge
        cards = sorted(holders.values(), key=lambda b: order[b.group_id])
    else:
        cards = [badge for badge in chosen if badge.card_vote is not None]
    return [replace(b, card_mode=mode, delegates=size.get(b.group_id, 1)) for b in cards]
