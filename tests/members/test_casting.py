"""A member votes with their link: the paper, the vote cast once, the receipt, every refusal.

`voting_world` (used by the other voting tests too) makes a register, a members' ballot on
its roll and a code for each voter, as the e-mail would carry it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.extensions import db
from confapp.members import casting
from confapp.members.codes import hash_code, new_code
from confapp.models import (
    AuditEntry,
    Member,
    MemberBallot,
    MemberQuestion,
    MemberVote,
    Voter,
    utcnow,
)

# One of each kind of question.
PAPER = [
    {"kind": "yes_no", "title": "Should we affiliate?", "text": "Affiliation costs £2 a member."},
    {"kind": "choose_one", "title": "Where next year?", "options": ["Leeds", "York", "Hull"]},
    {
        "kind": "choose_up_to",
        "title": "Campaign priorities",
        "max_choices": 2,
        "options": ["Housing", "Transport", "Climate", "Pay"],
    },
    {
        "kind": "stv",
        "title": "National committee",
        "seats": 2,
        "quotas": {"woman": [1, None]},
        "options": [("Asha", ["woman"]), ("Bryn", []), ("Cerys", ["woman"]), ("Dev", [])],
    },
]


@dataclass
class VotingWorld:
    """A ballot on its roll, its voters' codes by membership number, the conference."""

    conference: object
    ballot: MemberBallot
    codes: dict[str, str]  # membership number -> voting code
    groups: list

    def code(self, n: int = 0) -> str:
        """The n-th member's code (in membership-number order)."""
        return self.codes[sorted(self.codes)[n]]

    def question(self, kind: str) -> MemberQuestion:
        """The ballot's first question of that kind."""
        return next(q for q in self.ballot.questions if q.kind == kind)

    def option(self, kind: str, label: str) -> int:
        """The id of an option of the first question of that kind."""
        return next(o.id for o in self.question(kind).options if o.label == label)


def voting_world(
    questions=None, *, phase: str = "open", per_group: int = 3, regions=("North", "North")
) -> VotingWorld:
    """Leeds and York (in `regions`) with `per_group` members each, a ballot, a code each."""
    conference = factories.conference()
    groups = [
        factories.group(conference, name, region=region)
        for name, region in zip(("Leeds", "York"), regions, strict=True)
    ]
    factories.members(conference, groups, per_group)
    ballot = factories.member_ballot(
        conference, PAPER if questions is None else questions, phase=phase
    )
    codes = give_codes(ballot)
    return VotingWorld(conference, ballot, codes, groups)


def give_codes(ballot: MemberBallot) -> dict[str, str]:
    """A fresh code for every voter of the ballot, as sending the links would; committed."""
    codes = {}
    for voter, number in db.session.execute(
        sa.select(Voter, Member.number).join(Member).where(Voter.ballot_id == ballot.id)
    ):
        codes[number] = new_code()
        voter.code_hash = hash_code(codes[number])
    db.session.commit()
    return codes


def set_phase(ballot: MemberBallot, phase: str) -> None:
    """Move the ballot's times so that it is open, or closed, now; committed."""
    now = utcnow()
    if phase == "closed":
        ballot.opens_at, ballot.closes_at = now - timedelta(days=8), now - timedelta(minutes=1)
    elif phase == "open":
        ballot.opens_at, ballot.closes_at = now - timedelta(hours=1), now + timedelta(days=7)
    db.session.commit()


def full_form(world: VotingWorld) -> dict:
    """A paper filled in: yes; York; Housing and Climate; Cerys 1, Asha 2."""
    yes_no, one, up_to, stv = (
        world.question(k) for k in ("yes_no", "choose_one", "choose_up_to", "stv")
    )
    return {
        f"q-{yes_no.id}": "yes",
        f"q-{one.id}": str(world.option("choose_one", "York")),
        f"q-{up_to.id}": [
            str(world.option("choose_up_to", "Housing")),
            str(world.option("choose_up_to", "Climate")),
        ],
        f"q-{stv.id}-o-{world.option('stv', 'Cerys')}": "1",
        f"q-{stv.id}-o-{world.option('stv', 'Asha')}": "2",
    }


