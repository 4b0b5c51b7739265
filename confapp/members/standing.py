"""Delegates, alternates and candidates are members: the check against the register.

A conference "has a register" once it holds any Member row; until then nothing here refuses
anything. With one, a person registered (or nominated) for a group must match a member, by
membership number (preferred) or else by e-mail, who is in good standing on the day of the
check and belongs to that group. The committee may accept someone the register does not show
by recording a reason (`member_override`), which the audit log keeps with who and when.

The registration and election services call `problem_of` / `problems_of` where the secretary
submits and the committee approves (or polling opens); the pages show `matches`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from confapp import audit
from confapp.extensions import db
from confapp.models import (
    VOTING_PASSES,
    Candidate,
    Conference,
    Delegate,
    Election,
    Group,
    Member,
    User,
)

OVERRIDE_LIMIT = 500  # characters: the column's size
NO_EMAIL_MATCH = "No member with this e-mail; give the membership number"


class StandingError(ValueError):
    """An override refused: the message says why, nothing was changed."""


@dataclass(frozen=True)
class Match:
    """What the register says of one person: the member found (if any) and what is wrong."""

    member: Member | None
    problem: str | None  # None: a member of the group, in good standing
    override: str = ""  # the committee's reason for accepting them anyway

    @property
    def ok(self) -> bool:
        """Whether the person may be submitted or approved: on the register, or accepted."""
        return self.problem is None or bool(self.override)

    @property
    def words(self) -> str:
        """The match as the pages show it."""
        if self.problem is None:
            return f"Member {self.member.number}, in good standing"
        return self.problem


def has_register(conference_id: int) -> bool:
    """Whether the conference keeps a register (any member on it, lapsed or not)."""
    return (
        db.session.execute(
            sa.select(Member.id).where(Member.conference_id == conference_id).limit(1)
        ).first()
        is not None
    )


def today(conference: Conference) -> date:
    """The day of the check, in the conference's time zone."""
    return datetime.now(ZoneInfo(conference.timezone or "UTC")).date()


def _number_key(number: str) -> str:
    return "".join(number.split()).upper()


def _lookup(conference_id: int, numbers: set[str], emails: set[str]) -> Register:
    """The members these numbers and addresses name, in a query a 500 of each."""
    by_number: dict[str, Member] = {}
    by_email: dict[str, list[Member]] = {}
    if numbers:
        # Numbers as typed and upper-cased: "l0001" finds L0001 and the unique index serves both.
        wanted = sorted(numbers | {n.upper() for n in numbers})
        for chunk in _chunks(wanted):
            query = sa.select(Member).where(
                Member.conference_id == conference_id, Member.number.in_(chunk)
            )
            for member in db.session.scalars(query):
                by_number[_number_key(member.number)] = member
    for chunk in _chunks(sorted(emails)):
        for member in db.session.scalars(
            sa.select(Member)
            .where(Member.conference_id == conference_id, Member.email.in_(chunk))
            .order_by(Member.number)
        ):
            by_email.setdefault(member.email, []).append(member)
    return Register(by_number, by_email)


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    # An import names thousands: SQLite takes only so many parameters in one statement.
    return [values[i : i + size] for i in range(0, len(values), size)]


def register_of(conference: Conference, emails: Iterable[str]) -> Register | None:
    """The members under these addresses, to check many rows at once; None: no register."""
    if not has_register(conference.id):
        return None
    return _lookup(conference.id, set(), {e.strip().lower() for e in emails if e.strip()})


@dataclass(frozen=True)
class Register:
    """Members found by number and by e-mail, to match people against."""

    by_number: dict[str, Member]
    by_email: dict[str, list[Member]]

    def match(self, group: Group, number: str, email: str, day: date, override: str) -> Match:
        """What the register says of someone of `group` (anything with an id and a name)."""
        number = (number or "").strip()
        email = (email or "").strip().lower()
        if number:
            member = self.by_number.get(_number_key(number))
            if member is None:
                return Match(None, f"No member numbered {number} on the register", override)
        else:
            if not email:
                return Match(
                    None, "No membership number given to find them on the register", override
                )
            found = self.by_email.get(email, [])
            if not found:
                return Match(None, NO_EMAIL_MATCH, override)
            if len(found) > 1:
                # Two members share an address (a household): only the number tells them apart.
                return Match(
                    None,
                    f"{len(found)} members have this e-mail; give the membership number",
                    override,
                )
            member = found[0]
        return Match(member, _problem(member, group, day), override)


def _problem(member: Member, group: Group, day: date) -> str | None:
    """What keeps this member from speaking for `group` on `day`, or None."""
    if member.group_id != group.id:
        return f"Member {member.number} is a member of {member.group.name}, not {group.name}"
    if member.left_on is not None and member.left_on <= day:
        return f"Member {member.number} ({member.name}) has lapsed (left on {member.left_on})"
    if not member.in_good_standing:
        return f"Member {member.number} ({member.name}) is in arrears"
    if member.joined_on > day:
        return f"Member {member.number} ({member.name}) joins only on {member.joined_on}"
    return None


