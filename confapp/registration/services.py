"""The registration use cases: register, submit, review, substitute; and the group lock.

Each checks its rules under the group's lock (lock_groups) and flushes; the caller commits
once (a view, once per request), or rolls back on RegistrationError. Until that commit the
group stays locked, so the check's answer holds for what is written.

A registration's whole life, draft to decision to substitution, is kept in this one module
(a little over 500 lines): its use cases share the lock, the checks and the refusal, and
callers reach them all as `services`. Reading places is places.py's; the rules, rules.py's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from confapp import audit
from confapp.auth.services import UserError, normalise_email
from confapp.credentials import services as credentials
from confapp.database import is_sqlite
from confapp.extensions import db
from confapp.members import standing
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
    SubstitutionStatus,
    User,
    utcnow,
)
from confapp.registration import rules
from confapp.registration.places import (
    as_person,
    chunks,
    equality_problems,
    highest_ranks,
    holding_places,
    pending_incoming,
    places_held_by,
    places_of,
)


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
    membership_number: str = ""


# ---- locking and checks -------------------------------------------------------------------


def lock_group(group: Group) -> None:
    """Serialise changes to one group's delegation across workers and hosts."""
    lock_groups([group])


def lock_groups(groups: Iterable) -> None:
    """Serialise changes to these groups' delegations across workers and hosts.

    The UPDATE takes the row locks on PostgreSQL (in id order, so two callers cannot
    deadlock); on SQLite it takes the database's write lock. On SQLite the open read
    transaction is ended first (nothing is written before a lock), so the write starts a
    fresh snapshot and waits its turn (busy timeout) instead of failing on a stale one.
    The locks are held until the caller commits or rolls back.

    The first group alone (on SQLite that takes the write lock, all a second writer could
    wait for), the others in a statement per 500 rather than one each: an import's
    thousands of round trips would keep every door waiting on SQLite.
    """
    if is_sqlite():
        db.session.commit()
    ids = sorted({g.id for g in groups})
    for chunk in [ids[:1], *chunks(ids[1:])]:
        if len(chunk) > 1:
            # FOR NO KEY UPDATE in id order: the lock an UPDATE takes, in the one order.
            db.session.execute(
                sa.select(Group.id)
                .where(Group.id.in_(chunk))
                .order_by(Group.id)
                .with_for_update(key_share=True)
            ).all()
        db.session.execute(
            sa.update(Group)
            .where(Group.id.in_(chunk))
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
    other = next(iter(places_held_by(group.conference_id, [email], exclude_id)), None)
    if other is not None:
        where = "your group" if other.group_id == group.id else other.group.name
        raise RegistrationError(rules.one_place_problem(email, other.seat_label, where) + ".")


def _check_place(group: Group, details: PersonDetails, exclude_id: int | None = None) -> None:
    """The seat or alternate's place is within the entitlement and the person qualifies."""
    others = [d for d in holding_places(group) if d.id != exclude_id]
    group_places = places_of(group.conference.rule, group.entitlement, others)
    if details.pass_type == PassType.DELEGATE:
        problem = group_places.problem(as_person(details))
    elif details.pass_type == PassType.ALTERNATE:
        problem = group_places.alternate_problem()
    else:
        problem = None
    if problem:
        raise RegistrationError(problem)


def _clean(details: PersonDetails) -> PersonDetails:
    try:
        details.email = normalise_email(details.email)
    except UserError as exc:
        raise RegistrationError(str(exc)) from exc
    details.name = " ".join(details.name.split())
    if not details.name:
        raise RegistrationError("A name is needed.")
    details.membership_number = "".join((details.membership_number or "").split())
    if len(details.membership_number) > 40:
        raise RegistrationError("A membership number has at most 40 characters.")
    if details.pass_type not in {p.value for p in PassType}:
        raise RegistrationError(f"Unknown pass type {details.pass_type!r}.")
    if details.pass_type != PassType.DELEGATE:
        details.seat = None
    elif not details.seat:
        details.seat = BASE_SEAT
    return details


def _flush_or_refuse() -> None:
    """Flush; a uniqueness clash from a concurrent request becomes a plain refusal."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise RegistrationError(
            "Someone registered the same person at the same moment; reload and check."
        ) from exc


def _check_register(group: Group, people: list[Delegate], refusal: str) -> None:
    """Refuse unless every delegate and alternate here is on the register (when there is one)
    in good standing for this group, or accepted by the committee with a recorded reason."""
    problems = standing.problems_of(group.conference, people)
    if problems:
        raise RegistrationError(f"{refusal} {' '.join(problems)}")


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
    _flush_or_refuse()
    audit.record(
        "delegate.register",
        delegate,
        after=audit.snapshot(delegate),
        summary=f"{delegate.name} as {delegate.seat_label} for {group.name}",
        actor=actor,
    )
    _flush_or_refuse()
    return delegate


def _next_rank(group: Group) -> int:
    return highest_ranks([group.id]).get(group.id, 0) + 1


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
    _flush_or_refuse()
    old, new = audit.changed(before, audit.snapshot(delegate))
    for noise in ("updated_at",):
        old.pop(noise, None), new.pop(noise, None)
    audit.record(
        "delegate.update", delegate, before=old, after=new, summary=delegate.name, actor=actor
    )
    _flush_or_refuse()
    return delegate


def is_unsent_draft(delegate: Delegate) -> bool:
    """A draft never sent to the committee: nobody but the secretary has seen it."""
    return delegate.status == Status.DRAFT and delegate.submitted_at is None


def check_withdraw(delegate: Delegate, actor: User) -> None:
    """Refuse (RegistrationError) a withdrawal that cannot be done; asked before confirming."""
    if is_unsent_draft(delegate):
        raise RegistrationError(
            f"{delegate.name} is a draft nobody has seen yet: delete them instead."
        )
    if delegate.status not in ACTIVE_STATUSES:
        raise RegistrationError(f"{delegate.name} is already {delegate.status}.")
    _check_open(delegate.group, actor)


def withdraw(delegate: Delegate, actor: User, reason: str = "") -> None:
    """Take a sent person off the delegation (before the deadline; after it, substitute)."""
    check_withdraw(delegate, actor)
    lock_group(delegate.group)
    db.session.refresh(delegate)  # under the lock: as it stands now
    check_withdraw(delegate, actor)
    _set_status(delegate, Status.WITHDRAWN, actor, reason or "withdrawn by the group")
    _flush_or_refuse()


def check_delete(delegate: Delegate, actor: User) -> None:
    """Refuse (RegistrationError) deleting anyone but a draft never sent to the committee."""
    if not is_unsent_draft(delegate):
        raise RegistrationError(
            f"{delegate.name} was sent to the credentials committee: withdraw them instead, "
            "so the committee sees it."
        )
    _check_open(delegate.group, actor)


def delete_draft(delegate: Delegate, actor: User) -> None:
    """Delete a draft never sent to the committee; the audit log keeps what it held."""
    check_delete(delegate, actor)
    group = delegate.group
    lock_group(group)
    db.session.refresh(delegate)  # under the lock: a submit may have sent it meanwhile
    check_delete(delegate, actor)
    audit.record(
        "delegate.delete",
        delegate,
        before=audit.snapshot(delegate),
        summary=f"{delegate.name} ({delegate.seat_label}, draft) deleted from {group.name}",
        actor=actor,
    )
    db.session.delete(delegate)
    _flush_or_refuse()


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
    _check_register(
        group,
        drafts,
        "The register does not show everyone as a member in good standing of your group:",
    )
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
    _flush_or_refuse()
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
    _check_register(
        delegate.group, [delegate], "Not approved (record a reason to accept them anyway):"
    )
    _set_status(delegate, Status.APPROVED, actor)
    _flush_or_refuse()


def reject(delegate: Delegate, actor: User, reason: str) -> None:
    """Reject a submitted registration, with the reason the secretary will read."""
    if not reason.strip():
        raise RegistrationError("Give the reason for the rejection: the secretary will see it.")
    if delegate.status not in (Status.SUBMITTED, Status.APPROVED):
        raise RegistrationError(f"{delegate.name} is {delegate.status} and cannot be rejected.")
    lock_group(delegate.group)
    _set_status(delegate, Status.REJECTED, actor, reason.strip())
    _flush_or_refuse()


def approve_delegation(group: Group, actor: User) -> int:
    """Approve every submitted registration of a group in one action; how many."""
    lock_group(group)
    submitted = (
        db.session.execute(
            sa.select(Delegate).where(
                Delegate.group_id == group.id,
                Delegate.status == Status.SUBMITTED,
                Delegate.id.not_in(pending_incoming()),
            )
        )
        .scalars()
        .all()
    )
    _check_register(
        group,
        submitted,
        "None approved: approve the others one by one, or record a reason to accept these:",
    )
    for delegate in submitted:
        _set_status(delegate, Status.APPROVED, actor)
    _flush_or_refuse()
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
            Substitution.outgoing_id == outgoing.id,
            Substitution.status == SubstitutionStatus.PENDING,
        )
    ).first()
    if open_request:
        raise RegistrationError(f"A substitution for {outgoing.name} is already waiting.")
    incoming = _incoming(group, outgoing, alternate, details)
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
    _flush_or_refuse()
    audit.record(
        "substitution.request",
        substitution,
        after={"outgoing": outgoing.id, "incoming": incoming.id, "reason": substitution.reason},
        summary=f"{group.name}: {incoming.name} for {outgoing.name}",
        actor=actor,
    )
    _flush_or_refuse()
    return substitution


def _incoming(
    group: Group, outgoing: Delegate, alternate: Delegate | None, details: PersonDetails | None
) -> Delegate:
    """Who steps in: one of the group's alternates, or a new person registered as submitted."""
    if alternate is not None:
        if alternate.group_id != group.id or alternate.pass_type != PassType.ALTERNATE:
            raise RegistrationError("Only one of your group's alternates can step in.")
        if alternate.status not in ACTIVE_STATUSES:
            raise RegistrationError(f"{alternate.name} is {alternate.status}.")
        return alternate
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
    _flush_or_refuse()
    return incoming


def _check_seat_qualifies(group: Group, seat: str, incoming: Delegate) -> None:
    problem = rules.qualification_problem(group.conference.rule, seat, incoming)
    if problem:
        raise RegistrationError(problem)


def decide_substitution(
    substitution: Substitution, actor: User, *, approve: bool, reason: str = ""
) -> None:
    """Approve (the outgoing delegate is replaced) or reject a substitution request."""
    if substitution.status != SubstitutionStatus.PENDING:
        raise RegistrationError(f"This substitution was already {substitution.status}.")
    if not approve and not reason.strip():
        raise RegistrationError("Give the reason for the rejection: the secretary will see it.")
    lock_group(substitution.group)
    outgoing, incoming = substitution.outgoing, substitution.incoming
    if approve:
        _check_register(
            substitution.group,
            [incoming],
            "Not approved (record a reason to accept them anyway):",
        )
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
    _flush_or_refuse()


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
    _flush_or_refuse()
