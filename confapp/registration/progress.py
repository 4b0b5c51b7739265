"""Where a group's registration stands, at a glance: for the secretary's start page.

One state per group (not entitled, not registered, draft, submitted, approved), the places
filled against the entitlement, and what is still missing, in the words the secretary reads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import sqlalchemy as sa

from confapp.extensions import db
from confapp.models import (
    BASE_SEAT,
    Group,
    PassType,
    Status,
    Substitution,
    SubstitutionStatus,
)
from confapp.registration import places
from confapp.text import plural


class Stage(enum.StrEnum):
    """How far a group's registration has got."""

    NOT_ENTITLED = "not entitled"
    NOT_REGISTERED = "not registered"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


@dataclass
class Place:
    """One kind of place: how many the group has and how many are filled."""

    label: str  # "delegate places" (or "place"), "women's seat", "alternates"
    filled: int
    of: int
    seat: str | None = None  # the seat a delegate place is ("base", "women's seat")

    @property
    def line(self) -> str:
        """'2 of 3 delegate places filled'."""
        return f"{self.filled} of {self.of} {self.label} filled"


@dataclass
class Progress:
    """One group's registration as its secretary should see it first."""

    group: Group
    stage: Stage
    places: list[Place]
    drafts: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """The stage in a few words: 'Draft: 2 not submitted'."""
        return {
            Stage.NOT_ENTITLED: "Not entitled to delegates",
            Stage.NOT_REGISTERED: "Not registered",
            Stage.DRAFT: f"Draft: {self.drafts} not submitted",
            Stage.SUBMITTED: "Submitted: waiting for the committee",
            Stage.APPROVED: "Approved",
        }[self.stage]

    @property
    def free_seat(self) -> str | None:
        """The first delegate seat still empty (None when every seat is filled)."""
        return next((p.seat for p in self.places if p.seat and p.filled < p.of), None)

    @property
    def has_free_place(self) -> bool:
        """Whether a delegate place is still empty."""
        return self.free_seat is not None

    @property
    def alternates(self) -> Place | None:
        """The alternates' places, when the rule allows any."""
        return next((p for p in self.places if p.seat is None), None)


def of_group(group: Group) -> Progress:
    """The group's stage, places and what is missing, read from its delegation."""
    if not group.in_good_standing:
        return Progress(
            group,
            Stage.NOT_ENTITLED,
            [],
            missing=["Not in good standing: ask the credentials committee if this is wrong."],
        )
    conference = group.conference
    people = places.delegation(group)
    holding = places.holding_places(group)
    facts = places.delegation_facts(conference.rule, group.members, group.entitlement, holding)
    seats = [
        Place(
            ("delegate place" if count == 1 else "delegate places") if seat == BASE_SEAT else seat,
            min(facts.used.get(seat, 0), count),
            count,
            seat,
        )
        for seat, count in facts.seats.items()
        if count
    ]
    alternates = sum(1 for d in holding if d.pass_type == PassType.ALTERNATE)
    if conference.rule.max_alternates:
        seats.append(Place("alternates", alternates, conference.rule.max_alternates))
    statuses = [d.status for d in people]
    drafts = statuses.count(Status.DRAFT)
    progress = Progress(group, _stage(statuses), seats, drafts)
    progress.missing = _missing(progress, facts.problems, statuses, _pending(group))
    return progress


def _stage(statuses: list[str]) -> Stage:
    if Status.DRAFT in statuses:
        return Stage.DRAFT
    if Status.SUBMITTED in statuses:
        return Stage.SUBMITTED
    if Status.APPROVED in statuses:
        return Stage.APPROVED
    return Stage.NOT_REGISTERED


def _missing(
    progress: Progress, problems: list[str], statuses: list[str], pending: int
) -> list[str]:
    """What still stands between the group and a full, approved delegation."""
    missing = [p.line for p in progress.places if p.seat and p.filled < p.of]
    if progress.drafts:
        missing.append(f"{plural(progress.drafts, 'registration')} not submitted")
    missing.extend(problems)
    rejected = statuses.count(Status.REJECTED)
    if rejected and progress.has_free_place:  # once the place is filled again, old news
        missing.append(f"{rejected} rejected by the committee: see why, correct, send again")
    if pending:
        missing.append(f"{plural(pending, 'substitution')} waiting for the committee")
    return missing


def _pending(group: Group) -> int:
    return db.session.execute(
        sa.select(sa.func.count(Substitution.id)).where(
            Substitution.group_id == group.id,
            Substitution.status == SubstitutionStatus.PENDING,
        )
    ).scalar_one()
