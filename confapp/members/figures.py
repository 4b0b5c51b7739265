"""The register's count per group at the freeze date, beside the figures the groups declared.

Each group keeps the register's count at `Conference.membership_as_at` in its `register_*`
columns, so the entitlement (`Group.figures`) reads them without counting 21,000 members on
every page. They are refreshed after every import (register.import_members), when the
committee switches the conference to them (`switch`), and when the freeze date changes in the
conference's settings (the flush hook at the end of this module, so no form can forget it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from confapp import audit
from confapp import entitlement as ent
from confapp.extensions import db
from confapp.models import Conference, Group, Member

# The attributes a group's declared figures have a column for: register key -> Group column.
WOMAN, YOUNG = "woman", "young"


class FiguresError(Exception):
    """The conference cannot take its figures from the register; the message says why."""


@dataclass(frozen=True)
class Count:
    """One group's members on the register at the freeze date (None: the register cannot say)."""

    members: int
    women_members: int | None
    young_members: int | None


def counting_on(day: date):
    """Member.counts_on(day) in SQL: joined by then, not left, in good standing."""
    return sa.and_(
        Member.joined_on <= day,
        sa.or_(Member.left_on.is_(None), Member.left_on > day),
        Member.in_good_standing.is_(True),
    )


def _flag(name: str):
    return Member.attributes[name].as_boolean()


def count_at(conference: Conference) -> dict[int, Count] | None:
    """Each group's count at the freeze date; None without a freeze date or any member."""
    day = conference.membership_as_at
    if day is None:
        return None
    # Whether the register records each attribute at all: without it a count of 0 women would
    # read as a fact, so the count is None (unknown) instead.
    total, women_known, young_known = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(_flag(WOMAN)), sa.func.count(_flag(YOUNG))).where(
            Member.conference_id == conference.id
        )
    ).one()
    if not total:
        return None
    rows = db.session.execute(
        sa.select(
            Member.group_id,
            sa.func.count(),
            sa.func.sum(sa.case((_flag(WOMAN).is_(True), 1), else_=0)),
            sa.func.sum(sa.case((_flag(YOUNG).is_(True), 1), else_=0)),
        )
        .where(Member.conference_id == conference.id, counting_on(day))
        .group_by(Member.group_id)
    )
    counted = {group_id: (members, women, young) for group_id, members, women, young in rows}
    group_ids = db.session.scalars(sa.select(Group.id).where(Group.conference_id == conference.id))
    counts = {}
    for group_id in group_ids:
        # A group nobody on the register counts for has 0 members, not an unknown number.
        members, women, young = counted.get(group_id, (0, 0, 0))
        counts[group_id] = Count(
            members=members,
            women_members=int(women or 0) if women_known else None,
            young_members=int(young or 0) if young_known else None,
        )
    return counts


def refresh(conference: Conference) -> None:
    """Store the register's count at the freeze date on each of the conference's groups."""
    counts = count_at(conference)
    groups = db.session.scalars(sa.select(Group).where(Group.conference_id == conference.id))
    for group in groups:
        count = None if counts is None else counts.get(group.id)
        group.register_members = None if count is None else count.members
        group.register_women_members = None if count is None else count.women_members
        group.register_young_members = None if count is None else count.young_members


def switch(conference: Conference, *, to_register: bool, actor=None) -> None:
    """Take the conference's figures from the register (or back to the declared ones); audited."""
    if to_register:
        if conference.membership_as_at is None:
            raise FiguresError(
                "Set the freeze date (membership counted as at) in the conference's settings first."
            )
        if not db.session.scalar(
            sa.select(sa.func.count()).where(Member.conference_id == conference.id)
        ):
            raise FiguresError("The register is empty: import the members first.")
    if conference.figures_from_register == to_register:
        return
    conference.figures_from_register = to_register
    refresh(conference)
    source = "the register" if to_register else "the groups' declared figures"
    audit.record(
        "conference.figures_from_register",
        conference,
        before={"figures_from_register": not to_register},
        after={"figures_from_register": to_register},
        summary=f"figures taken from {source}",
        actor=actor,
    )


@dataclass(frozen=True)
class GroupLine:
    """One group on the figures page: declared, on the register, and what each gives."""

    group: Group
    declared: ent.GroupFigures
    register: ent.GroupFigures | None  # None: the register has no count for the group
    women_known: bool
    young_known: bool
    declared_delegates: int
    register_delegates: int | None

    @property
    def members_difference(self) -> int | None:
        """Register minus declared members."""
        return None if self.register is None else self.register.members - self.declared.members

    @property
    def women_difference(self) -> int | None:
        """Register minus declared women, where the register records women."""
        if self.register is None or not self.women_known:
            return None
        return self.register.women_members - self.declared.women_members

    @property
    def young_difference(self) -> int | None:
        """Register minus declared young members, where the register records them."""
        if self.register is None or not self.young_known:
            return None
        return self.register.young_members - self.declared.young_members

    @property
    def differs(self) -> bool:
        """Whether the register disagrees with the declaration on any figure it records."""
        return any(
            d for d in (self.members_difference, self.women_difference, self.young_difference)
        )


def comparison(conference: Conference) -> list[GroupLine]:
    """Every group of the conference: declared figures beside the register's, by name."""
    groups = db.session.scalars(
        sa.select(Group).where(Group.conference_id == conference.id).order_by(Group.name)
    )
    rule, card_rule = conference.rule, conference.card_rule
    lines = []
    for group in groups:
        declared = ent.GroupFigures(
            members=group.members,
            women_members=group.women_members,
            young_members=group.young_members,
            in_good_standing=group.in_good_standing,
        )
        register = None
        if group.register_members is not None:
            register = ent.GroupFigures(
                members=group.register_members,
                women_members=group.register_women_members or 0,
                young_members=group.register_young_members or 0,
                in_good_standing=group.in_good_standing,
            )
        lines.append(
            GroupLine(
                group=group,
                declared=declared,
                register=register,
                women_known=group.register_women_members is not None,
                young_known=group.register_young_members is not None,
                declared_delegates=ent.entitle(rule, card_rule, declared).total_delegates,
                register_delegates=None
                if register is None
                else ent.entitle(rule, card_rule, register).total_delegates,
            )
        )
    return lines


@sa.event.listens_for(Session, "before_flush")
def _freeze_date_changed(session: Session, flush_context, instances) -> None:
    """A conference whose freeze date changes recounts its groups from the register."""
    # Here rather than in each place that edits a conference: the settings form, the CLI and
    # the demo all change the date, and a stale count would give a group the wrong delegates.
    for obj in list(session.dirty):
        if isinstance(obj, Conference):
            history = sa.inspect(obj).attrs.membership_as_at.history
            if history.has_changes():
                # Queries here do not autoflush: the session is already flushing.
                refresh(obj)
