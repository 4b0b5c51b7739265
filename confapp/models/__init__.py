"""The tables: conferences, sections, groups, users and their roles, the audit log.

The floor day's tables in one module, past 500 lines on purpose: they refer to one another
(a delegate to its group, a scan to its door and credential, a ballot to its roll). Areas
with tables of their own have a module here (elections.py), imported at the end so that
`from confapp.models import ...` reaches every table and Alembic reads one metadata.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from functools import cached_property

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from confapp import entitlement as ent
from confapp.extensions import db


def utcnow() -> datetime:
    """Now in UTC, naive, as every *_at column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def one_of(kind: type[enum.StrEnum], constraint: str, length: int) -> sa.Enum:
    """A column type holding one of `kind`'s values, checked by the database (CHECK ... IN).

    Every status and kind is a StrEnum stored as its value in a plain string column (no
    database enum type, so adding a value is a one-line migration on either database); the
    constraint is named ck_<table>_<constraint>.
    """
    return sa.Enum(
        kind,
        name=constraint,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class Role(enum.StrEnum):
    """What a user may do in one conference."""

    ADMIN = "admin"  # the credentials committee
    SECRETARY = "secretary"  # of one group
    STEWARD = "steward"
    TELLER = "teller"
    SCRUTINEER = "scrutineer"  # reads everything the committee reads; changes nothing


class BadgeLayout(enum.StrEnum):
    """How badges are laid out for print."""

    A4_8UP = "a4-8up"  # eight to an A4 sheet, with crop marks
    A6 = "a6"  # one to an A6 card


class SubstitutionStatus(enum.StrEnum):
    """Where a request to replace a delegate stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PrintKind(enum.StrEnum):
    """What a print run prints."""

    BADGES = "badges"
    CARDS = "cards"  # card-vote cards, for delegates only


class PrintScope(enum.StrEnum):
    """Whose badges a print run prints."""

    ALL = "all"
    NEW = "new"  # not yet printed, or reissued since
    GROUP = "group"


class JobStatus(enum.StrEnum):
    """Where a background job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BallotMode(enum.StrEnum):
    """How a delegation casts its card vote."""

    BLOCK = "block"  # the delegation as one
    SPLIT = "split"  # each delegate a share


class HandsResult(enum.StrEnum):
    """What the chair saw on the show of hands."""

    CARRIED = "carried"
    LOST = "lost"
    CARD_VOTE_CALLED = "card_vote_called"


class User(UserMixin, db.Model):
    """A person who logs in: committee member, secretary, steward or teller."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_site_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Only a hash of the invitation token is kept: the link is shown once.
    invitation_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    invitation_expires_at: Mapped[datetime | None]
    # Every login session carries the version it began under; bumping it ends them all
    # (logout, a new password, a role taken away), as a signed cookie cannot be recalled.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    credential_holders: Mapped[list[CredentialHolder]] = relationship(
        foreign_keys="CredentialHolder.user_id",
        back_populates="user",
        cascade="all, delete-orphan",
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash (werkzeug's scrypt default) of the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether the password matches; false for a user who has not set one."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def roles_in(self, conference_id: int) -> set[Role]:
        """The roles this user holds in a conference (site admins hold admin everywhere)."""
        roles = {Role(g.role) for g in self.grants if g.conference_id == conference_id}
        if self.is_site_admin:
            roles.add(Role.ADMIN)
        return roles

    def secretary_group_ids(self, conference_id: int | None = None) -> set[int]:
        """Ids of the groups this user is secretary of."""
        return {
            g.group_id
            for g in self.grants
            if g.role == Role.SECRETARY
            and g.group_id is not None
            and (conference_id is None or g.conference_id == conference_id)
        }

    @property
    def label(self) -> str:
        """How the user is named in lists and on the audit log."""
        return f"{self.name} <{self.email}>" if self.name else self.email

    def get_id(self) -> str:
        """The id a login session keeps: the user's id and the session version it began under."""
        return f"{self.id}:{self.session_version}"


class Conference(db.Model):
    """One conference: its dates, deadline and rules."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/London")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    registration_deadline: Mapped[datetime]  # UTC
    membership_as_at: Mapped[date | None]  # the qualifying membership's cut-off date
    # Take each group's members from the register as at membership_as_at, not as declared.
    figures_from_register: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    entitlement_rule: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    card_vote_rule: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    quorum_percent: Mapped[int] = mapped_column(default=50)
    badge_layout: Mapped[BadgeLayout] = mapped_column(
        one_of(BadgeLayout, "known_badge_layout", 10),
        default=BadgeLayout.A4_8UP,
        server_default=BadgeLayout.A4_8UP.value,
    )
    # What the hall's screen shows: presence, or this ballot (the chair chooses).
    projector_ballot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="SET NULL", use_alter=True)
    )
    # Or this election's result (the chair chooses one thing at a time).
    projector_election_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("election.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sections: Mapped[list[Section]] = relationship(
        back_populates="conference", order_by="Section.position, Section.name"
    )

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        sa.CheckConstraint("quorum_percent BETWEEN 1 AND 100", name="quorum_percent_range"),
    )

    @property
    def rule(self) -> ent.EntitlementRule:
        """The entitlement rule as the engine reads it."""
        return ent.EntitlementRule.from_dict(self.entitlement_rule or {})

    @property
    def card_rule(self) -> ent.CardVoteRule:
        """The card-vote rule as the engine reads it."""
        return ent.CardVoteRule.from_dict(self.card_vote_rule or {})

    @property
    def deadline_passed(self) -> bool:
        """Whether registration has closed."""
        return utcnow() >= self.registration_deadline


class Section(db.Model):
    """A part of the conference whose card votes may be weighted (local groups, affiliates)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conference.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    weight: Mapped[int | None]  # percent of the result this section counts for; None: unweighted
    position: Mapped[int] = mapped_column(default=0)

    conference: Mapped[Conference] = relationship(back_populates="sections")

    __table_args__ = (
        sa.UniqueConstraint("conference_id", "name"),
        sa.CheckConstraint("weight IS NULL OR weight BETWEEN 0 AND 100", name="weight_range"),
    )


class Group(db.Model):
    """A local group, branch or affiliate that sends delegates, with its qualifying membership."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("section.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(200), default="")
    members: Mapped[int] = mapped_column(default=0)
    women_members: Mapped[int] = mapped_column(default=0)
    young_members: Mapped[int] = mapped_column(default=0)
    membership_as_at: Mapped[date | None]
    # The register's count at the conference's membership_as_at (None: no register), kept
    # current by every import (confapp/members/figures.py); used when the conference says so.
    register_members: Mapped[int | None]
    register_women_members: Mapped[int | None]
    register_young_members: Mapped[int | None]
    in_good_standing: Mapped[bool] = mapped_column(default=True)
    # Bumped by every change to the delegation: the UPDATE is the lock that serialises them.
    registration_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    conference: Mapped[Conference] = relationship()
    section: Mapped[Section] = relationship()
    secretary_grants: Mapped[list[RoleGrant]] = relationship(back_populates="group", viewonly=True)

    __table_args__ = (
        sa.UniqueConstraint("conference_id", "name"),
        sa.CheckConstraint("members >= 0", name="members_not_negative"),
        sa.CheckConstraint("women_members BETWEEN 0 AND members", name="women_within_members"),
        sa.CheckConstraint("young_members BETWEEN 0 AND members", name="young_within_members"),
    )

    @property
    def figures(self) -> ent.GroupFigures:
        """The figures the entitlement engine reads."""
        if self.conference.figures_from_register and self.register_members is not None:
            return ent.GroupFigures(
                members=self.register_members,
                women_members=self.register_women_members or 0,
                young_members=self.register_young_members or 0,
                in_good_standing=self.in_good_standing,
            )
        return ent.GroupFigures(
            members=self.members,
            women_members=self.women_members,
            young_members=self.young_members,
            in_good_standing=self.in_good_standing,
        )

    @cached_property
    def entitlement(self) -> ent.Entitlement:
        """Delegates and card vote under the conference's rule."""
        conference = self.conference
        return ent.entitle(conference.rule, conference.card_rule, self.figures)

    @property
    def secretaries(self) -> list[User]:
        """The users who register this group's delegates."""
        return [g.user for g in self.secretary_grants if g.role == Role.SECRETARY]


class RoleGrant(db.Model):
    """A user's role in one conference; a secretary's names the group."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(one_of(Role, "known_role", 20))
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("group.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
    conference: Mapped[Conference] = relationship()
    group: Mapped[Group | None] = relationship(back_populates="secretary_grants")

    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'secretary') = (group_id IS NOT NULL)", name="secretary_has_group"
        ),
        # COALESCE because NULLs are distinct in a plain unique index: one admin grant, not two.
        sa.Index(
            "uq_role_grant_once",
            "user_id",
            "conference_id",
            "role",
            sa.func.coalesce(group_id, 0),
            unique=True,
        ),
    )


class CredentialHolder(db.Model):
    """Someone besides the user who has had the means to log in as them: they saw a link."""

    # Such an account may hold roles only where each of these people is trusted too; a role
    # given beyond that starts its login afresh (confapp.auth.services.keep_login_trusted).

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    holder_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], back_populates="credential_holders")
    holder: Mapped[User] = relationship(foreign_keys=[holder_id])


class AuditEntry(db.Model):
    """One change on record: who did what to which record, when, before and after."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(sa.String(300))  # kept as text: survives the user's removal
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    entity_type: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[int | None]
    conference_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="SET NULL"), index=True
    )
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity_type", "entity_id"),)