def papers() -> list[MemberVote]:
    """Every paper as the database holds it now."""
    db.session.rollback()
    return list(db.session.execute(sa.select(MemberVote)).scalars())


def voters_marked() -> int:
    db.session.rollback()
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Voter).where(Voter.has_voted.is_(True))
    ).scalar()


def vote_entries() -> list[AuditEntry]:
    db.session.rollback()
    return list(
        db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "member_ballot.vote_cast")
        ).scalars()
    )


def text(response) -> str:
    """The page as the reader sees its characters (entities such as &#39; read back)."""
    return html.unescape(response.get_data(as_text=True))


# ---- the paper ------------------------------------------------------------------------------


def test_the_paper_asks_each_question_in_its_own_way(client, db):
    world = voting_world()

    page = client.get(f"/vote/{world.code()}")

    body = text(page)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    yes_no = world.question("yes_no")
    for value in ("yes", "no", "abstain"):
        assert (
            f'type="radio" name="q-{yes_no.id}" id="q-{yes_no.id}-{value}" value="{value}"' in body
        )
    assert "Affiliation costs £2 a member." in body
    assert "Choose one." in body and "Choose up to 2. Tick none to abstain." in body
    assert body.count('type="checkbox"') == 4
    stv = world.question("stv")
    assert body.count('type="number"') == 4
    assert f'name="q-{stv.id}-o-{world.option("stv", "Asha")}"' in body
    assert "<strong>1</strong> for your first choice" in body
    assert "Elect 2." in body
    assert '<span class="tag">woman</span>' in body and "at least 1" in body
    assert "of the 2 elected" in body
    # The code is the key: no token, no session, no cookie (see voting_pages.vote).
    assert 'name="csrf_token"' not in body
    assert "Set-Cookie" not in page.headers


def test_a_vote_marks_the_voter_fills_one_paper_and_shows_the_receipt(client, db):
    world = voting_world()

    page = client.post(f"/vote/{world.code()}", data=full_form(world))

    body = text(page)
    assert page.status_code == 200
    assert "Your vote is cast" in body
    assert (
        "Keep this receipt: after the close you can find your ballot in the published list" in body
    )
    cast = [p for p in papers() if p.is_cast]
    assert len(cast) == 1 and len(papers()) == 6
    assert f'<code id="receipt">{cast[0].receipt}</code>' in body
    q = {k: world.question(k).id for k in ("yes_no", "choose_one", "choose_up_to", "stv")}
    assert cast[0].choices == {
        str(q["yes_no"]): "yes",
        str(q["choose_one"]): [world.option("choose_one", "York")],
        # no order of preference: kept in the paper's order
        str(q["choose_up_to"]): [
            world.option("choose_up_to", "Housing"),
            world.option("choose_up_to", "Climate"),
        ],
        str(q["stv"]): [world.option("stv", "Cerys"), world.option("stv", "Asha")],
    }
    assert voters_marked() == 1


def test_the_link_alone_votes_with_csrf_on_and_no_cookie_is_set(app, client, db):
    # As served: the code is the key, so the form carries no token and the pages no session.
    app.config["WTF_CSRF_ENABLED"] = True
    world = voting_world()

    paper = client.get(f"/vote/{world.code()}")
    vote = client.post(f"/vote/{world.code()}", data=full_form(world))

    assert "Your vote is cast" in text(vote)
    assert "Set-Cookie" not in paper.headers and "Set-Cookie" not in vote.headers
    assert voters_marked() == 1 and sum(p.is_cast for p in papers()) == 1


