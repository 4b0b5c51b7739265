"""With the whole database in hand, who voted cannot be linked to what was voted.

Thirty members vote in an order the test knows. Then the test reads every table as an
intruder with full read access would (ids, every column, the row order SQLite's rowid or
PostgreSQL's ctid gives, every timestamp) and tries to pair papers with voters: by any
ordering of papers against the order of voting, and by pairing the k-th voter with the k-th
paper under every ordering of each. No ordering agrees with the voting order beyond chance.

What one transaction cannot hide (casting.py says it too): on PostgreSQL a voter row and the
paper filled with it carry the same transaction id (xmin) until the row is written again,
and a paper's new row version lands in its page in the order of the votes (ctid). Both hold
only until the result is published, which writes every paper again, shuffled, in one
transaction; so on PostgreSQL the ctid and xmin checks are made after publication.
"""

from __future__ import annotations

import random
from itertools import combinations

import sqlalchemy as sa

from confapp.extensions import db
from confapp.members import casting, counting
from confapp.models import Member, MemberVote, User, Voter
from tests.members.test_casting import set_phase, voting_world

VOTERS = 30
# |Kendall's tau| of a random order of 30 against another exceeds this about once in 10^5
# runs (tau's spread is 0.13): an order that follows the votes reaches 1.
TAU_LIMIT = 0.6
# Pairing two unrelated orders of 30 gets one pair right on average; 8 or more about once in
# 10^5 runs.
MATCH_LIMIT = 8


def kendall_tau(ranks: list[int]) -> float:
    """Kendall's tau between the order 0, 1, 2 ... and `ranks`."""
    pairs = list(combinations(range(len(ranks)), 2))
    agree = sum(1 if ranks[i] < ranks[j] else -1 for i, j in pairs)
    return agree / len(pairs)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def physical(table: str, column: str = "id") -> dict:
    """Each row's place on disk: SQLite's rowid, PostgreSQL's ctid as (page, slot)."""
    if is_postgres():
        rows = db.session.execute(sa.text(f"SELECT ctid::text, {column} FROM {table}"))
        return {key: tuple(int(n) for n in place.strip("()").split(",")) for place, key in rows}
    rows = db.session.execute(sa.text(f"SELECT rowid, {column} FROM {table}"))
    return {key: place for place, key in rows}


def every_row() -> dict[str, dict]:
    """Every table's rows by primary key, every column: what an intruder can read."""
    db.session.rollback()
    tables = {}
    for table in db.metadata.sorted_tables:
        key = [c.name for c in table.primary_key.columns]
        tables[table.name] = {
            tuple(row._mapping[k] for k in key): dict(row._mapping)
            for row in db.session.execute(sa.select(table))
        }
    return tables


def cast_in_known_order(world) -> list[tuple[int, str]]:
    """Every voter votes, in a shuffled order; (voter id, paper id) in the order they voted."""
    question = world.ballot.questions[0]
    voter_of = dict(
        db.session.execute(
            sa.select(Member.number, Voter.id).join(Voter, Voter.member_id == Member.id)
        ).all()
    )
    order = sorted(world.codes)
    random.Random(15).shuffle(order)
    voted = []
    for n, number in enumerate(order):
        receipt = casting.cast(world.codes[number], {str(question.id): ["yes", "no"][n % 2]})
        paper = db.session.execute(
            sa.select(MemberVote.id).where(MemberVote.receipt == receipt)
        ).scalar_one()
        voted.append((voter_of[number], paper))
    return voted


def assert_no_link(voted: list[tuple[int, str]], *, places_on_disk: bool) -> None:
    """No ordering of papers follows the voting, and no pairing of orders finds the voters."""
    db.session.rollback()
    truth = dict(voted)
    voters_in_order = [voter for voter, _ in voted]
    papers = list(
        db.session.execute(
            sa.select(MemberVote.id, MemberVote.receipt).where(MemberVote.is_cast.is_(True))
        )
    )
    paper_orders = {
        "paper id": sorted(p.id for p in papers),
        "receipt": [p.id for p in sorted(papers, key=lambda p: p.receipt)],
    }
    voter_orders = {"voter id": sorted(voters_in_order)}
    if places_on_disk:
        on_disk = physical("member_vote")
        paper_orders["row order"] = sorted((p.id for p in papers), key=on_disk.__getitem__)
        voter_place = physical("voter")
        voter_orders["row order"] = sorted(voters_in_order, key=voter_place.__getitem__)
    cast_rank = {paper: n for n, (_, paper) in enumerate(voted)}
    for name, order in paper_orders.items():
        tau = kendall_tau([cast_rank[paper] for paper in order])
        assert abs(tau) < TAU_LIMIT, f"papers by {name} follow the order of voting (tau {tau})"
    for voter_name, voters in voter_orders.items():
        for paper_name, order in paper_orders.items():
            right = sum(truth[v] == p for v, p in zip(voters, order, strict=True))
            assert right < MATCH_LIMIT, f"{voter_name} against {paper_name}: {right} linked"