class PassType(enum.StrEnum):
    """What a badge lets its holder do; only delegates (and seated alternates) vote."""

    DELEGATE = "delegate"
    ALTERNATE = "alternate"
    VISITOR = "visitor"
    OBSERVER = "observer"
    PRESS = "press"
    STAFF = "staff"


class Status(enum.StrEnum):
    """Where a registration stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REPLACED = "replaced"


# Registrations that hold a seat (or an alternate's place) and block a second registration.
ACTIVE_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED)
VOTING_PASSES = (PassType.DELEGATE, PassType.ALTERNATE)
BASE_SEAT = "base"

_ACTIVE_SQL = (
    "status IN ('draft', 'submitted', 'approved') AND pass_type IN ('delegate', 'alternate')"
)


class Delegate(db.Model):
    """A person registered by a group: delegate, alternate, or a non-voting pass."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("group.id", ondelete="CASCADE"), index=True)
    pass_type: Mapped[PassType] = mapped_column(
        one_of(PassType, "known_pass_type", 20), default=PassType.DELEGATE
    )
    seat: Mapped[str | None] = mapped_column(sa.String(100))  # "base" or a reserved seat's label
    alternate_rank: Mapped[int | None]
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # Equality facts: asked only when the rule uses them, shown only to the secretary and admins.
    is_woman: Mapped[bool | None]
    is_young: Mapped[bool | None]
    is_low_paid: Mapped[bool | None]
    elected_on: Mapped[date | None]
    elected_at: Mapped[str] = mapped_column(sa.String(200), default="")  # the meeting's kind
    # Checked against the register when the conference has one (confapp/members/standing.py).
    membership_number: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    # The committee's recorded reason for accepting someone the register does not show.
    member_override: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    status: Mapped[Status] = mapped_column(
        one_of(Status, "known_status", 20), default=Status.DRAFT, index=True
    )
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # An alternate seated on the day in place of an absent delegate.
    seated_for_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegate.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    group: Mapped[Group] = relationship()
    decided_by: Mapped[User | None] = relationship()
    seated_for: Mapped[Delegate | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint(
            "(pass_type = 'delegate') = (seat IS NOT NULL)", name="seat_for_delegates"
        ),
        sa.CheckConstraint(
            "(pass_type = 'alternate') = (alternate_rank IS NOT NULL)", name="rank_for_alternates"
        ),
        # One person, one voting registration per conference (the database has the last word).
        sa.Index(
            "uq_delegate_person",
            "conference_id",
            "email",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
    )

    @property
    def is_active(self) -> bool:
        """Whether this registration holds its place."""
        return self.status in ACTIVE_STATUSES

    @property
    def seat_label(self) -> str:
        """How the seat is named to people."""
        if self.pass_type == PassType.DELEGATE:
            return "delegate" if self.seat == BASE_SEAT else self.seat
        if self.pass_type == PassType.ALTERNATE:
            return f"alternate {self.alternate_rank}"
        return self.pass_type


class Substitution(db.Model):
    """A request to replace a delegate after the deadline, and the committee's decision."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("group.id", ondelete="CASCADE"), index=True)
    outgoing_id: Mapped[int] = mapped_column(sa.ForeignKey("delegate.id", ondelete="CASCADE"))
    # The incoming person: an alternate of the group, or a new registration made for the request.
    incoming_id: Mapped[int] = mapped_column(sa.ForeignKey("delegate.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[SubstitutionStatus] = mapped_column(
        one_of(SubstitutionStatus, "known_substitution_status", 20),
        default=SubstitutionStatus.PENDING,
        index=True,
    )
    decision_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    group: Mapped[Group] = relationship()
    outgoing: Mapped[Delegate] = relationship(foreign_keys=[outgoing_id])
    incoming: Mapped[Delegate] = relationship(foreign_keys=[incoming_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        # At most one open request per outgoing delegate.
        sa.Index(
            "uq_substitution_open",
            "outgoing_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )


class Credential(db.Model):
    """A badge's code: issued on approval, revoked on reissue, kept so a scan can say so."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    delegate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("delegate.id", ondelete="CASCADE"), index=True
    )
    # Upper-case letters and digits only: a QR code's compact alphanumeric mode.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    printed_at: Mapped[datetime | None]  # the last print run that included this badge

    delegate: Mapped[Delegate] = relationship()

    __table_args__ = (
        # At most one live code per person: a reissue revokes the old one in the same commit.
        sa.Index(
            "uq_credential_live",
            "delegate_id",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    @property
    def is_revoked(self) -> bool:
        """Whether this code no longer admits anyone."""
        return self.revoked_at is not None


class PrintJob(db.Model):
    """A badge or card print run: its progress and, when done, its PDF (any worker can serve it)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    kind: Mapped[PrintKind] = mapped_column(
        one_of(PrintKind, "known_kind", 10), default=PrintKind.BADGES
    )
    scope: Mapped[PrintScope] = mapped_column(
        one_of(PrintScope, "known_scope", 10), default=PrintScope.ALL
    )
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("group.id", ondelete="SET NULL"))
    layout: Mapped[BadgeLayout] = mapped_column(
        one_of(BadgeLayout, "known_layout", 10), default=BadgeLayout.A4_8UP
    )
    status: Mapped[JobStatus] = mapped_column(
        one_of(JobStatus, "known_job_status", 10), default=JobStatus.QUEUED
    )
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    requested_by: Mapped[User | None] = relationship()
    group: Mapped[Group | None] = relationship()


class Direction(enum.StrEnum):
    """Which way a scan lets someone through a door."""

    IN = "in"
    OUT = "out"


class Door(db.Model):
    """An entrance where stewards scan badges."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("conference_id", "name"),)


class DeviceToken(db.Model):
    """A scanner's key to the scan API, made and revoked by the committee; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    door_id: Mapped[int] = mapped_column(sa.ForeignKey("door.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    door: Mapped[Door] = relationship()
    created_by: Mapped[User | None] = relationship()


class ScanStatus(enum.StrEnum):
    """The answer to a scan."""

    OK = "ok"
    REFUSED = "refused"


class ScanReason(enum.StrEnum):
    """Why a scan was refused."""

    ALREADY_INSIDE = "already_inside"
    NOT_INSIDE = "not_inside"
    REVOKED = "revoked"
    NOT_APPROVED = "not_approved"
    UNKNOWN = "unknown"
    OTHER_CONFERENCE = "other_conference"


class Scan(db.Model):
    """One scan at a door, admitted or refused, online or uploaded late: never deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conference.id", ondelete="CASCADE"))
    # The scanning device ("t" + token hash prefix, or the user and browser) and its nonce:
    # a retried request carries both again and is answered from the first.
    device: Mapped[str] = mapped_column(sa.String(80))
    nonce: Mapped[str] = mapped_column(sa.String(64))
    direction: Mapped[Direction] = mapped_column(one_of(Direction, "known_direction", 3))
    door_id: Mapped[int | None] = mapped_column(sa.ForeignKey("door.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(sa.String(40), default="")  # as scanned, cut short
    credential_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("credential.id", ondelete="SET NULL")
    )
    delegate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegate.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    device_token_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("device_token.id", ondelete="SET NULL")
    )
    scanned_at: Mapped[datetime]  # on the device's clock (UTC), never in the future
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_offline: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ScanStatus] = mapped_column(one_of(ScanStatus, "known_scan_status", 10))
    reason: Mapped[ScanReason | None] = mapped_column(one_of(ScanReason, "known_scan_reason", 20))
    # An offline scan the server would have refused: the device let someone through on its own.
    is_flagged: Mapped[bool] = mapped_column(default=False)
    manual_reason: Mapped[str] = mapped_column(sa.String(300), default="")  # admitted by name
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    door: Mapped[Door | None] = relationship()
    delegate: Mapped[Delegate | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def result(self) -> str:
        """admitted, left, or the reason it was refused."""
        if self.status == ScanStatus.OK:
            return "admitted" if self.direction == Direction.IN else "left"
        return self.reason or ""

    device_token: Mapped[DeviceToken | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("device", "nonce", name="uq_scan_device_nonce"),
        sa.Index("ix_scan_conference_received", "conference_id", "received_at"),
        sa.Index("ix_scan_delegate", "delegate_id", "scanned_at"),
    )


class Presence(db.Model):
    """Whether a person is inside now, since when and by which door: one row per person."""

    delegate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("delegate.id", ondelete="CASCADE"), primary_key=True
    )
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    is_inside: Mapped[bool] = mapped_column(default=False)
    door_id: Mapped[int | None] = mapped_column(sa.ForeignKey("door.id", ondelete="SET NULL"))
    since: Mapped[datetime]

    delegate: Mapped[Delegate] = relationship()
    door: Mapped[Door | None] = relationship()


class BallotKind(enum.StrEnum):
    """What is put to the conference."""

    MOTION = "motion"
    COMPOSITE = "composite"
    RULE_CHANGE = "rule_change"
    EMERGENCY_MOTION = "emergency_motion"


class BallotState(enum.StrEnum):
    """Where a ballot stands; a declared ballot never changes (a recount is a new ballot)."""

    DRAFT = "draft"
    SHOW_OF_HANDS = "show_of_hands"
    CARD_VOTE_OPEN = "card_vote_open"
    COUNTING = "counting"
    DECLARED = "declared"


class Ballot(db.Model):
    """A motion or rule change put to the conference, its show of hands and card vote."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    session: Mapped[str] = mapped_column(sa.String(100), default="")  # e.g. "Saturday morning"
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[BallotKind] = mapped_column(
        one_of(BallotKind, "known_ballot_kind", 20), default=BallotKind.MOTION
    )
    majority: Mapped[str] = mapped_column(sa.String(20), default="simple")  # tally.Majority text
    mode: Mapped[BallotMode] = mapped_column(
        one_of(BallotMode, "known_ballot_mode", 10), default=BallotMode.BLOCK
    )
    state: Mapped[BallotState] = mapped_column(
        one_of(BallotState, "known_ballot_state", 20), default=BallotState.DRAFT
    )
    hands: Mapped[HandsResult | None] = mapped_column(one_of(HandsResult, "known_hands_result", 20))
    recount_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="SET NULL")
    )
    # Bumped by every change under the ballot's row lock: entries and declaration serialise.
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]  # the card vote opened: the roll was frozen
    declared_at: Mapped[datetime | None]
    declared_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    is_carried: Mapped[bool | None]
    result: Mapped[dict | None] = mapped_column(sa.JSON)  # the declared figures, as announced

    recount_of: Mapped[Ballot | None] = relationship(remote_side=[id])
    declared_by: Mapped[User | None] = relationship()

    @property
    def is_card_vote(self) -> bool:
        """Whether a card vote was (or is being) taken."""
        return self.opened_at is not None


class RollEntry(db.Model):
    """A delegation on a card vote's frozen roll: its votes present when the vote opened."""

    ballot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("group.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int]  # the order the tellers walk the hall
    group_name: Mapped[str] = mapped_column(sa.String(200))  # as on the day: kept with the result
    section: Mapped[str] = mapped_column(sa.String(100))
    section_weight: Mapped[int | None]
    votes: Mapped[int]  # the card vote present
    delegates_present: Mapped[int]

    __table_args__ = (sa.CheckConstraint("votes >= 0", name="votes_not_negative"),)


class RollShare(db.Model):
    """In split mode, a present delegate's share of the delegation's vote (frozen at opening)."""

    ballot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True
    )
    delegate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("delegate.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("group.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    share: Mapped[int]


class TellerSheet(db.Model):
    """One of a ballot's two independent counts, and the teller who keeps it."""

    ballot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True
    )
    sheet: Mapped[int] = mapped_column(primary_key=True)  # 1 or 2
    teller_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)

    teller: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "teller_id", name="uq_teller_sheet_once"),
        sa.CheckConstraint("sheet IN (1, 2)", name="two_sheets"),
    )


