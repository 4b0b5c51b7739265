"""The demo's members: a register of 21,000 for its 150 groups, a referendum, an election.

Every demo delegate is on the register (by e-mail and membership number) as a member of
their group, so the register's checks pass; the register differs a little from the declared
figures (joiners since, a few lapsed or in arrears), so the figures page shows differences.
The referendum has closed and is published (its result and receipts can be read); the
committee election with quotas is open, and one member's voting link is printed.
"""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from confapp import audit
from confapp.extensions import db
from confapp.members import codes, roll
from confapp.models import (
    Conference,
    Delegate,
    Group,
    MemberBallot,
    MemberOption,
    MemberQuestion,
    MemberVote,
    QuestionKind,
    Voter,
    utcnow,
)
from confapp.models import Member as MemberRow

# The demo member whose link `make run` prints, so a newcomer can vote in the election.
DEMO_VOTER_NUMBER = "LGN000001"
DEMO_VOTER_CODE = "demo-member-voting-link"
REFERENDUM = "Members' referendum: joining the Climate Coalition"
ELECTION = "National committee election"
CANDIDATES = [
    ("Aisha Rahman", ["woman", "young"]),
    ("Bryn Davies", []),
    ("Chloe Martin", ["woman"]),
    ("Dev Patel", ["young"]),
    ("Eilidh Fraser", ["woman"]),
    ("Femi Adeyemi", []),
    ("Gwen Roberts", ["woman"]),
    ("Hamza Iqbal", []),
    ("Isla Murray", ["woman"]),
    ("Jack Thompson", []),
]


def add_members(conference: Conference, groups: list[Group], rng: random.Random) -> int:
    """The register: each group's declared members, give or take, with its delegates on it."""
    freeze = conference.membership_as_at
    delegates = db.session.execute(
        sa.select(Delegate.id, Delegate.group_id, Delegate.name, Delegate.email).where(
            Delegate.conference_id == conference.id
        )
    ).all()
    by_group: dict[int, list] = {}
    for row in delegates:
        by_group.setdefault(row.group_id, []).append(row)
    rows, numbers = [], {}
    for group in groups:
        people = by_group.get(group.id, [])
        # Most registers agree with the declaration; some groups have grown or shrunk.
        drift = rng.choice([0, 0, 0, 0, 1, 2, -1, -3, 5])
        count = max(len(people), group.members + drift)
        women = group.women_members
        for index in range(count):
            n = len(rows) + 1
            number = f"LGN{n:06d}"
            if index < len(people):
                name, email = people[index].name, people[index].email
                numbers[people[index].id] = number
            else:
                name, email = f"Member {n}", f"member{n}@example.org"
            rows.append(
                {
                    "conference_id": conference.id,
                    "number": number,
                    "name": name,
                    "email": email,
                    "group_id": group.id,
                    "joined_on": freeze - timedelta(days=rng.randint(30, 4000)),
                    "in_good_standing": True,
                    "left_on": None,
                    "attributes": {"woman": index < women, "young": rng.random() < 0.13},
                }
            )
        # Some who have left (kept as lapsed) and a few in arrears, beyond the count.
        for _ in range(rng.choice([0, 1, 2])):
            n = len(rows) + 1
            rows.append(
                {
                    "conference_id": conference.id,
                    "number": f"LGN{n:06d}",
                    "name": f"Member {n}",
                    "email": f"member{n}@example.org",
                    "group_id": group.id,
                    "joined_on": freeze - timedelta(days=rng.randint(400, 4000)),
                    "in_good_standing": rng.random() < 0.5,
                    "left_on": freeze - timedelta(days=rng.randint(1, 300)),
                    "attributes": {},
                }
            )
    now = utcnow()
    for row in rows:
        row["created_at"] = row["updated_at"] = now
    db.session.execute(sa.insert(MemberRow), rows)
    for delegate_id, number in numbers.items():
        db.session.execute(
            sa.update(Delegate).where(Delegate.id == delegate_id).values(membership_number=number)
        )
    audit.record("member.import", conference, summary=f"demo: {len(rows)} members on the register")
    db.session.commit()
    _refresh_figures(conference)
    return len(rows)


