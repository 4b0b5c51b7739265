"""The registration use cases: register, submit, review, substitute; each commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from confapp import audit
from confapp import entitlement as ent
from confapp.auth.services import UserError, normalise_email
from confapp.credentials import services as credentials
from confapp.database import is_sqlite
from confapp.extensions import db
from confapp.models import (
    ACTIVE_STATUSES,
    BASE_SEAT,
    VOTING_PASSES,
    Delegate,
    Group,
    PassType,
    Role,
    Status,
    Substitution,
    User,
    utcnow,
)
from confapp.registration import rules


class RegistrationError(ValueError):
    """A registration change was refused; the message names the rule, nothing was changed."""


@dataclass
class PersonDetails:
    """What a secretary enters for one person."""

    name: str
    email: str
    phone: str = ""
    pass_type: str = PassType.DELEGATE.value
    seat: str | None = BASE_SEAT
    is_woman: bool | None = None
    is_young: bool | None = None
    is_low_paid: bool | None = None
    elected_on: date | None = None
    elected_at: str = ""


# ---- reading ------------------------------------------------------------------------------


def _pending_incoming():
    return sa.select(Substitution.incoming_id).where(Substitution.status == "pending")


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
    return list(
        db.session.execute(
            sa.select(Delegate).where(
                Delegate.group_id == group.id,
                Delegate.status.in_([s.value for s in ACTIVE_STATUSES]),
                Delegate.pass_type.in_([p.value for p in VOTING_PASSES]),
                Delegate.id.not_in(_pending_incoming()),
            )
        ).scalars()
    )


def as_person(delegate: Delegate) -> rules.Person:
    """What the rules read of a registration."""
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


def equality_problems(group: Group) -> list[str]:
    """What the equality rule says of the group's delegation as it stands."""
    people = [as_person(d) for d in holding_places(group) if d.pass_type == PassType.DELEGATE]
    return rules.delegation_problems(group.conference.rule, people)


# ---- locking and checks -------------------------------------------------------------------


def lock_group(group: Group) -> None:
    """Serialise changes to one group's delegation across workers and hosts."""
    lock_groups([group])


def lock_groups(groups: list[Group]) -> None:
    """Serialise changes to these groups' delegations across workers and hosts.

    The UPDATE takes the row locks on PostgreSQL (in id order, so two callers cannot
    deadlock); on SQLite it takes the database's write lock. On SQLite the open read
    transaction is ended first, so the write starts a fresh snapshot and waits its turn
    (busy timeout) instead of failing on a stale one.
    """
    if is_sqlite():
        db.session.commit()
    for group_id in sorted({g.id for g in groups}):
        db.session.execute(
            sa.update(Group)
            .where(Group.id == group_id)
            .values(registration_version=Group.registration_version + 1)
            .execution_options(synchronize_session=False)
        )


def _check_open(group: Group, actor: User) -> None:
    """After the deadline only the committee changes a delegation (secretaries substitute)."""
    conference = group.conference
    if conference.deadline_passed and not _is_committee(actor, group):
        raise RegistrationError(
            "The registration deadline has passed: changes now go through a substitution, "
            "which the credentials committee approves."
        )


def _is_committee(actor: User, group: Group) -> bool:
    return Role.ADMIN in actor.roles_in(group.conference_id)


def _check_person_free(group: Group, email: str, exclude_id: int | None = None) -> None:
    """One person, one voting registration per conference."""
    query = (
        sa.select(Delegate)
        .where(
            Delegate.conference_id == group.conference_id,
            Delegate.email == email,
            Delegate.status.in_([s.value for s in ACTIVE_STATUSES]),
            Delegate.pass_type.in_([p.value for p in VOTING_PASSES]),
        )
        .options(sa.orm.joinedload(Delegate.group))
    )
    if exclude_id is not None:
        query = query.where(Delegate.id != exclude_id)
    other = db.session.execute(query).scalars().first()
    if other is not None:
        where = "your group" if other.group_id == group.id else other.group.name
        raise RegistrationError(
            f"{email} is already registered as {other.seat_label} for {where}: "
            "one person can hold only one place at the conference."
        )


def _check_place(group: Group, details: PersonDetails, exclude_id: int | None = None) -> None:
    """The seat or alternate's place is within the entitlement and the person qualifies."""
    rule = group.conference.rule
    others = [d for d in holding_places(group) if d.id != exclude_id]
    if details.pass_type == PassType.DELEGATE:
        taken = [as_person(d) for d in others if d.pass_type == PassType.DELEGATE]
        problem = rules.seat_problem(rule, group.entitlement, taken, _person(details))
    elif details.pass_type == PassType.ALTERNATE:
        alternates = sum(1 for d in others if d.pass_type == PassType.ALTERNATE)
        problem = rules.alternates_problem(rule, alternates)
    else:
        problem = None
    if problem:
        raise RegistrationError(problem)