def test_the_audit_entry_says_a_vote_was_cast_and_names_nobody(client, db):
    world = voting_world()
    client.post(f"/vote/{world.code()}", data=full_form(world))

    (entry,) = vote_entries()

    assert entry.summary == "A vote was cast in Members' ballot"
    assert (entry.entity_type, entry.entity_id) == ("MemberBallot", world.ballot.id)
    assert entry.user_id is None and entry.remote_addr is None
    assert entry.before is None and entry.after is None
    member = db.session.execute(sa.select(Member).order_by(Member.number)).scalars().first()
    assert member.name not in entry.actor and member.number not in entry.summary


def test_choices_the_paper_does_not_allow_are_refused_and_nothing_is_stored(client, db):
    world = voting_world()
    form = full_form(world)
    up_to, stv = world.question("choose_up_to"), world.question("stv")
    form[f"q-{up_to.id}"] = [str(o.id) for o in up_to.options[:3]]  # three where two are allowed
    form[f"q-{stv.id}-o-{world.option('stv', 'Asha')}"] = "1"  # Cerys is 1 too

    page = client.post(f"/vote/{world.code()}", data=form)

    body = text(page)
    assert page.status_code == 200
    assert "Nothing was recorded." in body
    assert "Question 3: choose up to 2; you chose 3. Untick 1." in body
    assert "Question 4: Asha and Cerys are both ranked 1" in body
    assert body.count("checked") == 5  # yes, York, and the three ticked: kept as sent
    assert voters_marked() == 0 and not any(p.is_cast for p in papers()) and not vote_entries()


@pytest.mark.parametrize(
    ("ranks", "message"),
    [
        ({"Asha": "1", "Bryn": "3"}, "there is a 3 but no 2"),
        ({"Asha": "2"}, "there is a 2 but no 1"),
        ({"Asha": "9"}, "Asha's rank must be a number from 1 to 4, not '9'"),
        ({"Asha": "first"}, "Asha's rank must be a number from 1 to 4, not 'first'"),
    ],
)
def test_a_ranking_must_run_one_two_three(client, db, ranks, message):
    world = voting_world()
    form = full_form(world)
    stv = world.question("stv")
    form = {k: v for k, v in form.items() if not k.startswith(f"q-{stv.id}-")}
    form |= {f"q-{stv.id}-o-{world.option('stv', name)}": rank for name, rank in ranks.items()}

    page = client.post(f"/vote/{world.code()}", data=form)

    assert message in text(page)
    assert voters_marked() == 0 and not any(p.is_cast for p in papers())


def test_a_yes_no_question_left_unanswered_is_asked_again(client, db):
    world = voting_world()
    form = full_form(world)
    del form[f"q-{world.question('yes_no').id}"]

    page = client.post(f"/vote/{world.code()}", data=form)

    assert "Question 1: choose Yes, No or Abstain." in text(page)
    assert voters_marked() == 0


def test_an_empty_ranking_and_no_ticks_are_abstentions(db):
    world = voting_world()
    yes_no, one, up_to, stv = (
        world.question(k) for k in ("yes_no", "choose_one", "choose_up_to", "stv")
    )

    receipt = casting.cast(
        world.code(),
        {str(yes_no.id): "abstain", str(one.id): [], str(up_to.id): [], str(stv.id): []},
    )

    (paper,) = [p for p in papers() if p.is_cast]
    assert paper.receipt == receipt
    assert paper.choices == {
        str(yes_no.id): "abstain",
        str(one.id): [],
        str(up_to.id): [],
        str(stv.id): [],
    }


def test_choices_are_checked_however_they_are_sent(db):
    world = voting_world()
    yes_no, one = world.question("yes_no"), world.question("choose_one")
    other = voting_world().question("choose_one").options[0].id  # another ballot's option

    with pytest.raises(casting.ChoiceError) as refused:
        casting.cast(world.code(), {str(yes_no.id): "maybe", str(one.id): [other]})

    assert refused.value.problems[yes_no.id] == "Question 1: choose Yes, No or Abstain."
    assert refused.value.problems[one.id] == "Question 2: that is not one of its options."
    assert voters_marked() == 0