def _refresh_figures(conference: Conference) -> None:
    """The groups' register counts at the freeze date (the register's own module, when present)."""
    from confapp.members import figures

    figures.refresh(conference)
    db.session.commit()


def add_ballots(conference: Conference, rng: random.Random) -> str:
    """A referendum closed and published, and an election with quotas open now."""
    referendum = _referendum(conference, rng)
    _election(conference)
    return f"a members' referendum published ({referendum}) and an election open"


def _referendum(conference: Conference, rng: random.Random) -> str:
    now = utcnow()
    ballot = MemberBallot(
        conference_id=conference.id,
        title=REFERENDUM,
        description="Referred by the last conference: should the network join the coalition?",
        opens_at=now - timedelta(days=14),
        closes_at=now - timedelta(days=1),
        frozen_on=conference.membership_as_at,
    )
    ballot.questions.append(
        MemberQuestion(
            position=1,
            kind=QuestionKind.YES_NO,
            title="Should the network join the Climate Coalition?",
            majority="simple",
            turnout_threshold=25,
        )
    )
    db.session.add(ballot)
    db.session.commit()
    roll.make_roll(ballot)
    question = str(ballot.questions[0].id)
    voters = db.session.execute(sa.select(Voter.id).where(Voter.ballot_id == ballot.id)).scalars()
    voted = [v for v in voters if rng.random() < 0.41]
    # Straight into the tables: the demo's past, not the casting path (tested elsewhere).
    db.session.execute(
        sa.update(Voter).where(Voter.id.in_(voted)).values(has_voted=True, email_status="sent")
    )
    papers = db.session.execute(
        sa.select(MemberVote.id).where(MemberVote.ballot_id == ballot.id).limit(len(voted))
    ).scalars()
    choices = ["yes"] * 60 + ["no"] * 35 + ["abstain"] * 5
    db.session.execute(
        sa.update(MemberVote),
        [
            {
                "id": paper,
                "is_cast": True,
                "receipt": codes.new_receipt(),
                "choices": {question: rng.choice(choices)},
            }
            for paper in papers
        ],
    )
    db.session.commit()
    from confapp.members import counting

    counting.publish(ballot, actor=None)
    return f"{len(voted):,} voted"


def _election(conference: Conference) -> MemberBallot:
    now = utcnow()
    ballot = MemberBallot(
        conference_id=conference.id,
        title=ELECTION,
        description="Five seats; at least two women and one young member (under 30).",
        opens_at=now - timedelta(hours=2),
        closes_at=now + timedelta(days=10),
        frozen_on=conference.membership_as_at,
    )
    question = MemberQuestion(
        position=1,
        kind=QuestionKind.STV,
        title="Elect five members of the national committee",
        seats=5,
        rule="scottish",
        quotas={"woman": [2, None], "young": [1, None]},
    )
    for place, (name, categories) in enumerate(CANDIDATES, start=1):
        question.options.append(MemberOption(position=place, label=name, categories=categories))
    ballot.questions.append(question)
    db.session.add(ballot)
    db.session.commit()
    roll.make_roll(ballot)
    demo_member = db.session.execute(
        sa.select(MemberRow.id).where(
            MemberRow.conference_id == conference.id, MemberRow.number == DEMO_VOTER_NUMBER
        )
    ).scalar_one()
    db.session.execute(
        sa.update(Voter)
        .where(Voter.ballot_id == ballot.id, Voter.member_id == demo_member)
        .values(code_hash=codes.hash_code(DEMO_VOTER_CODE), email_status="sent", sends=1)
    )
    db.session.commit()
    return ballot


def voting_link() -> str:
    """The demo member's link to vote in the election (printed by `make run`)."""
    from confapp.members.mailing import vote_link_prefix

    return vote_link_prefix() + DEMO_VOTER_CODE