def test_papers_hold_no_time_and_no_reference_to_a_voter(db):
    inspector = sa.inspect(db.engine)

    columns = {c["name"]: c["type"] for c in inspector.get_columns("member_vote")}
    keys = inspector.get_foreign_keys("member_vote")

    assert set(columns) == {"id", "ballot_id", "is_cast", "receipt", "choices"}
    assert not [n for n, t in columns.items() if isinstance(t, sa.DateTime | sa.Date | sa.Time)]
    assert [(k["constrained_columns"], k["referred_table"]) for k in keys] == [
        (["ballot_id"], "member_ballot")
    ]
    voter_times = [
        c["name"]
        for c in inspector.get_columns("voter")
        if isinstance(c["type"], sa.DateTime | sa.Date | sa.Time)
    ]
    assert voter_times == ["emailed_at"]  # when the link was sent; casting never writes it


def test_voting_writes_nothing_that_names_or_times_a_voter_beside_a_paper(db):
    world = voting_world([{"kind": "yes_no"}], per_group=VOTERS // 2)
    before = every_row()

    voted = cast_in_known_order(world)

    after = every_row()
    changed = {
        name: [key for key in after[name] if after[name][key] != before[name].get(key)]
        for name in after
    }
    assert {name for name, keys in changed.items() if keys} == {
        "voter",
        "member_vote",
        "audit_entry",
    }
    for key in changed["voter"]:  # only has_voted moved on each voter row
        diff = {c for c in after["voter"][key] if after["voter"][key][c] != before["voter"][key][c]}
        assert diff == {"has_voted"}
    for key in changed["member_vote"]:
        row = after["member_vote"][key]
        assert set(row) == {"id", "ballot_id", "is_cast", "receipt", "choices"}
        assert before["member_vote"][key]["is_cast"] is False
    assert len(changed["member_vote"]) == VOTERS
    members = db.session.execute(sa.select(Member.name, Member.number)).all()
    voter_ids = {str(voter) for voter, _ in voted}
    for key in changed["audit_entry"]:
        entry = after["audit_entry"][key]
        assert entry["action"] == "member_ballot.vote_cast"
        assert (entry["entity_type"], entry["entity_id"]) == ("MemberBallot", world.ballot.id)
        assert entry["user_id"] is None and entry["remote_addr"] is None
        assert entry["before"] is None and entry["after"] is None
        said = f"{entry['summary']} {entry['actor']}"
        assert not any(name in said or number in said for name, number in members)
        assert not any(voter in said.split() for voter in voter_ids)
    assert not db.session.execute(sa.select(User)).first()  # no login was made for a voter


def test_no_order_of_papers_follows_the_order_of_voting(db):
    world = voting_world([{"kind": "yes_no"}], per_group=VOTERS // 2)

    voted = cast_in_known_order(world)

    # During the poll: ids and receipts everywhere; the rows' places on SQLite (PostgreSQL's
    # ctid follows the votes until publication: see the module's docstring).
    assert_no_link(voted, places_on_disk=not is_postgres())
    set_phase(world.ballot, "closed")
    counting.publish(world.ballot, actor=None)
    assert_no_link(voted, places_on_disk=True)


def test_publication_writes_every_paper_again_as_cast_in_a_transaction_of_its_own(db):
    """On PostgreSQL no paper's xmin is then a voter's: the rewrite gives them all its own."""
    world = voting_world([{"kind": "choose_up_to", "max_choices": 2, "options": ["A", "B", "C"]}])
    options = [o.id for o in world.ballot.questions[0].options]
    for n, code in enumerate(world.codes.values()):
        casting.cast(code, {str(world.ballot.questions[0].id): options[n % 3 :][:2]})
    set_phase(world.ballot, "closed")
    before = {p.receipt: p.choices for p in db.session.execute(sa.select(MemberVote)).scalars()}

    counting.publish(world.ballot, actor=None)

    db.session.rollback()
    after = {p.receipt: p.choices for p in db.session.execute(sa.select(MemberVote)).scalars()}
    assert after == before and len(after) == 6
    if is_postgres():
        voters = {x for (x,) in db.session.execute(sa.text("SELECT xmin::text FROM voter"))}
        papers = {x for (x,) in db.session.execute(sa.text("SELECT xmin::text FROM member_vote"))}
        assert len(papers) == 1 and not voters & papers
