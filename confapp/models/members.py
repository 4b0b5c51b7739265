"""The member register and members' ballots (one member, one vote).

Secrecy is in the shape of the tables: `Voter` says who may vote and whether they have;
`MemberVote` holds what was voted. No key, sequence or timestamp joins or orders one against
the other: a vote fills one of the ballot's blank papers, made beforehand in random order
with random ids, chosen at random when cast (see confapp/members/casting.py).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from confapp.extensions import db
from confapp.models import Conference, Group, User, one_of, utcnow


class Member(db.Model):
    """One member of the organisation, on the conference's register."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(sa.String(40))  # the membership number, as issued
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254), default="")  # lower case
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("group.id", ondelete="CASCADE"), index=True)
    joined_on: Mapped[date]
    in_good_standing: Mapped[bool] = mapped_column(default=True)
    left_on: Mapped[date | None]  # set when a member leaves: kept on the register as lapsed
    # Sensitive facts a rule or quota may need ({"woman": true, "young": false}): the
    # committee sees them; exports leave them out unless asked.
    attributes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    conference: Mapped[Conference] = relationship()
    group: Mapped[Group] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("conference_id", "number", name="uq_member_number"),
        sa.Index("ix_member_email", "conference_id", "email"),
    )

    @property
    def is_lapsed(self) -> bool:
        """Whether the member has left."""
        return self.left_on is not None

    @property
    def standing(self) -> str:
        """How the register describes the member: in good standing, in arrears, or lapsed."""
        if self.is_lapsed:
            return "lapsed"
        return "in good standing" if self.in_good_standing else "in arrears"

    def counts_on(self, day: date) -> bool:
        """Whether the member counted on `day`: joined by then, not left, in good standing."""
        return (
            self.joined_on <= day
            and (self.left_on is None or self.left_on > day)
            and self.in_good_standing
        )


class MemberBallotState(enum.StrEnum):
    """Where a members' ballot stands; open and closed follow from its times once on the roll."""

    DRAFT = "draft"  # questions and electorate being set
    ROLL = "roll"  # electorate frozen, voters listed, links may be sent; opens at opens_at
    PUBLISHED = "published"  # closed, counted, receipts and ballots published


class Electorate(enum.StrEnum):
    """Who votes in a members' ballot."""

    ALL = "all"  # every member in good standing at the freeze date
    REGION = "region"
    GROUP = "group"
    SECTION = "section"


class QuestionKind(enum.StrEnum):
    """What a question asks."""

    YES_NO = "yes_no"
    CHOOSE_ONE = "choose_one"
    CHOOSE_UP_TO = "choose_up_to"  # choose up to max_choices options
    STV = "stv"  # rank the options (candidates); counted by confapp.elections with quotas


class EmailStatus(enum.StrEnum):
    """Where a voter's link stands on its way to them."""

    PENDING = "pending"  # no link sent yet
    QUEUED = "queued"  # handed to the job queue
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # the server could not be reached or refused for now: retry
    BOUNCED = "bounced"  # the address was refused or the message came back


