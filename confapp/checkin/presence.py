"""Who is inside now: per door, per group and section, votes present and quorum.

Every figure is read from the database on each request, so every worker and every host
shows the same numbers; nothing is kept in the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from confapp import entitlement as ent
from confapp import voters
from confapp.extensions import db
from confapp.models import (
    Conference,
    Delegate,
    Door,
    Group,
    PassType,
    Presence,
    Section,
    utcnow,
)
from confapp.text import utc_iso


@dataclass
class GroupPresence:
    """One group's delegation in the hall."""

    group_id: int
    name: str
    section: str
    delegates_approved: int = 0
    delegates_present: int = 0
    card_vote: int = 0

    @property
    def votes_present(self) -> int:
        """The group's card vote counts when at least one of its voting delegates is in."""
        return self.card_vote if self.delegates_present else 0


@dataclass
class SectionPresence:
    """A section's (or the whole conference's) totals."""

    name: str
    groups: int = 0
    groups_present: int = 0
    delegates_approved: int = 0
    delegates_present: int = 0
    card_votes: int = 0
    votes_present: int = 0

    def add(self, group: GroupPresence) -> None:
        """Count one group in."""
        self.groups += 1
        self.groups_present += bool(group.delegates_present)
        self.delegates_approved += group.delegates_approved
        self.delegates_present += group.delegates_present
        self.card_votes += group.card_vote
        self.votes_present += group.votes_present


@dataclass
class Summary:
    """The counters at the top of the steward's page, the presence page and the projector."""

    inside_now: int
    by_door: list[tuple[str, int]]
    delegates_present: int
    votes_present: int
    quorum: voters.Quorum
    at: datetime
    groups: list[GroupPresence] = field(default_factory=list)
    sections: list[SectionPresence] = field(default_factory=list)
    overall: SectionPresence | None = None

    @property
    def is_quorate(self) -> bool:
        """Whether enough voting delegates are in the hall."""
        return self.delegates_present >= self.quorum.figure

    def as_json(self) -> dict:
        """The counters as the pages poll them."""
        return {
            "inside_now": self.inside_now,
            "by_door": [{"door": name, "inside": n} for name, n in self.by_door],
            "delegates_present": self.delegates_present,
            "votes_present": self.votes_present,
            "quorum": self.quorum.figure,
            "is_quorate": self.is_quorate,
            "quorum_rule": self.quorum.rule_text,
            "at": utc_iso(self.at),
        }


def summary(conference: Conference, *, with_groups: bool = False) -> Summary:
    """Presence now: inside per door, voting delegates and card votes present, quorum."""
    by_door = [
        (name or "(no door)", count)
        for name, count in db.session.execute(
            db.select(Door.name, sa.func.count())
            .select_from(Presence)
            .outerjoin(Door, Door.id == Presence.door_id)
            .where(Presence.conference_id == conference.id, Presence.is_inside)
            .group_by(Door.name)
            .order_by(Door.name)
        )
    ]
    groups = group_presence(conference)
    overall = SectionPresence("All sections")
    sections: dict[str, SectionPresence] = {}
    for group in groups:
        overall.add(group)
        sections.setdefault(group.section, SectionPresence(group.section)).add(group)
    return Summary(
        inside_now=sum(count for _, count in by_door),
        by_door=by_door,
        delegates_present=overall.delegates_present,
        votes_present=overall.votes_present,
        quorum=voters.quorum(conference),
        at=utcnow(),
        groups=groups if with_groups else [],
        sections=list(sections.values()) if with_groups else [],
        overall=overall,
    )


def group_presence(conference: Conference) -> list[GroupPresence]:
    """Each group with approved voting delegates: how many are in and its card vote."""
    inside = sa.exists().where(Presence.delegate_id == Delegate.id, Presence.is_inside.is_(True))
    counts = {
        group_id: (approved, present)
        for group_id, approved, present in db.session.execute(
            db.select(
                Delegate.group_id,
                sa.func.count().filter(Delegate.pass_type == PassType.DELEGATE.value),
                sa.func.count().filter(inside),
            )
            .where(Delegate.conference_id == conference.id, voters.VOTES)
            .group_by(Delegate.group_id)
        )
    }
    card_rule = conference.card_rule  # parsed once, not per group
    groups = db.session.execute(
        # Only the columns the card vote needs: a vote opens on 2,000 delegations at once.
        db.select(Group.id, Group.name, Group.members, Group.in_good_standing, Section.name)
        .join(Section, Section.id == Group.section_id)
        .where(Group.id.in_(list(counts)))
        .order_by(Section.position, Section.name, Group.name)
    )
    result = []
    for group_id, name, members, in_good_standing, section_name in groups:
        approved, present = counts[group_id]
        result.append(
            GroupPresence(
                group_id=group_id,
                name=name,
                section=section_name,
                delegates_approved=approved,
                delegates_present=present,
                card_vote=ent.group_card_vote(card_rule, members, in_good_standing),
            )
        )
    return result
