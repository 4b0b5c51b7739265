"""The committee and the registrations: the review queue, the delegate list, the import.

The decisions themselves (approve, reject, substitute, seat an alternate) and the registering
of an imported file's people are registration's use cases (confapp/registration/), so that
the rules they keep are the ones a secretary's registration keeps. The routes are in
admin/review.py (the queue) and admin/views.py (the list, its export and the import).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from confapp import entitlement as ent
from confapp.admin import delegate_csv
from confapp.csv_import import Problem
from confapp.extensions import db
from confapp.models import (
    Conference,
    Delegate,
    Group,
    PassType,
    Section,
    Status,
    Substitution,
    SubstitutionStatus,
    User,
)
from confapp.registration import bulk, bulk_register, places, rules

# ---- the review queue ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewCard:
    """One group with registrations or substitutions waiting, with all a decision needs."""

    group: Group
    people: list[Delegate]  # everyone the group has registered, in the order the card lists
    facts: rules.DelegationFacts  # its entitlement, seats taken and the equality rule's say
    sentence: str  # its entitlement, told of the group by name (the committee is not its secretary)
    waiting: int  # registrations submitted and not proposed in a substitution
    substitutions: list[Substitution]


@dataclass(frozen=True)
class ReviewQueue:
    """The queue: a card a group, the equality facts the rule asks, who is a proposed substitute."""

    cards: list[ReviewCard]
    facts_asked: set[str]
    pending_incoming: set[int]  # registrations proposed in an open substitution


def review_queue(conference: Conference) -> ReviewQueue:
    """Groups with registrations or substitutions waiting, in name order; three queries."""
    waiting = _submitted(conference)
    substitutions = _pending_substitutions(conference)
    pending_incoming = {s.incoming_id for s in substitutions}
    groups = {d.group for d in waiting} | {s.group for s in substitutions}
    everyone = _everyone_in(groups)
    # Parsed once: the rules are JSON columns, and entitle() would otherwise reparse per group.
    rule, card_rule = conference.rule, conference.card_rule
    cards = []
    for group in sorted(groups, key=_in_queue_order):
        people = everyone[group.id]
        holding = [d for d in people if d.is_active and d.id not in pending_incoming]
        entitled = ent.entitle(rule, card_rule, group.figures)
        cards.append(
            ReviewCard(
                group=group,
                people=people,
                facts=places.delegation_facts(rule, group.members, entitled, holding),
                sentence=rules.entitlement_sentence(group.members, entitled, subject=group.name),
                waiting=sum(
                    1
                    for d in people
                    if d.status == Status.SUBMITTED and d.id not in pending_incoming
                ),
                substitutions=[s for s in substitutions if s.group_id == group.id],
            )
        )
    return ReviewQueue(cards, rules.facts_asked(rule), pending_incoming)


def _in_queue_order(group: Group) -> tuple[str, int]:
    return group.name.lower(), group.id


def queue_anchor(group: Group) -> int | None:
    """The card to return to after a decision on `group`: its own while it still has something
    waiting, else the next group's in the queue (or the last one's); None when nothing waits."""
    conference_id = group.conference_id
    waiting = db.session.execute(
        db.select(Group.id, Group.name).where(
            Group.conference_id == conference_id,
            db.or_(
                Group.id.in_(
                    db.select(Delegate.group_id).where(
                        Delegate.conference_id == conference_id,
                        Delegate.status == Status.SUBMITTED,
                    )
                ),
                Group.id.in_(
                    db.select(Substitution.group_id).where(
                        Substitution.conference_id == conference_id,
                        Substitution.status == SubstitutionStatus.PENDING,
                    )
                ),
            ),
        )
    ).all()
    order = sorted(waiting, key=_in_queue_order)
    here = _in_queue_order(group)
    after = [row.id for row in order if _in_queue_order(row) >= here]
    return after[0] if after else (order[-1].id if order else None)


def _submitted(conference: Conference) -> list[Delegate]:
    return list(
        db.session.execute(
            db.select(Delegate)
            .where(Delegate.conference_id == conference.id, Delegate.status == Status.SUBMITTED)
            .options(db.joinedload(Delegate.group).joinedload(Group.section))
        ).scalars()
    )


def _pending_substitutions(conference: Conference) -> list[Substitution]:
    return list(
        db.session.execute(
            db.select(Substitution)
            .where(
                Substitution.conference_id == conference.id,
                Substitution.status == SubstitutionStatus.PENDING,
            )
            .options(
                db.joinedload(Substitution.outgoing),
                db.joinedload(Substitution.incoming),
                db.joinedload(Substitution.group),
            )
            .order_by(Substitution.requested_at)
        ).scalars()
    )


def _everyone_in(groups: set[Group]) -> dict[int, list[Delegate]]:
    everyone: dict[int, list[Delegate]] = defaultdict(list)
    if groups:
        for d in db.session.execute(
            db.select(Delegate)
            .where(Delegate.group_id.in_([g.id for g in groups]))
            .order_by(Delegate.pass_type, Delegate.alternate_rank, Delegate.name)
        ).scalars():
            everyone[d.group_id].append(d)
    return everyone


# ---- the delegate list ---------------------------------------------------------------------

# Filters the delegate list and its CSV export read from the query string.
FILTERS = ("group", "region", "section", "status", "pass_type", "q")

_ID = re.compile(r"[0-9]{1,18}")  # an id a database integer can hold; longer names nothing


def filtered_delegates_query(conference: Conference, args: Mapping[str, str]) -> sa.Select:
    """The conference's registrations matching `args`, group and section loaded, in list order.

    `args` is `request.args` or any mapping with the keys in FILTERS: `group` (group id),
    `region`, `section` (section id), `status`, `pass_type`, `q` (name or e-mail contains,
    case-insensitive). A blank or absent value does not filter. A value that names nothing
    (an id that is not a number, an unknown status) matches nothing: a filtered list that
    silently showed everyone would be read as the filtered one. Groups and sections come in
    the same query (contains_eager), so reading `delegate.group.section.name` costs nothing.
    Ordered by group name, pass type (delegates first), alternate rank, name.
    """
    query = (
        sa.select(Delegate)
        .join(Delegate.group)
        .join(Group.section)
        .where(Delegate.conference_id == conference.id)
        .options(sa.orm.contains_eager(Delegate.group).contains_eager(Group.section))
    )
    value = {key: str(args.get(key) or "").strip() for key in FILTERS}
    if value["group"]:
        query = query.where(_id_matches(Group.id, value["group"]))
    if value["section"]:
        query = query.where(_id_matches(Section.id, value["section"]))
    if value["region"]:
        region = " ".join(value["region"].split())
        # Exact first (what a drop-down sends); lower() for a typed one (ASCII-only on SQLite).
        query = query.where(
            sa.or_(Group.region == region, sa.func.lower(Group.region) == region.lower())
        )
    if value["status"]:
        query = query.where(_choice_matches(Delegate.status, value["status"], Status))
    if value["pass_type"]:
        query = query.where(_choice_matches(Delegate.pass_type, value["pass_type"], PassType))
    if value["q"]:
        words = value["q"].lower()
        query = query.where(
            sa.or_(
                sa.func.lower(Delegate.name).contains(words, autoescape=True),
                sa.func.lower(Delegate.email).contains(words, autoescape=True),
            )
        )
    return query.order_by(
        sa.func.lower(Group.name),
        Group.id,
        places.PASS_ORDER,
        Delegate.alternate_rank,
        sa.func.lower(Delegate.name),
        Delegate.id,
    )


def _id_matches(column, value: str):
    return column == int(value) if _ID.fullmatch(value) else sa.false()


def _choice_matches(column, value: str, choices: type[Status] | type[PassType]):
    value = value.lower()
    return column == value if value in {c.value for c in choices} else sa.false()


def group_choices(conference: Conference) -> list[sa.Row]:
    """The conference's groups (id, name, region) by name, for the list's filters."""
    return list(
        db.session.execute(
            db.select(Group.id, Group.name, Group.region)
            .where(Group.conference_id == conference.id)
            .order_by(Group.name)
        )
    )


# ---- the delegates import ------------------------------------------------------------------


def import_delegates(
    conference: Conference, data: bytes, actor: User | None = None
) -> bulk_register.DelegateImportSummary:
    """Register everyone in a delegates CSV, or no one; ImportRejected lists every problem.

    The file is read (delegate_csv), then its rows are registered as registration registers
    anyone (bulk_register.register_all), which commits in short parts of its own.
    Imported alternates are ranked after the group's own; `actor` decides approved rows.
    """
    seats = [s.label for s in conference.rule.reserved]
    rows, problems = delegate_csv.read_delegates_csv(data, seats=seats)
    if not rows:
        bulk.reject(problems or [Problem(None, None, "no registrations in the file")])
    return bulk_register.register_all(conference, rows, actor, problems)
