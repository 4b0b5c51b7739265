"""The members' part of the permission tests' world: a register and members' ballots.

`add` returns the ids the members' URL rules name. Each area adds its own rows in its own
function below (register, ballots, voting), so no two hands edit one function.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from confapp.extensions import db
from confapp.models import (
    Member,
    MemberBallot,
    MemberQuestion,
    QuestionKind,
    utcnow,
)


def add(conference, leeds, york) -> dict[str, object]:
    """Members of Leeds and York, and a draft members' ballot; committed."""
    ids: dict[str, object] = {}
    ids |= _register(conference, leeds, york)
    ids |= _ballots(conference)
    ids |= _voting(conference)
    ids |= _standing(conference)
    db.session.commit()
    return ids


def _register(conference, leeds, york) -> dict[str, object]:
    """Ann and Bob of Leeds, Eve of York: the <member_id> is Ann."""
    joined = date(2020, 1, 1)
    ann = Member(
        conference_id=conference.id,
        number="L0001",
        name="Ann",
        email="ann@leeds.example.org",
        group=leeds,
        joined_on=joined,
        attributes={"woman": True},
    )
    bob = Member(
        conference_id=conference.id,
        number="L0002",
        name="Bob",
        email="bob@leeds.example.org",
        group=leeds,
        joined_on=joined,
    )
    eve = Member(
        conference_id=conference.id,
        number="Y0001",
        name="Eve",
        email="eve@york.example.org",
        group=york,
        joined_on=joined,
    )
    db.session.add_all([ann, bob, eve])
    db.session.flush()
    return {"member_id": ann.id}


def _ballots(conference) -> dict[str, object]:
    """A draft members' ballot with one yes/no question: the <member_ballot_id>."""
    now = utcnow()
    ballot = MemberBallot(
        conference_id=conference.id,
        title="Members' referendum",
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=8),
        frozen_on=now.date(),
    )
    ballot.questions.append(
        MemberQuestion(kind=QuestionKind.YES_NO, title="Should we affiliate?", position=1)
    )
    db.session.add(ballot)
    db.session.flush()
    return {"member_ballot_id": ballot.id, "question_id": ballot.questions[0].id}


def _voting(conference) -> dict[str, object]:
    """A voting code no voter holds: the <code> of the voting pages."""
    return {"code": "not-a-real-code"}


def _standing(conference) -> dict[str, object]:
    """The first candidate of the world's election: the <candidate_id> of the override.

    The register shows Ann, Bob and Eve (by e-mail); the world's other registrations (Cat,
    Dan, Fay) are accepted by the committee with a reason, so that they go through the pages
    as they did before the conference had a register.
    """
    from confapp.models import Candidate, Delegate, Election

    for person in db.session.scalars(
        sa.select(Delegate).where(
            Delegate.conference_id == conference.id, Delegate.name.in_(["Cat", "Dan", "Fay"])
        )
    ):
        person.member_override = "Joined after the register was sent"
    candidate = db.session.scalars(
        sa.select(Candidate)
        .join(Election)
        .where(Election.conference_id == conference.id)
        .order_by(Candidate.id)
        .limit(1)
    ).one()
    return {"candidate_id": candidate.id}