def check(
    conference: Conference, group: Group, *, number: str = "", email: str = ""
) -> Match | None:
    """The register's answer for one person of `group`; None when there is no register."""
    if not has_register(conference.id):
        return None
    numbers = {number.strip()} if number.strip() else set()
    emails = {email.strip().lower()} if email.strip() and not numbers else set()
    register = _lookup(conference.id, numbers, emails)
    return register.match(group, number, email, today(conference), "")


def matches(conference: Conference, delegates: Iterable[Delegate]) -> dict[int, Match]:
    """Each delegate's or alternate's match (non-voting passes are not checked), by id.

    Empty when the conference has no register. Two queries however many people.
    """
    people = [d for d in delegates if d.pass_type in VOTING_PASSES]
    if not people or not has_register(conference.id):
        return {}
    numbers = {d.membership_number.strip() for d in people if d.membership_number.strip()}
    emails = {d.email.lower() for d in people if not d.membership_number.strip()}
    register = _lookup(conference.id, numbers, emails)
    day = today(conference)
    return {
        d.id: register.match(d.group, d.membership_number, d.email, day, d.member_override)
        for d in people
    }


def problems_of(conference: Conference, delegates: Iterable[Delegate]) -> list[str]:
    """'Name: what is wrong' for each person the register refuses and the committee has not
    accepted; empty when all may go ahead (or there is no register)."""
    people = list(delegates)
    found = matches(conference, people)
    return [
        f"{d.name}: {found[d.id].problem}." for d in people if d.id in found and not found[d.id].ok
    ]


def candidate_matches(election: Election) -> dict[int, Match]:
    """Each standing candidate nominated for a group: their match, by candidate id."""
    people = [c for c in election.candidates if c.group_id and c.withdrawn_at is None]
    if not people or not has_register(election.conference_id):
        return {}
    numbers = {c.membership_number.strip() for c in people if c.membership_number.strip()}
    register = _lookup(election.conference_id, numbers, set())
    groups = {
        group.id: group
        for group in db.session.scalars(
            sa.select(Group).where(Group.id.in_({c.group_id for c in people}))
        )
    }
    day = today(db.session.get(Conference, election.conference_id))
    return {
        c.id: register.match(groups[c.group_id], c.membership_number, "", day, c.member_override)
        for c in people
    }


def candidate_problems(election: Election) -> list[str]:
    """'Name: what is wrong' for each standing candidate the register refuses, not accepted."""
    found = candidate_matches(election)
    return [
        f"{c.name}: {found[c.id].problem}."
        for c in election.candidates
        if c.id in found and not found[c.id].ok
    ]


# ---- the committee's override ----------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise StandingError("Give the reason for accepting them: it is recorded.")
    if len(reason) > OVERRIDE_LIMIT:
        raise StandingError(
            f"The reason can be at most {OVERRIDE_LIMIT} characters, not {len(reason):,}."
        )
    return reason


def accept_delegate(delegate: Delegate, reason: str, actor: User) -> None:
    """Record the committee's reason for accepting a delegate or alternate the register refuses."""
    reason = _reason(reason)
    if delegate.pass_type not in VOTING_PASSES:
        raise StandingError(f"{delegate.name} holds a {delegate.pass_type} pass: not checked.")
    match = matches(delegate.group.conference, [delegate]).get(delegate.id)
    if match is None:
        raise StandingError("This conference has no register: there is nothing to override.")
    if match.problem is None:
        raise StandingError(f"{delegate.name} is on the register in good standing.")
    _record_override(
        delegate,
        "delegate.member_override",
        match,
        reason,
        summary=f"{delegate.name} ({delegate.group.name}) accepted: {match.problem}. "
        f"Reason: {reason}",
        actor=actor,
    )


def accept_candidate(candidate: Candidate, reason: str, actor: User) -> None:
    """Record the committee's reason for accepting a candidate the register refuses."""
    reason = _reason(reason)
    election = candidate.election
    match = candidate_matches(election).get(candidate.id)
    if match is None:
        raise StandingError(
            f"{candidate.name} is not checked against a register "
            "(no register, no group, or withdrawn)."
        )
    if match.problem is None:
        raise StandingError(f"{candidate.name} is on the register in good standing.")
    _record_override(
        candidate,
        "candidate.member_override",
        match,
        reason,
        summary=f"{election.title[:100]}: {candidate.name[:80]} accepted: {match.problem}. "
        f"Reason: {reason}",
        conference_id=election.conference_id,
        actor=actor,
    )


def _record_override(row, action: str, match: Match, reason: str, **entry) -> None:
    """Keep the committee's reason on the delegate or candidate, and audit it with the problem."""
    before = {"member_override": row.member_override}
    row.member_override = reason
    audit.record(
        action,
        row,
        before=before,
        after={"member_override": reason, "register": match.problem},
        **entry,
    )
    db.session.flush()