class MemberBallot(db.Model):
    """A ballot of the members: one or more questions, an electorate, opening and closing times."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[datetime]  # UTC
    closes_at: Mapped[datetime]  # UTC
    electorate: Mapped[Electorate] = mapped_column(
        one_of(Electorate, "known_electorate", 20), default=Electorate.ALL
    )
    # The region's name, or the group's or section's id, for a narrower electorate.
    electorate_value: Mapped[str] = mapped_column(sa.String(200), default="")
    frozen_on: Mapped[date]  # members in good standing on this day make up the electorate
    state: Mapped[MemberBallotState] = mapped_column(
        one_of(MemberBallotState, "known_member_ballot_state", 20),
        default=MemberBallotState.DRAFT,
    )
    # A question the conference referred to the members.
    referred_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ballot.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=0)  # bumped by each change: see lock_row
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    roll_made_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    result: Mapped[dict | None] = mapped_column(sa.JSON)  # the count, as published

    questions: Mapped[list[MemberQuestion]] = relationship(
        back_populates="ballot", order_by="MemberQuestion.position", cascade="all, delete-orphan"
    )
    conference: Mapped[Conference] = relationship()
    published_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    def phase(self, now: datetime) -> str:
        """draft, roll (before opening), open, closed (not yet published), or published."""
        if self.state != MemberBallotState.ROLL:
            return self.state.value
        if now < self.opens_at:
            return "roll"
        return "open" if now < self.closes_at else "closed"


class MemberQuestion(db.Model):
    """One question on a members' ballot paper."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("member_ballot.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(one_of(QuestionKind, "known_question_kind", 20))
    title: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    majority: Mapped[str] = mapped_column(sa.String(20), default="simple")  # yes/no: tally.Majority
    # yes/no: carried only if at least this percent of the electorate voted (None: no threshold)
    turnout_threshold: Mapped[int | None]
    max_choices: Mapped[int | None]  # choose up to N
    seats: Mapped[int | None]  # STV
    rule: Mapped[str] = mapped_column(sa.String(20), default="scottish")  # STV: scottish | meek
    # STV quotas by category: {"woman": [min, max or null]}; options carry their categories.
    quotas: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    ballot: Mapped[MemberBallot] = relationship(back_populates="questions")
    options: Mapped[list[MemberOption]] = relationship(
        back_populates="question", order_by="MemberOption.position", cascade="all, delete-orphan"
    )


class MemberOption(db.Model):
    """A choice on a question, or a candidate in a members' election."""

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("member_question.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(200))
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    categories: Mapped[list] = mapped_column(sa.JSON, default=list)  # quota categories (STV)

    question: Mapped[MemberQuestion] = relationship(back_populates="options")


class Voter(db.Model):
    """A member on a ballot's roll: their link, its e-mail's fate, and whether they have voted.

    Deliberately no time of voting and no updated-at: nothing here orders the voters by when
    they voted, so nothing can be laid beside the votes.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("member_ballot.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("member.id", ondelete="CASCADE"))
    # As at the freeze date, for turnout by group and region.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("group.id", ondelete="SET NULL"))
    region: Mapped[str] = mapped_column(sa.String(200), default="")
    # SHA-256 of the voting code in the member's link; the code itself is never stored.
    code_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    has_voted: Mapped[bool] = mapped_column(default=False)
    email_status: Mapped[EmailStatus] = mapped_column(
        one_of(EmailStatus, "known_email_status", 20), default=EmailStatus.PENDING
    )
    email_error: Mapped[str] = mapped_column(sa.String(500), default="")
    emailed_at: Mapped[datetime | None]  # when the last link was handed to the SMTP server
    sends: Mapped[int] = mapped_column(default=0)  # links sent so far (each replaces the last)

    member: Mapped[Member] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("ballot_id", "member_id", name="uq_voter_member"),
        # A ballot's voters, and one group's of them (the turnout page's list of who voted).
        sa.Index("ix_voter_ballot_group", "ballot_id", "group_id"),
    )


class MemberVote(db.Model):
    """One ballot paper of a members' ballot: blank until cast, then its choices and receipt.

    A ballot's papers are made all at once when its roll is made, one per voter, with random
    ids in random order; casting fills a blank one chosen at random. Spare room on each page
    (fillfactor) lets PostgreSQL update a paper where it lies, so its place says nothing either.
    """

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # random hex
    ballot_id: Mapped[int] = mapped_column(sa.ForeignKey("member_ballot.id", ondelete="CASCADE"))
    is_cast: Mapped[bool] = mapped_column(default=False)
    receipt: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    # {"<question id>": "yes" | "no" | "abstain" | [option ids, in order of preference]}
    choices: Mapped[dict | None] = mapped_column(sa.JSON)

    __table_args__ = (
        sa.Index("ix_member_vote_blank", "ballot_id", "is_cast", "id"),
        {"postgresql_with": {"fillfactor": 50}},
    )