def _person(details: PersonDetails) -> rules.Person:
    return rules.Person(
        details.name,
        details.seat,
        details.is_woman,
        details.is_young,
        details.is_low_paid,
    )


def _clean(details: PersonDetails) -> PersonDetails:
    try:
        details.email = normalise_email(details.email)
    except UserError as exc:
        raise RegistrationError(str(exc)) from exc
    details.name = " ".join(details.name.split())
    if not details.name:
        raise RegistrationError("A name is needed.")
    if details.pass_type not in {p.value for p in PassType}:
        raise RegistrationError(f"Unknown pass type {details.pass_type!r}.")
    if details.pass_type != PassType.DELEGATE:
        details.seat = None
    elif not details.seat:
        details.seat = BASE_SEAT
    return details


def _commit_or_refuse() -> None:
    """Commit; a uniqueness clash from a concurrent request becomes a plain refusal."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise RegistrationError(
            "Someone registered the same person at the same moment; reload and check."
        ) from exc


# ---- secretaries --------------------------------------------------------------------------


def register(group: Group, details: PersonDetails, actor: User) -> Delegate:
    """Add a person to the group's delegation as a draft, within the entitlement."""
    details = _clean(details)
    lock_group(group)
    _check_open(group, actor)
    if details.pass_type in VOTING_PASSES:
        _check_person_free(group, details.email)
    _check_place(group, details)
    delegate = Delegate(
        conference_id=group.conference_id,
        group_id=group.id,
        status=Status.DRAFT.value,
        **vars(details),
    )
    if details.pass_type == PassType.ALTERNATE:
        delegate.alternate_rank = _next_rank(group)
    db.session.add(delegate)
    db.session.flush()
    audit.record(
        "delegate.register",
        delegate,
        after=audit.snapshot(delegate),
        summary=f"{delegate.name} as {delegate.seat_label} for {group.name}",
        actor=actor,
    )
    _commit_or_refuse()
    return delegate


def _next_rank(group: Group) -> int:
    ranks = db.session.execute(
        sa.select(sa.func.max(Delegate.alternate_rank)).where(
            Delegate.group_id == group.id,
            Delegate.pass_type == PassType.ALTERNATE,
            Delegate.status.in_([s.value for s in ACTIVE_STATUSES]),
        )
    ).scalar_one()
    return (ranks or 0) + 1


def update(delegate: Delegate, details: PersonDetails, actor: User) -> Delegate:
    """Correct a draft or rejected registration; it goes back to draft."""
    group = delegate.group
    details = _clean(details)
    if delegate.status not in (Status.DRAFT, Status.REJECTED):
        raise RegistrationError(
            f"{delegate.name} is {delegate.status}: withdraw and register again to change them."
        )
    lock_group(group)
    _check_open(group, actor)
    if details.pass_type != delegate.pass_type:
        raise RegistrationError("To change a person's pass type, withdraw them and add again.")
    if details.pass_type in VOTING_PASSES:
        _check_person_free(group, details.email, exclude_id=delegate.id)
    _check_place(group, details, exclude_id=delegate.id)
    before = audit.snapshot(delegate)
    for key, value in vars(details).items():
        setattr(delegate, key, value)
    delegate.status = Status.DRAFT.value
    delegate.status_reason = ""
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(delegate))
    for noise in ("updated_at",):
        old.pop(noise, None), new.pop(noise, None)
    audit.record(
        "delegate.update", delegate, before=old, after=new, summary=delegate.name, actor=actor
    )
    _commit_or_refuse()
    return delegate


def withdraw(delegate: Delegate, actor: User, reason: str = "") -> None:
    """Take a person off the delegation (before the deadline; after it, substitute)."""
    if delegate.status not in ACTIVE_STATUSES:
        raise RegistrationError(f"{delegate.name} is already {delegate.status}.")
    lock_group(delegate.group)
    _check_open(delegate.group, actor)
    _set_status(delegate, Status.WITHDRAWN, actor, reason or "withdrawn by the group")
    _commit_or_refuse()


def submit(group: Group, actor: User) -> list[Delegate]:
    """Send the group's drafts to the committee, if the delegation meets the equality rule."""
    lock_group(group)
    _check_open(group, actor)
    drafts = [d for d in holding_places(group) if d.status == Status.DRAFT]
    visitors = db.session.execute(
        sa.select(Delegate).where(
            Delegate.group_id == group.id,
            Delegate.status == Status.DRAFT,
            Delegate.pass_type.not_in([p.value for p in VOTING_PASSES]),
        )
    ).scalars()
    drafts += list(visitors)
    if not drafts:
        raise RegistrationError("There is nothing to submit: every registration is already sent.")
    problems = equality_problems(group)
    if problems:
        raise RegistrationError(" ".join(problems))
    now = utcnow()
    for delegate in drafts:
        delegate.status = Status.SUBMITTED.value
        delegate.submitted_at = now
    audit.record(
        "delegation.submit",
        group,
        after={"submitted": [d.id for d in drafts]},
        summary=f"{group.name}: {len(drafts)} submitted",
        actor=actor,
    )
    _commit_or_refuse()
    return drafts