class TellerEntry(db.Model):
    """A delegation's vote as one teller entered it; a correction adds a row, never edits one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("ballot.id", ondelete="CASCADE"))
    sheet: Mapped[int]
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("group.id", ondelete="CASCADE"))
    teller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    for_votes: Mapped[int] = mapped_column(default=0)
    against_votes: Mapped[int] = mapped_column(default=0)
    abstain_votes: Mapped[int] = mapped_column(default=0)
    choices: Mapped[dict | None] = mapped_column(sa.JSON)  # split mode: delegate id -> choice
    card_code: Mapped[str] = mapped_column(sa.String(40), default="")  # entered by card scan
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_current: Mapped[bool] = mapped_column(default=True)

    teller: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.Index(
            "uq_teller_entry_current",
            "ballot_id",
            "sheet",
            "group_id",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
        sa.Index("ix_teller_entry_ballot", "ballot_id", "sheet"),
        sa.CheckConstraint(
            "for_votes >= 0 AND against_votes >= 0 AND abstain_votes >= 0",
            name="entries_not_negative",
        ),
    )


# Areas' own tables, after the shared ones they refer to.
from confapp.models.elections import (  # noqa: E402,F401
    Candidate,
    CandidateOrder,
    Election,
    ElectionCategory,
    ElectionEntry,
    ElectionPaper,
    ElectionRule,
    ElectionState,
    ElectionWeighting,
    candidate_category,
)
from confapp.models.members import (  # noqa: E402,F401
    Electorate,
    EmailStatus,
    Member,
    MemberBallot,
    MemberBallotState,
    MemberOption,
    MemberQuestion,
    MemberVote,
    QuestionKind,
    Voter,
)
