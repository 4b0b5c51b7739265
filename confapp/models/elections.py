"""The elections' tables: an election, its quota categories, candidates, papers and entries.

The count itself is pure (confapp/elections/); these rows hold what it reads (the papers as
two tellers entered them) and what it returned (the stored count sheet, as declared).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from confapp.extensions import db
from confapp.models import User, one_of, utcnow


class ElectionRule(enum.StrEnum):
    """How the count runs: the Scottish Order's STV, or Meek STV."""

    SCOTTISH = "scottish"
    MEEK = "meek"


class ElectionWeighting(enum.StrEnum):
    """What a paper is worth: one delegate one vote, a delegate's share, a delegation's vote."""

    ONE_EACH = "one_each"
    SPLIT = "split"
    BLOCK = "block"


class CandidateOrder(enum.StrEnum):
    """The order of names on the paper: alphabetical, or drawn from the election's seed."""

    ALPHABETICAL = "alphabetical"
    DRAWN = "drawn"


class ElectionState(enum.StrEnum):
    """Where an election stands, in the order it moves."""

    NOMINATIONS = "nominations"  # set up, candidates being nominated
    POLLING = "polling"  # papers issued, tellers entering them
    COUNTED = "counted"  # the count has run; the chair has not declared
    DECLARED = "declared"


candidate_category = sa.Table(
    "candidate_category",
    db.metadata,
    sa.Column("candidate_id", sa.ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "category_id",
        sa.ForeignKey("election_category.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Election(db.Model):
    """A committee or post the conference elects by STV, with its seats, rule and quotas."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    seats: Mapped[int]
    rule: Mapped[ElectionRule] = mapped_column(
        one_of(ElectionRule, "known_election_rule", 10), default=ElectionRule.SCOTTISH
    )
    weighting: Mapped[ElectionWeighting] = mapped_column(
        one_of(ElectionWeighting, "known_election_weighting", 10),
        default=ElectionWeighting.ONE_EACH,
    )
    candidate_order: Mapped[CandidateOrder] = mapped_column(
        one_of(CandidateOrder, "known_candidate_order", 15), default=CandidateOrder.ALPHABETICAL
    )
    state: Mapped[ElectionState] = mapped_column(
        one_of(ElectionState, "known_election_state", 15), default=ElectionState.NOMINATIONS
    )
    nominations_close_at: Mapped[datetime | None]  # UTC
    polling_closes_at: Mapped[datetime | None]  # UTC; when voting ends (tellers type after it)
    # Drawn when polling opens, before any paper: orders a drawn paper and breaks final ties.
    seed: Mapped[str] = mapped_column(sa.String(64), default="")
    # Bumped by every change under the election's row lock: entries, count and declaration.
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    polling_opened_at: Mapped[datetime | None]
    counted_at: Mapped[datetime | None]
    declared_at: Mapped[datetime | None]
    declared_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    result: Mapped[dict | None] = mapped_column(sa.JSON)  # the count sheet, as counted

    categories: Mapped[list[ElectionCategory]] = relationship(
        back_populates="election", order_by="ElectionCategory.name", cascade="all, delete-orphan"
    )
    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="election",
        order_by="Candidate.position, Candidate.name",
        cascade="all, delete-orphan",
    )
    declared_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.CheckConstraint("seats >= 1", name="at_least_one_seat"),)


class ElectionCategory(db.Model):
    """A quota: at least `min_seats` (and at most `max_seats`) of the elected from a category."""

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        sa.ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    min_seats: Mapped[int] = mapped_column(default=0)
    max_seats: Mapped[int | None]

    election: Mapped[Election] = relationship(back_populates="categories")

    __table_args__ = (
        sa.UniqueConstraint("election_id", "name", name="uq_election_category_name"),
        sa.CheckConstraint("min_seats >= 0", name="min_not_negative"),
        sa.CheckConstraint("max_seats IS NULL OR max_seats >= min_seats", name="max_not_below_min"),
    )


class Candidate(db.Model):
    """Someone standing: nominated by a group or a delegate, with a statement and categories."""

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        sa.ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("group.id", ondelete="SET NULL"))
    nominated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    # Checked against the register when the conference has one (confapp/members/standing.py).
    membership_number: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    member_override: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    position: Mapped[int | None]  # place on the paper, fixed when polling opens
    withdrawn_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    election: Mapped[Election] = relationship(back_populates="candidates")
    categories: Mapped[list[ElectionCategory]] = relationship(secondary=candidate_category)

    __table_args__ = (sa.UniqueConstraint("election_id", "position", name="uq_candidate_position"),)


class ElectionPaper(db.Model):
    """A ballot paper issued when polling opened: its serial number and what it is worth."""

    election_id: Mapped[int] = mapped_column(
        sa.ForeignKey("election.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True)  # printed on the paper
    value: Mapped[int] = mapped_column(default=1)  # votes it carries (printed too)
    # Block weighting only: whose paper it is (a delegation's vote is public, as on the floor).
    label: Mapped[str] = mapped_column(sa.String(200), default="")

    __table_args__ = (sa.CheckConstraint("value >= 1", name="paper_value_positive"),)


class ElectionEntry(db.Model):
    """One paper as one teller typed it; a correction adds a row, never edits one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(sa.ForeignKey("election.id", ondelete="CASCADE"))
    sheet: Mapped[int]  # 1 or 2: the two tellers' independent entries
    paper_number: Mapped[int]
    # The candidates' places on the paper in order of preference, e.g. "3 1 4"; "" is blank.
    preferences: Mapped[str] = mapped_column(sa.String(400), default="")
    teller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_current: Mapped[bool] = mapped_column(default=True)

    teller: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["election_id", "paper_number"],
            ["election_paper.election_id", "election_paper.number"],
            ondelete="CASCADE",
        ),
        sa.Index(
            "uq_election_entry_current",
            "election_id",
            "sheet",
            "paper_number",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
        sa.CheckConstraint("sheet IN (1, 2)", name="election_two_sheets"),
    )