# ---- links that cannot vote -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_forged_code_is_told_the_link_is_not_valid_and_nothing_else(client, db, method):
    empty = client.open("/vote/forged-code-1234", method=method)  # no ballot exists at all
    voting_world()

    forged = client.open("/vote/forged-code-1234", method=method)

    assert forged.status_code == empty.status_code == 404
    assert "This voting link is not valid" in text(forged)
    assert text(forged) == text(empty)  # whether or not any ballot exists
    assert voters_marked() == 0


def test_before_opening_the_link_says_when_voting_opens(client, db):
    world = voting_world(phase="roll")

    page = client.get(f"/vote/{world.code()}")
    sent = client.post(f"/vote/{world.code()}", data=full_form(world))

    assert "Voting opens at" in text(page) and 'type="radio"' not in text(page)
    assert "Voting opens at" in text(sent)
    assert voters_marked() == 0 and not any(p.is_cast for p in papers())


def test_after_closing_the_link_says_voting_closed(client, db):
    world = voting_world()
    set_phase(world.ballot, "closed")

    page = client.get(f"/vote/{world.code()}")
    sent = client.post(f"/vote/{world.code()}", data=full_form(world))

    assert "Voting closed at" in text(page) and "Voting closed at" in text(sent)
    assert voters_marked() == 0 and not any(p.is_cast for p in papers())


def test_a_used_link_says_so_without_receipt_or_time(client, db):
    world = voting_world()
    first = client.post(f"/vote/{world.code()}", data=full_form(world))
    receipt = next(p.receipt for p in papers() if p.is_cast)

    again = client.get(f"/vote/{world.code()}")
    resent = client.post(f"/vote/{world.code()}", data=full_form(world))

    assert receipt in text(first)
    for page in (again, resent):
        assert "A vote has already been cast with this link" in text(page)
        assert receipt not in text(page)
        assert "receipt" not in text(page).lower()
    assert voters_marked() == 1 and sum(p.is_cast for p in papers()) == 1
    assert len(vote_entries()) == 1


def test_cast_refuses_a_used_code_and_a_closed_ballot(db):
    world = voting_world([{"kind": "yes_no"}])
    yes = {str(world.ballot.questions[0].id): "yes"}
    casting.cast(world.code(0), yes)

    with pytest.raises(casting.CastRefused) as used:
        casting.cast(world.code(0), yes)
    set_phase(world.ballot, "closed")
    with pytest.raises(casting.CastRefused) as closed:
        casting.cast(world.code(1), yes)
    with pytest.raises(casting.CastRefused) as forged:
        casting.cast("no-such-code", yes)

    assert (used.value.reason, closed.value.reason, forged.value.reason) == (
        "used",
        "closed",
        "invalid",
    )
    assert voters_marked() == 1 and sum(p.is_cast for p in papers()) == 1


# ---- a crash between using the code and storing the ballot ----------------------------------
# The crash is the database's own: a trigger fails the write of the paper (or of the audit
# entry) once the voter is marked, inside the vote's transaction (SQLite) or its one statement
# (PostgreSQL). The trigger fails only when it sees the voter marked, so a vote that wrote the
# paper before marking the voter would go through, and the test would fail.


