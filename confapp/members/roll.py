"""The roll of a members' ballot: who may vote, frozen once, with one blank paper each.

Making the roll freezes the electorate (members in good standing on the ballot's freeze
date, of the whole organisation or one region, group or section), lists each as a Voter,
and makes as many blank papers (MemberVote) with random ids, inserted in random order:
casting fills one chosen at random, so neither ids nor row order say who cast which.
"""

from __future__ import annotations

import random
import secrets

import sqlalchemy as sa

from confapp import audit
from confapp.database import lock_row
from confapp.extensions import db
from confapp.members.codes import new_paper_id
from confapp.models import (
    Electorate,
    Group,
    Member,
    MemberBallot,
    MemberBallotState,
    MemberVote,
    Voter,
    utcnow,
)


class RollError(ValueError):
    """The roll cannot be made; the message says why."""


def electorate_query(ballot: MemberBallot) -> sa.Select:
    """(member id, group id, region) of everyone entitled to vote in the ballot."""
    day = ballot.frozen_on
    query = (
        sa.select(Member.id, Member.group_id, Group.region)
        .join(Group, Group.id == Member.group_id)
        .where(
            Member.conference_id == ballot.conference_id,
            Member.joined_on <= day,
            sa.or_(Member.left_on.is_(None), Member.left_on > day),
            Member.in_good_standing.is_(True),
        )
        .order_by(Member.id)
    )
    value = ballot.electorate_value
    if ballot.electorate == Electorate.REGION:
        query = query.where(Group.region == value)
    elif ballot.electorate == Electorate.GROUP:
        query = query.where(Member.group_id == _as_id(value))
    elif ballot.electorate == Electorate.SECTION:
        query = query.where(Group.section_id == _as_id(value))
    return query


def _as_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise RollError(f"The electorate names no group or section ({value!r}).") from None


def make_roll(ballot: MemberBallot, *, actor=None) -> int:
    """Freeze the electorate: voters and blank papers made, the ballot on the roll; committed.

    Returns how many may vote. Refused (RollError, nothing changed) unless the ballot is a
    draft with at least one question, its elections can meet their quotas, it has not closed,
    its freeze date has come, and somebody is entitled to vote.
    """
    from confapp.members.ballots import roll_problem

    lock_row(ballot)
    if problem := roll_problem(ballot):
        raise RollError(problem)
    electorate = db.session.execute(electorate_query(ballot)).all()
    if not electorate:
        raise RollError(
            f"Nobody is entitled to vote: no member in good standing on "
            f"{ballot.frozen_on:%-d %B %Y} in this electorate."
        )
    db.session.execute(
        sa.insert(Voter),
        [
            {
                "ballot_id": ballot.id,
                "member_id": member_id,
                "group_id": group_id,
                "region": region or "",
                "has_voted": False,
                "email_status": "pending",
                "email_error": "",
                "sends": 0,
            }
            for member_id, group_id, region in electorate
        ],
    )
    papers = [new_paper_id() for _ in electorate]
    random.Random(secrets.randbits(64)).shuffle(papers)  # ids are random; so is their order
    db.session.execute(
        sa.insert(MemberVote),
        [{"id": paper, "ballot_id": ballot.id, "is_cast": False} for paper in papers],
    )
    ballot.state = MemberBallotState.ROLL
    ballot.roll_made_at = utcnow()
    audit.record(
        "member_ballot.roll_made",
        ballot,
        after={"voters": len(electorate), "frozen_on": ballot.frozen_on.isoformat()},
        summary=f"Roll of {ballot.title} made: {len(electorate)} may vote",
        conference_id=ballot.conference_id,
        actor=actor,
    )
    db.session.commit()
    return len(electorate)