# ---- the committee ------------------------------------------------------------------------


def _set_status(delegate: Delegate, status: Status, actor: User, reason: str = "") -> None:
    before = {"status": delegate.status, "status_reason": delegate.status_reason}
    delegate.status = status.value
    delegate.status_reason = reason
    if status in (Status.APPROVED, Status.REJECTED):
        delegate.decided_at = utcnow()
        delegate.decided_by_id = actor.id
    _update_credential(delegate, status, actor, reason)
    audit.record(
        f"delegate.{status.value}",
        delegate,
        before=before,
        after={"status": delegate.status, "status_reason": reason},
        summary=f"{delegate.name} ({delegate.group.name}) {status.value}"
        + (f": {reason}" if reason else ""),
        actor=actor,
    )


def _update_credential(delegate: Delegate, status: Status, actor: User, reason: str) -> None:
    """Approval issues a badge code; leaving the delegation revokes it (the code is kept)."""
    if status == Status.APPROVED:
        if credentials.live_credential(delegate) is None:
            credentials.issue(delegate, actor, "approved")
    elif status in (Status.REJECTED, Status.WITHDRAWN, Status.REPLACED):
        why = f"{status.value}: {reason}" if reason else status.value
        credentials.revoke(delegate, why, actor)


def approve(delegate: Delegate, actor: User) -> None:
    """Approve a submitted registration."""
    if delegate.status != Status.SUBMITTED:
        raise RegistrationError(
            f"Only submitted registrations are approved; {delegate.name} is {delegate.status}."
        )
    lock_group(delegate.group)
    _set_status(delegate, Status.APPROVED, actor)
    _commit_or_refuse()


def reject(delegate: Delegate, actor: User, reason: str) -> None:
    """Reject a submitted registration, with the reason the secretary will read."""
    if not reason.strip():
        raise RegistrationError("Give the reason for the rejection: the secretary will see it.")
    if delegate.status not in (Status.SUBMITTED, Status.APPROVED):
        raise RegistrationError(f"{delegate.name} is {delegate.status} and cannot be rejected.")
    lock_group(delegate.group)
    _set_status(delegate, Status.REJECTED, actor, reason.strip())
    _commit_or_refuse()


def approve_delegation(group: Group, actor: User) -> int:
    """Approve every submitted registration of a group in one action; how many."""
    lock_group(group)
    submitted = (
        db.session.execute(
            sa.select(Delegate).where(
                Delegate.group_id == group.id,
                Delegate.status == Status.SUBMITTED,
                Delegate.id.not_in(_pending_incoming()),
            )
        )
        .scalars()
        .all()
    )
    for delegate in submitted:
        _set_status(delegate, Status.APPROVED, actor)
    _commit_or_refuse()
    return len(submitted)


# ---- substitutions ------------------------------------------------------------------------


def request_substitution(
    outgoing: Delegate,
    actor: User,
    reason: str,
    *,
    alternate: Delegate | None = None,
    details: PersonDetails | None = None,
) -> Substitution:
    """Ask to replace a delegate by one of the group's alternates or by a new person."""
    group = outgoing.group
    if not reason.strip():
        raise RegistrationError("Give the reason for the substitution.")
    if outgoing.pass_type != PassType.DELEGATE or outgoing.status not in (
        Status.SUBMITTED,
        Status.APPROVED,
    ):
        raise RegistrationError(f"{outgoing.name} is not a submitted or approved delegate.")
    if (alternate is None) == (details is None):
        raise RegistrationError("Choose an alternate or enter a new person, not both.")
    lock_group(group)
    open_request = db.session.execute(
        sa.select(Substitution.id).where(
            Substitution.outgoing_id == outgoing.id, Substitution.status == "pending"
        )
    ).first()
    if open_request:
        raise RegistrationError(f"A substitution for {outgoing.name} is already waiting.")
    if alternate is not None:
        if alternate.group_id != group.id or alternate.pass_type != PassType.ALTERNATE:
            raise RegistrationError("Only one of your group's alternates can step in.")
        if alternate.status not in ACTIVE_STATUSES:
            raise RegistrationError(f"{alternate.name} is {alternate.status}.")
        incoming = alternate
    else:
        details = _clean(details)
        details.pass_type, details.seat = PassType.DELEGATE.value, outgoing.seat
        _check_person_free(group, details.email)
        incoming = Delegate(
            conference_id=group.conference_id,
            group_id=group.id,
            status=Status.SUBMITTED.value,
            submitted_at=utcnow(),
            **vars(details),
        )
        db.session.add(incoming)
        db.session.flush()
    _check_seat_qualifies(group, outgoing.seat, incoming)
    substitution = Substitution(
        conference_id=group.conference_id,
        group_id=group.id,
        outgoing=outgoing,
        incoming=incoming,
        reason=reason.strip(),
        requested_by_id=actor.id,
    )
    db.session.add(substitution)
    db.session.flush()
    audit.record(
        "substitution.request",
        substitution,
        after={"outgoing": outgoing.id, "incoming": incoming.id, "reason": substitution.reason},
        summary=f"{group.name}: {incoming.name} for {outgoing.name}",
        actor=actor,
    )
    _commit_or_refuse()
    return substitution