class Crashes:
    """Database triggers that fail an UPDATE or INSERT on a table while a condition holds."""

    def __init__(self) -> None:
        self.on_postgres = db.engine.dialect.name == "postgresql"
        self.tables: list[str] = []

    def when_written(self, table: str, event: str, condition: str) -> None:
        """Fail `event` (UPDATE or INSERT) on `table` while `condition` holds; committed."""
        if self.on_postgres:
            db.session.execute(
                sa.text(
                    "CREATE OR REPLACE FUNCTION crash() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN IF {condition} THEN RAISE EXCEPTION 'the worker died'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            how = "FOR EACH ROW EXECUTE FUNCTION crash()"
        else:
            how = f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'the worker died'); END"
        db.session.execute(sa.text(f"CREATE TRIGGER crash BEFORE {event} ON {table} {how}"))
        db.session.commit()
        self.tables.append(table)

    def stop(self) -> None:
        """Drop the triggers (and PostgreSQL's function behind them)."""
        db.session.rollback()
        for table in self.tables:
            on = f" ON {table}" if self.on_postgres else ""
            db.session.execute(sa.text(f"DROP TRIGGER IF EXISTS crash{on}"))
        if self.on_postgres:
            db.session.execute(sa.text("DROP FUNCTION IF EXISTS crash()"))
        db.session.commit()
        self.tables.clear()


@pytest.fixture
def crashes(db):
    """Crashes made in the database; dropped after the test (PostgreSQL's tests share tables)."""
    made = Crashes()
    yield made
    made.stop()


# SQLAlchemy's on SQLite; PostgreSQL's vote is sent to the driver, whose error comes as it is.
DATABASE_ERRORS = (sa.exc.DBAPIError, psycopg.Error)
VOTER_MARKED = "(SELECT count(*) FROM voter WHERE has_voted) = 1"


def test_a_crash_after_the_voter_is_marked_and_before_the_paper_is_filled_changes_nothing(
    db, crashes
):
    world = voting_world([{"kind": "yes_no"}])
    yes = {str(world.ballot.questions[0].id): "yes"}
    crashes.when_written("member_vote", "UPDATE", VOTER_MARKED)

    with pytest.raises(DATABASE_ERRORS, match="the worker died"):
        casting.cast(world.code(), yes)

    assert voters_marked() == 0
    assert not any(p.is_cast or p.receipt or p.choices for p in papers())
    assert not vote_entries()
    crashes.stop()
    assert casting.cast(world.code(), yes)  # the link still votes, once
    assert voters_marked() == 1 and sum(p.is_cast for p in papers()) == 1


def test_a_crash_after_the_paper_is_filled_changes_nothing_either(db, crashes):
    world = voting_world([{"kind": "yes_no"}])
    yes = {str(world.ballot.questions[0].id): "yes"}
    filled = "(SELECT count(*) FROM member_vote WHERE is_cast) = 1"
    crashes.when_written("audit_entry", "INSERT", f"{VOTER_MARKED} AND {filled}")

    with pytest.raises(DATABASE_ERRORS, match="the worker died"):
        casting.cast(world.code(), yes)

    assert voters_marked() == 0 and not any(p.is_cast for p in papers())
    assert not vote_entries()


def test_a_voter_with_no_blank_paper_left_is_refused_and_stays_unmarked(db):
    # One paper is made per voter, so this is a broken roll: the vote fails as a whole.
    world = voting_world([{"kind": "yes_no"}], per_group=1)
    yes = {str(world.ballot.questions[0].id): "yes"}
    casting.cast(world.code(0), yes)
    db.session.execute(sa.delete(MemberVote).where(MemberVote.is_cast.is_(False)))
    db.session.commit()

    with pytest.raises((RuntimeError, *DATABASE_ERRORS), match="no blank paper left"):
        casting.cast(world.code(1), yes)

    assert voters_marked() == 1 and len(papers()) == 1 and len(vote_entries()) == 1


def test_every_voter_finds_a_paper_and_every_receipt_differs(db):
    world = voting_world([{"kind": "yes_no"}], per_group=10)
    yes = {str(world.ballot.questions[0].id): "yes"}

    receipts = [casting.cast(code, yes) for code in world.codes.values()]

    assert len(set(receipts)) == 20
    assert all(p.is_cast for p in papers())
    assert sorted(p.receipt for p in papers()) == sorted(receipts)