def _check_seat_qualifies(group: Group, seat: str, incoming: Delegate) -> None:
    seat_rule = next((s for s in group.conference.rule.reserved if s.label == seat), None)
    if seat_rule is not None and not rules.QUALIFIES[seat_rule.filled_by](incoming):
        raise RegistrationError(
            f"The {seat} can only be filled by {rules.FILLED_BY_WORDS[seat_rule.filled_by]}."
        )


def decide_substitution(
    substitution: Substitution, actor: User, *, approve: bool, reason: str = ""
) -> None:
    """Approve (the outgoing delegate is replaced) or reject a substitution request."""
    if substitution.status != "pending":
        raise RegistrationError(f"This substitution was already {substitution.status}.")
    if not approve and not reason.strip():
        raise RegistrationError("Give the reason for the rejection: the secretary will see it.")
    lock_group(substitution.group)
    outgoing, incoming = substitution.outgoing, substitution.incoming
    substitution.status = "approved" if approve else "rejected"
    substitution.decided_by_id = actor.id
    substitution.decided_at = utcnow()
    substitution.decision_reason = reason.strip()
    if approve:
        _set_status(outgoing, Status.REPLACED, actor, f"replaced by {incoming.name}")
        before = audit.snapshot(incoming)
        incoming.pass_type = PassType.DELEGATE.value
        incoming.seat = outgoing.seat
        incoming.alternate_rank = None
        incoming.status = Status.APPROVED.value
        incoming.decided_at, incoming.decided_by_id = utcnow(), actor.id
        old, new = audit.changed(before, audit.snapshot(incoming))
        # A new badge: an alternate's says "alternate", and the code must change hands anyway.
        credentials.issue(incoming, actor, f"substitutes for {outgoing.name}")
        audit.record(
            "delegate.approved",
            incoming,
            before=old,
            after=new,
            summary=f"{incoming.name} replaces {outgoing.name}",
            actor=actor,
        )
    elif incoming.pass_type == PassType.DELEGATE:
        _set_status(incoming, Status.REJECTED, actor, reason.strip())
    audit.record(
        f"substitution.{substitution.status}",
        substitution,
        after={"status": substitution.status, "reason": substitution.decision_reason},
        summary=f"{substitution.group.name}: {incoming.name} for {outgoing.name}",
        actor=actor,
    )
    _commit_or_refuse()


def seat_alternate(alternate: Delegate, absent: Delegate | None, actor: User) -> None:
    """Seat an approved alternate for an absent delegate of the same group (None: unseat)."""
    if alternate.pass_type != PassType.ALTERNATE or alternate.status != Status.APPROVED:
        raise RegistrationError(f"{alternate.name} is not an approved alternate.")
    if absent is not None:
        if absent.group_id != alternate.group_id or absent.pass_type != PassType.DELEGATE:
            raise RegistrationError(
                "An alternate can only sit in for a delegate of the same group."
            )
        if absent.status != Status.APPROVED:
            raise RegistrationError(f"{absent.name} is not an approved delegate.")
        taken = db.session.execute(
            sa.select(Delegate.name).where(
                Delegate.seated_for_id == absent.id, Delegate.id != alternate.id
            )
        ).scalar()
        if taken:
            raise RegistrationError(f"{taken} already sits in for {absent.name}.")
    lock_group(alternate.group)
    before = {"seated_for_id": alternate.seated_for_id}
    alternate.seated_for_id = absent.id if absent else None
    audit.record(
        "alternate.seat" if absent else "alternate.unseat",
        alternate,
        before=before,
        after={"seated_for_id": alternate.seated_for_id},
        summary=f"{alternate.name} sits in for {absent.name}"
        if absent
        else f"{alternate.name} unseated",
        actor=actor,
    )
    _commit_or_refuse()
